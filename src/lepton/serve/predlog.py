"""The prediction log: every answered request, durable before its answer leaves.

A request appends one JSON line to this server's journal (``lepton.store.journal``), a
single ``write`` on the request path, so a killed server loses no acknowledged
prediction. A flusher thread seals the journal's segment every ``flush_seconds`` (or
``flush_rows``) and hands the sealed segments to the converter, which turns them into
Parquet parts (one per deployment and segment, written under a temporary name and
renamed) and deletes them. In the server the converter is a separate process
(``writer="process"``): decoding JSON, building DataFrames and encoding Parquet holds the
GIL for tens of milliseconds per flush, which would stall the event loop; the server only
sends file names. ``close()`` converts what is left. A crashed server's segments are
converted by the next server or reader of the log (``journal.recover``). Row layout:
``lepton.store.prediction_rows``.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import multiprocessing
import signal
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

from lepton.store.journal import Journal, convert, encode_error, encode_request, held, recover
from lepton.store.log_mirror import LogMirror
from lepton.store.prediction_rows import LoggedRequest, read_log

__all__ = ["LoggedRequest", "PredictionLog", "read_log"]

log = logging.getLogger("lepton.serve.predlog")


FLUSH_SECONDS = 1.0  # how often a server's journal becomes Parquet parts


class PredictionLog:
    """Journal on the request path; Parquet parts in batches, off it."""

    def __init__(
        self,
        root: Path,
        *,
        flush_seconds: float = FLUSH_SECONDS,
        flush_rows: int = 5000,
        writer: str = "thread",
        mirror: LogMirror | None = None,
    ):
        """``mirror``: where parts are shared with other hosts (remote artifact stores)."""
        self.root = root
        self.mirror = mirror
        self._on_part = mirror.push if mirror is not None else None
        recover(root, self._on_part)  # a crashed predecessor's journal, before ours starts
        self._journal = Journal(root)
        self._process = (
            _WriterProcess(root, self._journal.lock_path, mirror) if writer == "process" else None
        )
        self.flush_seconds = flush_seconds
        self.flush_rows = flush_rows
        self._rows = 0
        self._retrying = False
        self._flushing = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="lepton-predlog", daemon=True)
        self.written_rows = 0
        self._thread.start()

    def append(self, item: LoggedRequest) -> None:
        """Journal one answered request; on disk (page cache) when this returns."""
        self._journal.write(encode_request(item))
        self._rows += len(item.records)
        if self._rows >= self.flush_rows:
            self._wake.set()

    def append_error(self, deployment: str, status: int) -> None:
        """Count a refused or failed request, so error-rate alerts can see it."""
        self._journal.write(encode_error(deployment, time.time(), status))

    def flush(self) -> int:
        """Write everything journalled so far as Parquet; returns the number of rows written.

        Flushes run one at a time: a caller (feedback, actuals) that flushes while the
        flusher thread is writing waits for that write, so whatever was appended before
        the call is in the Parquet log when it returns.
        """
        with self._flushing:
            return self._flush()

    def _flush(self) -> int:
        self._rows = 0
        segments = self._journal.seal()
        if not segments:
            return 0
        try:
            written = self._sink(segments, skip_written=self._retrying)
        except Exception:  # keep serving; the segments stay in the journal for the next try
            log.exception("prediction log write failed; will retry")
            self._retrying = True
            return 0
        self._retrying = False
        self._journal.converted(segments)
        self.written_rows += written
        return written

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)
        self.flush()
        if self._process is not None:
            self._process.close()
        self._journal.close()

    def _loop(self) -> None:
        if self.mirror is not None:  # parts an earlier run could not upload
            try:
                self.mirror.push_missing()
            except Exception:
                log.exception("could not compare the local log with the artifact store")
        while not self._stop.is_set():
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            self.flush()
            if self.mirror is not None and self._process is None:
                self.mirror.retry()

    def _sink(self, segments: list[Path], *, skip_written: bool) -> int:
        if self._process is not None and self._process.alive:
            return self._process.write(segments, skip_written=skip_written)
        return convert(self.root, segments, skip_written=skip_written, on_part=self._on_part)


class _WriterProcess:
    """A child process that converts the segments it is sent; each batch is acknowledged."""

    def __init__(self, root: Path, lock_path: Path, mirror: LogMirror | None) -> None:
        context = multiprocessing.get_context("spawn")  # fork is unsafe next to threads
        self._conn, child = context.Pipe()
        self._proc = context.Process(
            target=_writer_main,
            args=(child, str(root), str(lock_path), mirror),
            name="lepton-predlog",
            daemon=True,
        )
        self._proc.start()
        child.close()

    @property
    def alive(self) -> bool:
        return self._proc.is_alive()

    def write(self, segments: list[Path], *, skip_written: bool) -> int:
        self._conn.send(([str(s) for s in segments], skip_written))
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


def _writer_main(conn: Connection, root: str, lock_path: str, mirror: LogMirror | None) -> None:
    # the parent decides when to stop (it flushes first): Ctrl-C on the terminal's process
    # group or a SIGTERM must not kill the writer before the last batch is written
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # while we convert, the journal is not a dead writer's, even if the server just died
    with held(Path(lock_path), fcntl.LOCK_SH):
        while True:
            try:
                message = conn.recv()
            except EOFError:  # the server is gone
                return
            if message is None:
                return
            names, skip_written = message
            try:
                segments = [Path(n) for n in names]
                on_part = mirror.push if mirror is not None else None
                rows = convert(Path(root), segments, skip_written=skip_written, on_part=on_part)
                conn.send(("ok", rows))
            except Exception as exc:
                conn.send(("error", f"{type(exc).__name__}: {exc}"))
