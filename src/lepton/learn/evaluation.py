"""How good a trained model is: held-out metrics, confusion matrix, calibration, importance."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.errors import DataError
from lepton.learn.metrics import get_metric, report
from lepton.runtime.package import NativeModel


def evaluate(model: NativeModel, frame: pd.DataFrame) -> dict[str, Any]:
    """Every task metric on labelled rows, plus a confusion matrix and calibration for classifiers."""
    if model.target_name not in frame.columns:
        raise DataError(f"evaluation data has no target column {model.target_name!r}")
    labelled = frame[frame[model.target_name].notna()]
    y = model.target.encode(labelled[model.target_name])
    pred = model.predict_raw(labelled.drop(columns=[model.target_name]))
    out: dict[str, Any] = {"n_rows": len(labelled), "metrics": report(model.task, y, pred)}
    if model.task != "regression":
        k = len(model.labels)
        matrix = np.zeros((k, k), dtype=np.int64)
        np.add.at(matrix, (y, pred.argmax(axis=1)), 1)
        out["confusion_matrix"] = {
            "labels": [str(v) for v in model.labels],
            "counts": matrix.tolist(),
        }
        out["per_class"] = per_class(y, pred.argmax(axis=1), model.labels)
        out["calibration"] = calibration(y, pred)
    return out


def per_class(
    y: NDArray[np.int64], predicted: NDArray[Any], labels: list[Any]
) -> list[dict[str, Any]]:
    """Precision, recall, F1 and support of every class (where a macro average hides one)."""
    from sklearn.metrics import precision_recall_fscore_support

    precision, recall, f1, support = precision_recall_fscore_support(
        y, predicted, labels=np.arange(len(labels)), zero_division=0
    )
    return [
        {
            "label": str(label),
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        for i, label in enumerate(labels)
    ]


def calibration(y: NDArray[np.int64], proba: NDArray[np.float64], bins: int = 10) -> dict[str, Any]:
    """Reliability of the top-class probability: expected calibration error and its bins."""
    confidence = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == y).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    rows, ece = [], 0.0
    for b in range(bins):
        mask = which == b
        if not mask.any():
            continue
        conf, acc = float(confidence[mask].mean()), float(correct[mask].mean())
        ece += mask.mean() * abs(conf - acc)
        rows.append(
            {
                "bin": [float(edges[b]), float(edges[b + 1])],
                "n": int(mask.sum()),
                "confidence": conf,
                "accuracy": acc,
            }
        )
    return {"ece": float(ece), "bins": rows, "well_calibrated": bool(ece < 0.05)}


MIN_IMPORTANCE_ROWS = 200


@dataclass(frozen=True)
class Importance:
    """Permutation importance and how it was measured (or why it was not)."""

    rows: list[dict[str, Any]]
    n_rows: int = 0
    repeats: int = 0
    seconds: float = 0.0
    skipped: str | None = None  # the reason, when it did not fit in the time left


def permutation_importance(
    model: NativeModel,
    frame: pd.DataFrame,
    *,
    metric: str | None = None,
    max_rows: int = 2000,
    repeats: int = 2,
    seed: int = 0,
    deadline: float | None = None,
) -> Importance:
    """Loss increase when each input column is shuffled (bigger = more important).

    Why a ``deadline``: this is one predict per column and repeat, after the search; on a
    wide table or a big ensemble it took 40 s past a 60 s budget. With a deadline (a
    ``time.time()``), one predict on the sample is timed first and the rows, then the
    repeats, shrink to what fits; when even ``MIN_IMPORTANCE_ROWS`` rows once per column
    do not fit, it is skipped with the reason (``lepton models explain`` computes it on
    demand, without a clock).
    """
    started = time.time()
    if deadline is not None and deadline <= started:  # not even the first predict fits
        return Importance(
            [], skipped=f"found the budget spent {started - deadline:.1f} s before it began"
        )
    rng = np.random.default_rng(seed)
    if len(frame) > max_rows:
        frame = frame.sample(n=max_rows, random_state=seed)
    labelled = frame[frame[model.target_name].notna()].reset_index(drop=True)
    y = model.target.encode(labelled[model.target_name])
    features = labelled.drop(columns=[model.target_name])
    chosen = get_metric(metric, model.task)
    base = chosen.loss(y, model.predict_raw(features))
    columns = list(model.input_columns)
    if deadline is not None and columns:
        per_row = (time.time() - started) / max(len(features), 1)
        left = deadline - time.time()
        affordable = left / (per_row * len(columns)) if per_row > 0 else float("inf")
        if affordable < MIN_IMPORTANCE_ROWS:
            needed = per_row * len(columns) * MIN_IMPORTANCE_ROWS
            return Importance(
                [],
                skipped=f"needs ~{needed:.1f} s and {max(left, 0):.1f} s of the budget were left",
            )
        n_rows = min(len(features), int(affordable))
        repeats = max(1, min(repeats, int(affordable // max(n_rows, 1))))
        if n_rows < len(features):
            keep = rng.choice(len(features), size=n_rows, replace=False)
            features = features.iloc[keep].reset_index(drop=True)
            y = y[keep]
            base = chosen.loss(y, model.predict_raw(features))
    rows: list[dict[str, Any]] = []
    for column in columns:
        deltas = []
        for _ in range(repeats):
            shuffled = features.copy()
            shuffled[column] = rng.permutation(shuffled[column].to_numpy())
            deltas.append(chosen.loss(y, model.predict_raw(shuffled)) - base)
        rows.append(
            {"feature": column, "importance": float(np.mean(deltas)), "std": float(np.std(deltas))}
        )
    rows.sort(key=lambda r: -float(r["importance"]))
    return Importance(rows, len(features), repeats, time.time() - started)
