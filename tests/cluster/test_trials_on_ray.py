"""AutoML trials as Ray tasks: the same scores as the local pool, data shared, nodes lost."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

from lepton.compute import Resources
from lepton.compute.local_cluster import LocalCluster
from lepton.compute.ray_executor import RayExecutor
from lepton.learn.automl import AutoML

pytestmark = pytest.mark.ray_lifecycle  # a cluster to start and searches to run: .ci/run runs these


def _frame(rows: int = 600) -> pd.DataFrame:
    x, y = make_classification(n_samples=rows, n_features=8, random_state=0)
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(8)])
    frame["y"] = y
    return frame


def _fold_losses(automl: AutoML) -> dict[tuple[str, str], list[float]]:
    return {
        (t.spec.family, repr(sorted(t.spec.params.items()))): t.fold_losses
        for t in automl.search_.trials
        if t.ok
    }


def test_cv_scores_on_ray_equal_the_local_runs(ray_cluster: LocalCluster) -> None:
    frame = _frame()
    options = {"time_limit": 60, "families": ["lightgbm", "linear"], "max_trials": 4, "seed": 3}
    local = AutoML("y", n_workers=2, **options).fit(frame)  # type: ignore[arg-type]
    on_ray = AutoML("y", ray_address=ray_cluster.address, **options).fit(frame)  # type: ignore[arg-type]
    here, there = _fold_losses(local), _fold_losses(on_ray)
    defaults = {k for k in here if k[0] in ("lightgbm", "linear")}
    assert len(defaults) >= 2
    # the portfolio's trials are the same specs on both: their fold scores must be equal
    shared = set(here) & set(there)
    assert len(shared) >= 2
    for key in shared:
        assert there[key] == pytest.approx(here[key], rel=1e-12, abs=1e-12), key


def _checksum(values: np.ndarray, scale: int) -> float:
    return float(values.sum()) * scale


def test_the_same_argument_is_put_into_the_object_store_once(ray_cluster: LocalCluster) -> None:
    data = np.arange(1_000_000, dtype=np.float64)  # 8 MB
    executor = RayExecutor(ray_cluster.address)
    assert executor.n_workers == 2  # the worker node's two CPUs, one per trial
    futures = [executor.submit(_checksum, data, k, resources=Resources(cpus=1)) for k in range(6)]
    assert [f.result(timeout=120) for f in futures] == [float(data.sum()) * k for k in range(6)]
    assert executor.shared_objects == 1
    executor.shutdown()
    assert executor.shared_objects == 0


def _exit_on_first_attempt(marker: str) -> int:
    """Kills its own worker process the first time: a worker lost mid-trial."""
    import os
    from pathlib import Path

    flag = Path(marker)
    if not flag.exists():
        flag.write_text("died once")
        os._exit(1)
    return os.getpid()


def test_a_task_whose_worker_dies_is_retried(ray_cluster: LocalCluster, tmp_path) -> None:  # type: ignore[no-untyped-def]
    executor = RayExecutor(ray_cluster.address, max_retries=1)
    marker = tmp_path / "attempt"
    assert executor.submit(_exit_on_first_attempt, str(marker)).result(timeout=120) > 0
    assert marker.read_text() == "died once"


def _always_exit() -> None:
    import os

    os._exit(1)


def test_a_task_lost_past_its_retries_fails_its_future(ray_cluster: LocalCluster) -> None:
    executor = RayExecutor(ray_cluster.address, max_retries=1)
    future = executor.submit(_always_exit)
    with pytest.raises(Exception, match=r"(?i)worker|crash|died"):
        future.result(timeout=120)
