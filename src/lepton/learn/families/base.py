"""The contract every model family meets, plus helpers families share.

A family knows its own preprocessing (from the shared ``Encoded`` arrays), a good
default, a search space, and how to fit within a deadline with early stopping.
Fitted models predict probabilities (n, k) for classification and values (n,)
for regression, so ensembling and metrics never care which library made them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from lepton.learn.features import Encoded

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class TaskInfo:
    """What a family needs to know about the problem."""

    task: str
    n_classes: int
    metric: str
    seed: int = 0
    threads: int = 1

    @property
    def is_classification(self) -> bool:
        return self.task != "regression"


class FittedModel(Protocol):
    def predict(self, data: Encoded) -> FloatArray: ...


@dataclass
class FitResult:
    model: FittedModel
    n_iterations: int | None = None
    stopped_by_deadline: bool = False
    notes: list[str] = field(default_factory=list)


class Family(Protocol):
    name: str

    def default_params(self, info: TaskInfo, n_rows: int) -> dict[str, Any]: ...

    def suggest(self, trial: Any, info: TaskInfo, n_rows: int) -> dict[str, Any]: ...

    def fit(
        self,
        train: Encoded,
        y: NDArray[Any],
        valid: Encoded,
        y_valid: NDArray[Any],
        params: dict[str, Any],
        info: TaskInfo,
        deadline: float,
    ) -> FitResult: ...


_PREDICT_THREADS: ContextVar[int] = ContextVar("lepton_predict_threads", default=1)


def predict_threads() -> int:
    """Threads a fitted model may use to predict now: 1 unless a batch asked for more.

    Why one by default: CV trials run one per core, and the server batches small
    requests on its own threads; only a big batch (``lepton predict``, ``Model.predict``)
    gains from every core, and it says so with ``using_predict_threads``.
    """
    return _PREDICT_THREADS.get()


@contextmanager
def using_predict_threads(threads: int) -> Iterator[None]:
    token = _PREDICT_THREADS.set(max(1, threads))
    try:
        yield
    finally:
        _PREDICT_THREADS.reset(token)


def seconds_left(deadline: float) -> float:
    return deadline - time.monotonic()


def tree_matrix(data: Encoded) -> NDArray[np.float32]:
    """Numbers then category codes as floats (NaN for missing) for native-categorical trees."""
    cats = data.cat.astype(np.float32)
    cats[data.cat < 0] = np.nan
    return np.hstack([data.num, cats]).astype(np.float32, copy=False)


def categorical_indices(data: Encoded) -> list[int]:
    start = data.num.shape[1]
    return list(range(start, start + data.cat.shape[1]))


@dataclass
class DenseEncoder:
    """Median-impute + standardise numbers (with missing flags) and one-hot the frequent categories.

    Linear models and k-NN need this; it is fitted on the training fold only.
    """

    max_levels: int = 32
    medians_: NDArray[np.float32] | None = None
    means_: NDArray[np.float32] | None = None
    scales_: NDArray[np.float32] | None = None
    flag_columns_: NDArray[np.int64] | None = None
    levels_: list[int] = field(default_factory=list)

    def fit(self, data: Encoded) -> DenseEncoder:
        num = data.num
        with np.errstate(all="ignore"):
            medians = np.nanmedian(num, axis=0) if num.shape[1] else np.zeros(0, np.float32)
        self.medians_ = np.nan_to_num(medians).astype(np.float32)
        filled = np.where(np.isnan(num), self.medians_, num)
        self.means_ = filled.mean(axis=0).astype(np.float32)
        std = filled.std(axis=0)
        self.scales_ = np.where(std > 0, std, 1.0).astype(np.float32)
        self.flag_columns_ = np.flatnonzero(np.isnan(num).any(axis=0))
        self.levels_ = [min(c, self.max_levels) for c in data.cardinalities]
        return self

    def transform(self, data: Encoded) -> NDArray[np.float32]:
        assert self.medians_ is not None and self.means_ is not None
        assert self.scales_ is not None and self.flag_columns_ is not None
        num = data.num
        flags = np.isnan(num[:, self.flag_columns_]).astype(np.float32)
        filled = np.where(np.isnan(num), self.medians_, num)
        scaled = np.clip((filled - self.means_) / self.scales_, -10, 10)
        blocks = [scaled.astype(np.float32), flags]
        for j, levels in enumerate(self.levels_):
            codes = data.cat[:, j]
            onehot = np.zeros((len(codes), levels), dtype=np.float32)
            valid = (codes >= 0) & (codes < levels)
            onehot[np.flatnonzero(valid), codes[valid]] = 1.0
            blocks.append(onehot)
        return np.hstack(blocks)


def estimator_outputs(estimator: Any, matrix: Any, info: TaskInfo) -> FloatArray:
    """A scikit-learn estimator's answer in Lepton's shape: (n, k) probabilities or (n,) values."""
    if info.is_classification:
        return as_proba(estimator.predict_proba(matrix), info.n_classes)
    return np.asarray(estimator.predict(matrix), dtype=np.float64)


def as_proba(raw: NDArray[Any], n_classes: int) -> FloatArray:
    """Normalise library outputs to (n, k) class probabilities."""
    raw = np.asarray(raw, dtype=np.float64)
    if raw.ndim == 1:
        raw = np.column_stack([1.0 - raw, raw])
    if raw.shape[1] != n_classes:
        raise ValueError(f"expected {n_classes} probability columns, got {raw.shape[1]}")
    return np.asarray(raw / raw.sum(axis=1, keepdims=True), dtype=np.float64)
