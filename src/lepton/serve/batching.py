"""Adaptive batching: coalesce concurrent requests into one model call.

One worker task per deployed version drains a bounded queue. When the model is free it
takes everything already waiting (up to ``max_batch_size`` rows), so under load batches
grow by themselves while the previous call runs. It waits for more rows only when the
measurements say it pays: requests arrive faster than the model's fixed per-call cost
(estimated by regressing call time on batch size over recent calls), and never longer
than that cost or the latency budget. At low load nothing waits.

Model calls run in a thread pool, off the event loop. A call that raises fails every
request of its batch with that exception, and the worker goes on with the next batch. A
full queue raises ``Overloaded`` (the server answers 503 with ``Retry-After``) instead
of growing memory.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lepton.errors import LeptonError

PredictFn = Callable[[list[dict[str, Any]]], NDArray[Any]]
BatchObserver = Callable[[int, float], None]


class Overloaded(LeptonError):
    """The deployment's queue is full; the client should retry shortly."""

    http_status = 503


class WorkerClosed(LeptonError):
    """The worker was retired by a hot swap; the caller retries on the current version."""

    http_status = 503


@dataclass
class _Pending:
    records: list[dict[str, Any]]
    future: asyncio.Future[NDArray[Any]]
    enqueued: float


@dataclass
class CostModel:
    """Online estimate of ``seconds = fixed + per_row * rows`` for one model call."""

    samples: deque[tuple[int, float]] = field(default_factory=lambda: deque(maxlen=128))

    def observe(self, rows: int, seconds: float) -> None:
        self.samples.append((rows, seconds))

    def estimate(self) -> tuple[float, float]:
        if len(self.samples) < 4:
            return 0.0, 0.0
        rows = np.array([s[0] for s in self.samples], dtype=float)
        secs = np.array([s[1] for s in self.samples], dtype=float)
        if np.ptp(rows) == 0:
            return float(np.median(secs)), 0.0
        slope, intercept = np.polyfit(rows, secs, 1)
        return max(float(intercept), 0.0), max(float(slope), 0.0)

    def predict(self, rows: int) -> float:
        fixed, per_row = self.estimate()
        return fixed + per_row * rows


class AdaptiveBatcher:
    """Queue + worker that turns many small requests into few model calls."""

    def __init__(
        self,
        predict: PredictFn,
        executor: Executor,
        *,
        max_batch_size: int = 256,
        max_latency_ms: float = 10.0,
        max_queue: int = 2048,
        on_batch: BatchObserver | None = None,
    ) -> None:
        self.predict = predict
        self.executor = executor
        self.max_batch_size = max_batch_size
        self.max_latency = max_latency_ms / 1000.0
        self.max_queue = max_queue
        self.on_batch = on_batch
        self.cost = CostModel()
        self._queue: deque[_Pending] = deque()
        self._queued_rows = 0
        self._wakeup = asyncio.Event()
        self._closed = False
        self._task: asyncio.Task[None] | None = None
        self._last_arrival = 0.0
        self._gap = 1.0  # EWMA of seconds between arrivals
        self.rows_per_request = 1.0  # EWMA: how many requests the queue holds (admission)

    @property
    def queue_depth(self) -> int:
        return self._queued_rows

    @property
    def request_capacity(self) -> float:
        """How many requests of the usual size the queue holds."""
        return self.max_queue / max(self.rows_per_request, 1.0)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def submit(self, records: list[dict[str, Any]]) -> NDArray[Any]:
        """Predict ``records`` as part of some batch; returns their rows of the output."""
        if self._closed:
            raise WorkerClosed("this version was swapped out")
        if self._queued_rows + len(records) > self.max_queue and self._queue:
            raise Overloaded(
                f"deployment queue is full ({self._queued_rows} rows waiting); retry shortly"
            )
        now = time.perf_counter()
        self.rows_per_request += 0.1 * (len(records) - self.rows_per_request)
        if self._last_arrival:
            self._gap = 0.8 * self._gap + 0.2 * (now - self._last_arrival)
        self._last_arrival = now
        future: asyncio.Future[NDArray[Any]] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(records, future, now))
        self._queued_rows += len(records)
        self._wakeup.set()
        return await future

    async def close(self) -> None:
        """Stop accepting work, finish everything already queued, then stop the worker."""
        self._closed = True
        self._wakeup.set()
        if self._task is not None:
            await self._task

    def _take(self, batch: list[_Pending], rows: int) -> int:
        while self._queue and rows + len(self._queue[0].records) <= self.max_batch_size:
            item = self._queue.popleft()
            self._queued_rows -= len(item.records)
            batch.append(item)
            rows += len(item.records)
        return rows

    def _window(self, rows: int) -> float:
        """How long waiting for more rows pays, from measured arrival gap and call cost."""
        fixed, _ = self.cost.estimate()
        if fixed <= 0 or self._gap >= fixed or rows >= self.max_batch_size:
            return 0.0
        return min(fixed, self.max_latency, self._gap * (self.max_batch_size - rows))

    async def _run(self) -> None:
        while True:
            if not self._queue:
                if self._closed:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            first = self._queue.popleft()
            self._queued_rows -= len(first.records)
            batch = [first]
            rows = self._take(batch, len(first.records))
            window = self._window(rows)
            if window > 0 and not self._closed:
                deadline = first.enqueued + window
                while rows < self.max_batch_size and time.perf_counter() < deadline:
                    self._wakeup.clear()
                    try:
                        await asyncio.wait_for(
                            self._wakeup.wait(), max(deadline - time.perf_counter(), 0)
                        )
                    except TimeoutError:
                        break
                    rows = self._take(batch, rows)
            await self._call(batch, rows)

    async def _call(self, batch: list[_Pending], rows: int) -> None:
        """One model call for ``batch``; whatever fails reaches every caller, never the worker."""
        records = [r for item in batch for r in item.records]
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        try:
            output = await loop.run_in_executor(self.executor, self.predict, records)
            if len(output) != rows:
                raise RuntimeError(f"the model answered {len(output)} rows for {rows}")
            elapsed = time.perf_counter() - started
            self.cost.observe(rows, elapsed)
            if self.on_batch is not None:
                self.on_batch(rows, elapsed)
        except Exception as exc:
            for item in batch:
                if not item.future.done():
                    item.future.set_exception(exc)
            return
        offset = 0
        for item in batch:
            n = len(item.records)
            if not item.future.done():
                item.future.set_result(output[offset : offset + n])
            offset += n
