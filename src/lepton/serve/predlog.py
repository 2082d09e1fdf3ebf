"""The prediction log: every answered row, appended off the request path.

Requests only append a small tuple to an in-memory buffer. A flusher thread hands the
buffer over every ``flush_seconds`` or ``flush_rows`` to the writer, which turns it into
Parquet files (one per deployment and flush), each written to a temporary name and
renamed, so a reader never sees a half-written file. In the server the writer is a
separate process (``writer="process"``): building DataFrames and encoding Parquet holds
the GIL for tens of milliseconds per flush, which would stall the event loop; the server
only pays for pickling the batch. ``close()`` flushes what is left and waits for the
writer: a graceful shutdown loses no acknowledged prediction. The monitor reads these
files (DuckDB/pandas over Parquet).

Layout: ``<root>/<deployment>/date=YYYY-MM-DD/part-<epoch_ms>-<uuid>.parquet`` with
columns ``request_id, row, ts, deployment, model, version, role, latency_ms``,
``in_<column>`` per input and ``out_prediction`` (+ ``out_p_<label>`` per class).
Forecasts log one row per (series, step): ``in_series, in_time, in_step, in_level``,
``out_prediction`` (the mean) and ``out_q<level>`` per quantile.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from multiprocessing.connection import Connection
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
    values: bool = False  # forecasts: outputs are values named by labels (mean, q0.1, …)


class PredictionLog:
    """Buffered, asynchronous, atomic Parquet writer for served predictions."""

    def __init__(
        self,
        root: Path,
        *,
        flush_seconds: float = 1.0,
        flush_rows: int = 5000,
        writer: str = "thread",
    ):
        self.root = root
        self._process = _WriterProcess(root) if writer == "process" else None
        self.flush_seconds = flush_seconds
        self.flush_rows = flush_rows
        self._buffer: list[LoggedRequest] = []
        self._errors: list[tuple[str, float, int]] = []  # (deployment, ts, status)
        self._rows = 0
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
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
        """Write everything buffered now; returns the number of rows written.

        Flushes run one at a time: a caller (feedback, actuals) that flushes while the
        flusher thread is writing waits for that write, so whatever was appended before
        the call is on disk when it returns.
        """
        with self._flushing:
            return self._flush()

    def _flush(self) -> int:
        with self._lock:
            items, self._buffer, self._rows = self._buffer, [], 0
            errors, self._errors = self._errors, []
        if not items and not errors:
            return 0
        groups: dict[str, list[LoggedRequest]] = defaultdict(list)
        for item in items:
            groups[item.deployment].append(item)
        try:
            written = self._sink(dict(groups), errors)
        except Exception:  # keep serving; put the rows back for the next attempt
            log.exception("prediction log write failed; will retry")
            with self._lock:
                self._buffer[:0] = items
                self._errors[:0] = errors
                self._rows += sum(len(i.records) for i in items)
            return 0
        self.written_rows += written
        return written

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)
        self.flush()
        if self._process is not None:
            self._process.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            self.flush()

    def _sink(self, groups: dict[str, list[LoggedRequest]], errors: list[ErrorEvent]) -> int:
        if self._process is not None and self._process.alive:
            return self._process.write(groups, errors)
        return write_groups(self.root, groups, errors)


ErrorEvent = tuple[str, float, int]  # (deployment, ts, status)


def write_groups(
    root: Path, groups: dict[str, list[LoggedRequest]], errors: list[ErrorEvent]
) -> int:
    """Write one Parquet part per deployment (and the error events); returns rows written."""
    written = 0
    for deployment, group in groups.items():
        frame = to_frame(group)
        write_part(root / deployment, frame)
        written += len(frame)
    if errors:
        events = pd.DataFrame(errors, columns=["deployment", "ts", "status"])
        events["ts"] = pd.to_datetime(events["ts"], unit="s", utc=True)
        for name, part in events.groupby("deployment"):
            write_part(root.parent / "errors" / str(name), part)
    return written


class _WriterProcess:
    """A child process that writes batches it is sent; each write is acknowledged."""

    def __init__(self, root: Path) -> None:
        context = multiprocessing.get_context("spawn")  # fork is unsafe next to threads
        self._conn, child = context.Pipe()
        self._proc = context.Process(
            target=_writer_main, args=(child, str(root)), name="lepton-predlog", daemon=True
        )
        self._proc.start()
        child.close()

    @property
    def alive(self) -> bool:
        return self._proc.is_alive()

    def write(self, groups: dict[str, list[LoggedRequest]], errors: list[ErrorEvent]) -> int:
        self._conn.send((groups, errors))
        status, value = self._conn.recv()  # waits without the GIL
        if status != "ok":
            raise RuntimeError(f"prediction log writer: {value}")
        return int(value)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._conn.send(None)
        self._proc.join(timeout=30)
        if self._proc.is_alive():
            self._proc.terminate()


def _writer_main(conn: Connection, root: str) -> None:
    # the parent decides when to stop (it flushes first): Ctrl-C on the terminal's process
    # group or a SIGTERM must not kill the writer before the last batch is written
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        try:
            message = conn.recv()
        except EOFError:  # the server is gone
            return
        if message is None:
            return
        groups, errors = message
        try:
            conn.send(("ok", write_groups(Path(root), groups, errors)))
        except Exception as exc:
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


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
