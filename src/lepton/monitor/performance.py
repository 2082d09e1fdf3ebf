"""Live performance: task metrics from predictions joined with ground truth.

Metrics are computed with the same functions training used (``lepton.learn.metrics``),
from the probabilities the server logged, per version and per time bucket, and set next
to the metrics measured at training time so a decay is visible as a difference.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.learn.metrics import report
from lepton.monitor.drift import FeatureDrift
from lepton.runtime.manifest import PackageManifest
from lepton.store.project import Project

COLUMNS = ["version", "metric", "live", "n", "training", "change"]
OVER_TIME = ["ts", "version", "metric", "value", "n"]


@dataclass
class LivePerformance:
    """What a kind's ``live_performance`` part measures from labelled traffic."""

    metrics: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=COLUMNS))
    over_time: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=OVER_TIME))
    residual_drift: FeatureDrift | None = None  # forecasts: live vs backtest errors


def labelled_performance(
    project: Project, model: str, manifest: PackageManifest, labelled: pd.DataFrame, bucket: str
) -> LivePerformance:
    """Tables, texts, images: the task's metrics on predictions that have feedback."""
    labels = manifest.labels
    return LivePerformance(
        live_metrics(labelled, manifest.task, labels, training=training_metrics(manifest.metrics)),
        metrics_over_time(labelled, manifest.task, labels, bucket=bucket),
    )


def _scores(task: str, labels: list[Any], frame: pd.DataFrame) -> dict[str, float]:
    if task == "regression":
        truth = pd.to_numeric(frame["label"], errors="coerce").to_numpy(dtype=float)
        pred = frame["out_prediction"].to_numpy(dtype=float)
        keep = ~np.isnan(truth)
        return report(task, truth[keep], pred[keep]) if keep.any() else {}
    names = [str(label) for label in labels]
    index = {name: i for i, name in enumerate(names)}
    codes = frame["label"].astype(str).map(index)
    keep = codes.notna().to_numpy()
    if not keep.any():
        return {}
    y: NDArray[np.int64] = np.asarray(codes[keep].to_numpy(), dtype=np.int64)
    proba = frame.loc[keep, [f"out_p_{name}" for name in names]].to_numpy(dtype=float)
    return report(task, y, proba)


def live_metrics(
    labelled: pd.DataFrame,
    task: str,
    labels: list[Any],
    *,
    training: dict[str, float] | None = None,
) -> pd.DataFrame:
    """One row per (version, metric): live value, labelled rows, training value, change."""
    rows = []
    if labelled.empty:
        return pd.DataFrame(columns=["version", "metric", "live", "n", "training", "change"])
    for version, group in labelled.groupby("version"):
        for metric, value in _scores(task, labels, group).items():
            trained = (training or {}).get(metric)
            rows.append(
                {
                    "version": int(str(version)),
                    "metric": metric,
                    "live": value,
                    "n": len(group),
                    "training": trained,
                    "change": None if trained is None else value - trained,
                }
            )
    return pd.DataFrame(rows)


def metrics_over_time(
    labelled: pd.DataFrame, task: str, labels: list[Any], *, bucket: str = "1h"
) -> pd.DataFrame:
    """Metrics per time bucket and version, for plots: columns ts, version, metric, value, n."""
    if labelled.empty:
        return pd.DataFrame(columns=["ts", "version", "metric", "value", "n"])
    rows = []
    frame = labelled.assign(bucket=labelled["ts"].dt.floor(bucket))
    for (ts, version), group in frame.groupby(["bucket", "version"]):
        for metric, value in _scores(task, labels, group).items():
            rows.append(
                {
                    "ts": ts,
                    "version": int(str(version)),
                    "metric": metric,
                    "value": value,
                    "n": len(group),
                }
            )
    return pd.DataFrame(rows)


def training_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """What a package's metrics say was measured at training time: test metrics, else CV."""
    if "test" in metrics:
        return {k: float(v) for k, v in metrics["test"].get("metrics", {}).items()}
    cv = metrics.get("cv")
    return {cv["metric"]: float(cv["value"])} if cv else {}


def scored_per_version(
    labelled: pd.DataFrame,
    score: Callable[[pd.DataFrame], dict[str, float]],
    trained: dict[str, float],
    bucket: str,
) -> LivePerformance:
    """Live metrics by ``score`` per version (next to the training value) and per time bucket:
    the shape every kind with its own live metric shares (rules' hit rate, NER's F1)."""
    rows, over = [], []
    for version, group in labelled.groupby("version"):
        for metric, value in score(group).items():
            before = trained.get(metric)
            rows.append(
                {
                    "version": int(str(version)),
                    "metric": metric,
                    "live": value,
                    "n": len(group),
                    "training": before,
                    "change": None if before is None else value - before,
                }
            )
    frame = labelled.assign(bucket=labelled["ts"].dt.floor(bucket))
    for (when, number), group in frame.groupby(["bucket", "version"]):
        for metric, value in score(group).items():
            over.append(
                {
                    "ts": when,
                    "version": int(str(number)),
                    "metric": metric,
                    "value": value,
                    "n": len(group),
                }
            )
    return LivePerformance(
        pd.DataFrame(rows, columns=COLUMNS), pd.DataFrame(over, columns=OVER_TIME)
    )
