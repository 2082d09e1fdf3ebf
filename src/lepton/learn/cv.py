"""One trial = one family + params fitted on every CV fold, giving out-of-fold predictions.

``run_trial`` is a plain top-level function of picklable arguments so that any
executor (in-process, process pool, Ray) can run it.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lepton.learn.families import TaskInfo, get_family
from lepton.learn.families.base import FittedModel
from lepton.learn.features import Encoded
from lepton.learn.metrics import get_metric

Folds = list[tuple[NDArray[np.int64], NDArray[np.int64]]]

# From this many labelled rows one hold-out split replaces k-fold CV (FLAML's threshold
# too): k fits per trial buy little variance there, cost k times the search time, and
# leave k fold models per member for every prediction to run.
HOLDOUT_FROM_ROWS = 100_000
HOLDOUT_FRACTION = 0.1


@dataclass
class TrialSpec:
    trial_id: int
    family: str
    params: dict[str, Any]
    info: TaskInfo
    deadline_unix: float  # wall clock, comparable across processes
    origin: str = "default"  # "default" portfolio entry or "hpo"


@dataclass
class TrialResult:
    spec: TrialSpec
    oof: NDArray[np.float64] | None = None
    models: list[FittedModel] = field(default_factory=list)
    fold_losses: list[float] = field(default_factory=list)
    loss: float = float("inf")
    fit_seconds: float = 0.0
    predict_seconds_per_row: float = 0.0
    iterations: list[int | None] = field(default_factory=list)
    stopped_by_deadline: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.oof is not None


def make_folds(
    y: NDArray[Any], task: str, n_folds: int, seed: int, groups: NDArray[Any] | None = None
) -> Folds:
    """Stratified k-fold for classification, shuffled k-fold for regression."""
    from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold

    if groups is not None:
        splitter: Any = GroupKFold(n_splits=n_folds)
        return [(a.astype(np.int64), b.astype(np.int64)) for a, b in splitter.split(y, y, groups)]
    if task == "regression":
        splitter = KFold(n_splits=n_folds, shuffle=True, random_state=seed)
    else:
        splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    return [
        (a.astype(np.int64), b.astype(np.int64)) for a, b in splitter.split(np.zeros(len(y)), y)
    ]


def make_holdout(y: NDArray[Any], task: str, fraction: float, seed: int) -> Folds:
    """One (train, validation) split, stratified for classification."""
    from sklearn.model_selection import train_test_split

    rows = np.arange(len(y), dtype=np.int64)
    train, valid = train_test_split(
        rows,
        test_size=fraction,
        random_state=seed,
        stratify=None if task == "regression" else y,
    )
    return [(np.sort(train), np.sort(valid))]


def validated_rows(folds: Folds, n_rows: int) -> NDArray[np.int64] | None:
    """The rows some fold validates, when that is not every row (a hold-out); else None."""
    rows = np.unique(np.concatenate([valid for _, valid in folds]))
    return None if len(rows) == n_rows else rows.astype(np.int64)


def run_trial(spec: TrialSpec, data: Encoded, y: NDArray[Any], folds: Folds) -> TrialResult:
    """Fit ``spec`` on every fold; never raises (errors are carried in the result)."""
    result = TrialResult(spec)
    try:
        family = get_family(spec.family)
        metric = get_metric(spec.info.metric, spec.info.task)
        deadline = time.monotonic() + (spec.deadline_unix - time.time())
        width = spec.info.n_classes if spec.info.is_classification else 0
        oof = np.zeros((len(y), width) if width else len(y), dtype=np.float64)
        predict_time = 0.0
        started = time.perf_counter()
        for k, (train_idx, valid_idx) in enumerate(folds):
            now = time.monotonic()
            if now > deadline:
                raise TimeoutError("time budget ran out before every fold was fitted")
            # share what is left fairly between the remaining folds, so a slow family still
            # completes every fold (with fewer boosting rounds) instead of wasting its time
            fold_deadline = now + (deadline - now) / (len(folds) - k)
            fitted = family.fit(
                data.take(train_idx),
                y[train_idx],
                data.take(valid_idx),
                y[valid_idx],
                spec.params,
                spec.info,
                fold_deadline,
            )
            t0 = time.perf_counter()
            oof[valid_idx] = fitted.model.predict(data.take(valid_idx))
            predict_time += time.perf_counter() - t0
            result.models.append(fitted.model)
            result.iterations.append(fitted.n_iterations)
            result.fold_losses.append(metric.loss(y[valid_idx], oof[valid_idx]))
            result.stopped_by_deadline |= fitted.stopped_by_deadline
        result.fit_seconds = time.perf_counter() - started - predict_time
        rows = validated_rows(folds, len(y))
        scored_y, scored = (y, oof) if rows is None else (y[rows], oof[rows])
        result.predict_seconds_per_row = predict_time / max(1, len(scored_y))
        result.oof = scored  # aligned with the validated rows (every row under k-fold CV)
        result.loss = metric.loss(scored_y, scored)
    except Exception as exc:  # a failed trial must not end the search
        result.models = []
        result.error = f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, TimeoutError):
            result.error += "\n" + traceback.format_exc(limit=3)
    return result
