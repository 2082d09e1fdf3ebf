"""Live anomaly monitoring: the flag rate against training's, and labelled precision/recall/AUC.

Why the rate: with no labels coming back, the share of rows flagged is the signal an
anomaly detector gives. It was ``contamination`` on the training rows by construction;
a live rate far above it means either an incident or inputs that moved away from the
training data, and a ``metric_above`` alert on ``anomaly_rate`` catches both::

    [[lepton.alerts]]
    kind = "metric_above"
    metric = "anomaly_rate"
    threshold = 0.15
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lepton.learn.anomaly.evaluation import flag_metrics
from lepton.monitor.performance import COLUMNS, OVER_TIME, LivePerformance
from lepton.runtime.manifest import PackageManifest
from lepton.store.project import Project

FLAG = "out_is_anomaly"
SCORE = "out_prediction"


def _training(manifest: PackageManifest) -> dict[str, float]:
    extra = manifest.extra.get("anomaly", {})
    out = {"anomaly_rate": float(extra.get("training_rate", extra.get("contamination", 0.0)))}
    for key, value in manifest.metrics.get("test", {}).get("metrics", {}).items():
        out.setdefault(key, float(value))
    return out


def _row(version: Any, metric: str, live: float, n: int, training: float | None) -> dict[str, Any]:
    change = None if training is None else live - training
    return {
        "version": int(str(version)),
        "metric": metric,
        "live": live,
        "n": n,
        "training": training,
        "change": change,
    }


def anomaly_rate(manifest: PackageManifest, log: pd.DataFrame) -> pd.DataFrame:
    """Per version: the live share of flagged rows against the training rate."""
    if log.empty or FLAG not in log.columns:
        return pd.DataFrame(columns=COLUMNS)
    trained = _training(manifest)["anomaly_rate"]
    rows = [
        _row(v, "anomaly_rate", float(g[FLAG].astype(float).mean()), len(g), trained)
        for v, g in log.groupby("version")
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def _truth(labels: pd.Series) -> np.ndarray:
    text = labels.astype(str).str.lower()
    return text.isin(["1", "1.0", "true", "yes", "anomaly"]).to_numpy(dtype=np.int64)


def anomaly_performance(
    project: Project, model: str, manifest: PackageManifest, labelled: pd.DataFrame, bucket: str
) -> LivePerformance:
    """Precision, recall, ROC-AUC of the live flags and scores, once labels are fed back."""
    if labelled.empty or FLAG not in labelled.columns:
        return LivePerformance()
    training = _training(manifest)
    rows, over_time = [], []
    for version, group in labelled.groupby("version"):
        truth = _truth(group["label"])
        scores = flag_metrics(
            truth, group[SCORE].to_numpy(float), group[FLAG].to_numpy(float).astype(np.int64)
        )
        for metric, value in scores.items():
            if metric != "anomaly_rate":
                rows.append(_row(version, metric, value, len(group), training.get(metric)))
    frame = labelled.assign(bucket=labelled["ts"].dt.floor(bucket))
    for (ts, key), group in frame.groupby(["bucket", "version"]):
        truth = _truth(group["label"])
        flags = group[FLAG].to_numpy(float).astype(np.int64)
        for metric, value in flag_metrics(truth, group[SCORE].to_numpy(float), flags).items():
            over_time.append(
                {
                    "ts": ts,
                    "version": int(str(key)),
                    "metric": metric,
                    "value": value,
                    "n": len(group),
                }
            )
    return LivePerformance(
        pd.DataFrame(rows, columns=COLUMNS), pd.DataFrame(over_time, columns=OVER_TIME)
    )
