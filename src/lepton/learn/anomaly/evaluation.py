"""Score an anomaly model on held-out rows (``--test``): its flag rate, and with the label
column present, ROC-AUC, average precision and the flags' precision and recall."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.metrics import average_precision_score, precision_score, recall_score, roc_auc_score

from lepton.learn.anomaly.model import AnomalyModel


def flag_metrics(
    truth: NDArray[np.int64], score: NDArray[np.float64], flag: NDArray[np.int64]
) -> dict[str, float]:
    """ROC-AUC, average precision, precision, recall of ``flag`` against 0/1 ``truth``."""
    out = {"anomaly_rate": float(flag.mean())}
    if len(np.unique(truth)) == 2:
        out["roc_auc"] = float(roc_auc_score(truth, score))
        out["average_precision"] = float(average_precision_score(truth, score))
    out["precision"] = float(precision_score(truth, flag, zero_division=0))
    out["recall"] = float(recall_score(truth, flag, zero_division=0))
    return out


def evaluate_anomaly(model: AnomalyModel, frame: pd.DataFrame) -> dict[str, Any]:
    outputs = model.predict_raw(frame)
    flag = outputs[:, 1].astype(np.int64)
    metrics: dict[str, float] = {"anomaly_rate": float(flag.mean())}
    if model.label is not None and model.label in frame.columns:
        truth = (frame[model.label] == model.positive).to_numpy(dtype=np.int64)
        metrics = flag_metrics(truth, outputs[:, 0], flag)
    return {"n_rows": len(frame), "metrics": metrics}
