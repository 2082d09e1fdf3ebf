"""Task metrics, each knowing its direction and whether it needs probabilities.

Search always *minimises* ``Metric.loss``, so ranking code never has to ask
which way is better.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn import metrics as skm

from lepton.errors import LeptonError

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Metric:
    """A named score over (y_true, prediction) where prediction is probabilities or values."""

    name: str
    fn: Callable[[NDArray[np.int64] | Array, Array], float]
    greater_is_better: bool
    needs_proba: bool
    tasks: tuple[str, ...]

    def score(self, y_true: NDArray[np.int64] | Array, pred: Array) -> float:
        return float(self.fn(y_true, pred))

    def loss(self, y_true: NDArray[np.int64] | Array, pred: Array) -> float:
        value = self.score(y_true, pred)
        return -value if self.greater_is_better else value


def _labels(pred: Array) -> NDArray[np.int64]:
    return (
        (pred[:, 1] >= 0.5).astype(np.int64)
        if pred.ndim == 2 and pred.shape[1] == 2
        else (np.asarray(pred.argmax(axis=1), dtype=np.int64))
    )


def _roc_auc(y: NDArray[np.int64] | Array, p: Array) -> float:
    if p.ndim == 2 and p.shape[1] == 2:
        return float(skm.roc_auc_score(y, p[:, 1]))
    return float(skm.roc_auc_score(y, p, multi_class="ovr", labels=np.arange(p.shape[1])))


def _log_loss(y: NDArray[np.int64] | Array, p: Array) -> float:
    return float(skm.log_loss(y, np.clip(p, 1e-15, 1.0), labels=np.arange(p.shape[1])))


def _f1(y: NDArray[np.int64] | Array, p: Array) -> float:
    average = "binary" if p.shape[1] == 2 else "macro"
    return float(skm.f1_score(y, _labels(p), average=average))


def _precision(y: NDArray[np.int64] | Array, p: Array) -> float:
    average = "binary" if p.shape[1] == 2 else "macro"
    return float(skm.precision_score(y, _labels(p), average=average, zero_division=0))


def _recall(y: NDArray[np.int64] | Array, p: Array) -> float:
    average = "binary" if p.shape[1] == 2 else "macro"
    return float(skm.recall_score(y, _labels(p), average=average, zero_division=0))


CLS = ("binary", "multiclass")
REG = ("regression",)
METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("roc_auc", _roc_auc, True, True, CLS),
        Metric("log_loss", _log_loss, False, True, CLS),
        Metric("accuracy", lambda y, p: skm.accuracy_score(y, _labels(p)), True, True, CLS),
        Metric(
            "balanced_accuracy",
            lambda y, p: skm.balanced_accuracy_score(y, _labels(p)),
            True,
            True,
            CLS,
        ),
        Metric("f1", _f1, True, True, CLS),
        Metric("precision", _precision, True, True, CLS),
        Metric("recall", _recall, True, True, CLS),
        Metric("rmse", lambda y, p: np.sqrt(skm.mean_squared_error(y, p)), False, False, REG),
        Metric("mae", lambda y, p: skm.mean_absolute_error(y, p), False, False, REG),
        Metric("r2", lambda y, p: skm.r2_score(y, p), True, False, REG),
    ]
}
DEFAULT_METRIC = {"binary": "roc_auc", "multiclass": "log_loss", "regression": "rmse"}
REPORT_METRICS = {
    "binary": ["roc_auc", "log_loss", "accuracy", "balanced_accuracy", "precision", "recall", "f1"],
    "multiclass": ["log_loss", "accuracy", "balanced_accuracy", "f1", "roc_auc"],
    "regression": ["rmse", "mae", "r2"],
}


def get_metric(name: str | None, task: str) -> Metric:
    """The metric called ``name`` (or the task's default), checked against the task."""
    chosen = name or DEFAULT_METRIC[task]
    metric = METRICS.get(chosen)
    if metric is None:
        known = ", ".join(m for m, v in METRICS.items() if task in v.tasks)
        raise LeptonError(f"unknown metric {chosen!r} for {task}; choose one of: {known}")
    if task not in metric.tasks:
        known = ", ".join(m for m, v in METRICS.items() if task in v.tasks)
        raise LeptonError(f"metric {chosen!r} does not apply to {task}; choose one of: {known}")
    return metric


def report(task: str, y_true: NDArray[np.int64] | Array, pred: Array) -> dict[str, float]:
    """Every standard metric of the task, for leaderboards and test reports."""
    out: dict[str, float] = {}
    for name in REPORT_METRICS[task]:
        try:
            out[name] = METRICS[name].score(y_true, pred)
        except ValueError:  # e.g. AUC with one class present in a tiny test set
            continue
    return out
