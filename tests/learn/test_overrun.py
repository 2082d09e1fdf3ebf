"""A trial still fitting past the search deadline is stopped; the finished ones are kept."""

from __future__ import annotations

import time
from concurrent.futures import Future
from typing import Any

import numpy as np
import pandas as pd

from lepton.learn.cv import make_folds
from lepton.learn.families import TaskInfo
from lepton.learn.features import FeatureEncoder
from lepton.learn.search import Search


def _search(frame: pd.DataFrame, executor: Any, *, max_trials: int) -> Search:
    """A small binary search over lightgbm and linear, on ``executor``."""
    features = frame.drop(columns=["y"])
    kinds = {"x1": "numeric", "x2": "numeric", "color": "categorical", "noise": "numeric"}
    data = FeatureEncoder(kinds).fit(features).transform(features)
    y = (frame["y"] == "yes").to_numpy().astype(np.int64)
    return Search(
        data,
        y,
        make_folds(y, "binary", 3, 0),
        TaskInfo("binary", 2, "roc_auc"),
        families=["lightgbm", "linear"],
        time_limit=10,
        executor=executor,
        max_trials=max_trials,
    )


class OneTrialHangs:
    """An executor whose first task never finishes (a fit that ignores its deadline)."""

    n_workers = 2

    def __init__(self) -> None:
        self.submitted = 0
        self.cancelled = False

    def submit(self, fn: Any, /, *args: Any, resources: Any = None) -> Future[Any]:
        self.submitted += 1
        future: Future[Any] = Future()
        if self.submitted > 1:
            future.set_result(fn(*args))
        return future  # the first one stays pending for ever

    def shutdown(self, *, cancel: bool = False) -> None:
        self.cancelled = self.cancelled or cancel


def test_a_trial_past_the_deadline_is_stopped_and_the_search_returns(
    binary_frame: pd.DataFrame,
) -> None:
    executor = OneTrialHangs()
    result = _search(binary_frame, executor, max_trials=4).run(time.time() + 2.0)
    assert result.stopped == ["lightgbm#0"]  # the first trial submitted, never finished
    assert executor.cancelled  # its worker is killed, not waited for
    assert {f"{t.spec.family}#{t.spec.trial_id}" for t in result.trials} == {
        "linear#1",
        "lightgbm#2",
        "linear#3",
    }
    assert result.successful


def test_the_process_pool_starts_fresh_workers_after_a_cancel() -> None:
    from lepton.compute.executors import LocalProcessExecutor

    pool = LocalProcessExecutor(1)
    assert pool.submit(abs, -1).result(timeout=120) == 1
    pool.shutdown(cancel=True)  # what the search does to a trial past its deadline
    assert pool.submit(abs, -2).result(timeout=120) == 2
    pool.shutdown()


class FirstWorkerDies:
    """An executor whose first task's worker is lost for good (past the executor's retries)."""

    n_workers = 2

    def __init__(self) -> None:
        self.submitted = 0

    def submit(self, fn: Any, /, *args: Any, resources: Any = None) -> Future[Any]:
        self.submitted += 1
        future: Future[Any] = Future()
        if self.submitted == 1:
            future.set_exception(RuntimeError("the worker running this task died"))
        else:
            future.set_result(fn(*args))
        return future

    def shutdown(self, *, cancel: bool = False) -> None:
        return None


def test_a_trial_whose_worker_is_lost_is_dropped_and_the_search_goes_on(
    binary_frame: pd.DataFrame,
) -> None:
    result = _search(binary_frame, FirstWorkerDies(), max_trials=3).run(time.time() + 8.0)
    assert result.lost == ["lightgbm#0"]
    lost = next(t for t in result.trials if t.spec.trial_id == 0)
    assert not lost.ok and lost.error is not None and lost.error.startswith("worker lost")
    assert len(result.successful) == 2
