"""The prediction log: every answered row, appended off the request path.

Requests only append a small tuple to an in-memory buffer. A writer thread turns the
buffer into Parquet files (one per deployment and flush) every ``flush_seconds`` or
``flush_rows``, each written to a temporary name and renamed, so a reader never sees a
half-written file. ``close()`` flushes what is left: a graceful shutdown loses no
acknowledged prediction. The monitor reads these files (DuckDB/pandas over Parquet).

Layout: ``<root>/<deployment>/date=YYYY-MM-DD/part-<epoch_ms>-<uuid>.parquet`` with
columns ``request_id, row, ts, deployment, model, version, role, latency_ms``,
``in_<column>`` per input and ``out_prediction`` (+ ``out_p_<label>`` per class).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.store.logs import write_part

log = logging.getLogger("lepton.serve.predlog")


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


class PredictionLog:
    """Buffered, asynchronous, atomic Parquet writer for served predictions."""

    def __init__(self, root: Path, *, flush_seconds: float = 1.0, flush_rows: int = 5000):
        self.root = root
        self.flush_seconds = flush_seconds
        self.flush_rows = flush_rows
        self._buffer: list[LoggedRequest] = []
        self._errors: list[tuple[str, float, int]] = []  # (deployment, ts, status)
        self._rows = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="lepton-predlog", daemon=True)
        self.written_rows = 0
        self._thread.start()

    def append(self, item: LoggedRequest) -> None:
        with self._lock:
            self._buffer.append(item)
            self._rows += len(item.records)
            full = self._rows >= self.flush_rows
        if full:
            self._wake.set()

    def append_error(self, deployment: str, status: int) -> None:
        """Count a refused or failed request, so error-rate alerts can see it."""
        with self._lock:
            self._errors.append((deployment, time.time(), status))

    def flush(self) -> int:
        """Write everything buffered now; returns the number of rows written."""
        with self._lock:
            items, self._buffer, self._rows = self._buffer, [], 0
            errors, self._errors = self._errors, []
        if errors:
            self._write_errors(errors)
        if not items:
            return 0
        by_deployment: dict[str, list[LoggedRequest]] = defaultdict(list)
        for item in items:
            by_deployment[item.deployment].append(item)
        written = 0
        for deployment, group in by_deployment.items():
            try:
                written += self._write(deployment, group)
            except Exception:  # keep serving; put the rows back for the next attempt
                log.exception("prediction log write failed for %s; will retry", deployment)
                with self._lock:
                    self._buffer[:0] = group
                    self._rows += sum(len(g.records) for g in group)
        self.written_rows += written
        return written

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)
        self.flush()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            self.flush()

    def _write(self, deployment: str, group: list[LoggedRequest]) -> int:
        frame = to_frame(group)
        write_part(self.root / deployment, frame)
        return len(frame)

    def _write_errors(self, errors: list[tuple[str, float, int]]) -> None:
        frame = pd.DataFrame(errors, columns=["deployment", "ts", "status"])
        frame["ts"] = pd.to_datetime(frame["ts"], unit="s", utc=True)
        for deployment, group in frame.groupby("deployment"):
            try:
                write_part(self.root.parent / "errors" / str(deployment), group)
            except Exception:
                log.exception("error log write failed for %s", deployment)


def to_frame(group: list[LoggedRequest]) -> pd.DataFrame:
    """Flatten logged requests into one row per predicted record."""
    meta: dict[str, list[Any]] = defaultdict(list)
    inputs: list[dict[str, Any]] = []
    outputs: list[NDArray[Any]] = []
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
        outputs.append(np.asarray(item.outputs))
    frame = pd.DataFrame(meta)
    frame["ts"] = pd.to_datetime(frame["ts"], unit="s", utc=True)
    features = pd.DataFrame.from_records(inputs).add_prefix("in_")
    parts = [frame, features]
    labels = group[0].labels
    stacked = np.concatenate(outputs, axis=0) if outputs else np.zeros(0)
    if labels is not None and stacked.ndim == 2:
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
