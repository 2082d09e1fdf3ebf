"""Rows of the prediction log: what one answered request is, and how it becomes Parquet.

Shared by the server's log writer, the journal's recovery and the readers, so the
layout is defined once. Layout: ``<root>/<deployment>/date=YYYY-MM-DD/part-*.parquet``
with columns ``request_id, row, ts, deployment, model, version, role, latency_ms``,
``in_<column>`` per input and ``out_prediction`` (+ ``out_p_<label>`` per class).
Forecasts log one row per (series, step): ``in_series, in_time, in_step, in_level``,
``out_prediction`` (the mean) and ``out_q<level>`` per quantile.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.store.logs import write_part


@dataclass
class LoggedRequest:
    request_id: str
    ts: float
    deployment: str
    model: str
    version: int
    role: str  # "primary" or "shadow"
    latency_ms: float
    records: list[dict[str, Any]]
    outputs: NDArray[Any]
    labels: list[Any] | None  # class labels for classifiers; None for regression
    values: bool = False  # forecasts: outputs are values named by labels (mean, q0.1, …)


ErrorEvent = tuple[str, float, int]  # (deployment, ts, status)


def write_groups(
    root: Path,
    groups: dict[str, list[LoggedRequest]],
    errors: list[ErrorEvent],
    *,
    tag: str | None = None,
    on_part: Callable[[Path], Any] | None = None,
) -> int:
    """Write one Parquet part per deployment (and the error events); returns rows written.

    ``tag`` goes into the part names (the journal's writer and segment: see
    ``lepton.store.journal``); ``on_part`` is told of each part written (the log mirror).
    """
    written = 0
    parts = []
    for deployment, group in groups.items():
        frame = to_frame(group)
        parts.append(write_part(root / deployment, frame, tag=tag))
        written += len(frame)
    if errors:
        events = pd.DataFrame(errors, columns=["deployment", "ts", "status"])
        events["ts"] = pd.to_datetime(events["ts"], unit="s", utc=True)
        for name, part in events.groupby("deployment"):
            parts.append(write_part(root.parent / "errors" / str(name), part, tag=tag))
    if on_part is not None:
        for path in parts:
            on_part(path)
    return written


def to_frame(group: list[LoggedRequest]) -> pd.DataFrame:
    """Flatten logged requests into one row per predicted record."""
    meta: dict[str, list[Any]] = defaultdict(list)
    inputs: list[dict[str, Any]] = []
    outputs: list[Any] = []  # one entry per row: stacked once (the journal's are lists)
    for item in group:
        n = len(item.records)
        meta["request_id"].extend([item.request_id] * n)
        meta["row"].extend(range(n))
        meta["ts"].extend([item.ts] * n)
        meta["deployment"].extend([item.deployment] * n)
        meta["model"].extend([item.model] * n)
        meta["version"].extend([item.version] * n)
        meta["role"].extend([item.role] * n)
        meta["latency_ms"].extend([item.latency_ms] * n)
        inputs.extend(item.records)
        out = item.outputs
        outputs.extend(out.tolist() if isinstance(out, np.ndarray) else out)
    frame = pd.DataFrame(meta)
    frame["ts"] = pd.to_datetime(frame["ts"], unit="s", utc=True)
    features = pd.DataFrame.from_records(inputs).add_prefix("in_")
    parts = [frame, features]
    labels = group[0].labels
    stacked = np.asarray(outputs) if outputs else np.zeros(0)
    if group[0].values and labels is not None and stacked.ndim == 2:
        # forecasts: out_prediction is the mean, out_<quantile> each quantile (out_q0.1, …)
        named = pd.DataFrame(stacked[:, 1:], columns=[f"out_{label}" for label in labels[1:]])
        parts.append(pd.DataFrame({"out_prediction": stacked[:, 0].astype(float)}))
        parts.append(named)
    elif labels is not None and stacked.ndim == 2:
        probs = pd.DataFrame(stacked, columns=[f"out_p_{label}" for label in labels])
        predicted = np.asarray(labels, dtype=object)[stacked.argmax(axis=1)]
        parts.append(pd.DataFrame({"out_prediction": predicted.astype(str)}))
        parts.append(probs)
    else:
        parts.append(pd.DataFrame({"out_prediction": stacked.astype(float)}))
    return pd.concat(parts, axis=1)


def read_log(root: Path, deployment: str | None = None) -> pd.DataFrame:
    """Every logged row (of one deployment, or all), oldest first."""
    base = root / deployment if deployment else root
    files = sorted(base.rglob("part-*.parquet")) if base.exists() else []
    if not files:
        return pd.DataFrame()
    frame = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    return frame.sort_values(["ts", "request_id", "row"], ignore_index=True)
