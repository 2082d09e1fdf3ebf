from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from lepton.serve.batching import AdaptiveBatcher, CostModel, Overloaded, WorkerClosed


class SlowModel:
    """Costs 20 ms per call plus a little per row, like a real model with fixed overhead."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.lock = threading.Lock()

    def __call__(self, records: list[dict[str, Any]]) -> np.ndarray:
        time.sleep(0.02 + 0.0001 * len(records))
        with self.lock:
            self.calls.append(len(records))
        return np.array([[r["x"], -r["x"]] for r in records], dtype=float)


def test_concurrent_requests_share_model_calls_and_get_their_own_rows() -> None:
    model = SlowModel()

    async def scenario() -> list[np.ndarray]:
        with ThreadPoolExecutor(1) as pool:
            batcher = AdaptiveBatcher(model, pool, max_batch_size=64, max_latency_ms=50)
            batcher.start()
            results = await asyncio.gather(
                *(batcher.submit([{"x": i}, {"x": i + 0.5}]) for i in range(40))
            )
            await batcher.close()
            return list(results)

    results = asyncio.run(scenario())
    for i, out in enumerate(results):
        assert out.tolist() == [[i, -i], [i + 0.5, -(i + 0.5)]]
    assert sum(model.calls) == 80
    assert len(model.calls) < 10  # 40 requests coalesced into a handful of calls
    assert max(model.calls) <= 64


def test_a_full_queue_is_refused_not_buffered() -> None:
    model = SlowModel()

    async def scenario() -> tuple[int, int]:
        with ThreadPoolExecutor(1) as pool:
            batcher = AdaptiveBatcher(model, pool, max_batch_size=4, max_queue=8)
            batcher.start()
            outcomes = await asyncio.gather(
                *(batcher.submit([{"x": i}]) for i in range(30)), return_exceptions=True
            )
            await batcher.close()
        refused = sum(isinstance(o, Overloaded) for o in outcomes)
        return refused, sum(isinstance(o, np.ndarray) for o in outcomes)

    refused, answered = asyncio.run(scenario())
    assert refused > 0 and answered > 0 and refused + answered == 30


def test_close_finishes_queued_work_then_refuses_new() -> None:
    model = SlowModel()

    async def scenario() -> None:
        with ThreadPoolExecutor(1) as pool:
            batcher = AdaptiveBatcher(model, pool, max_batch_size=2)
            batcher.start()
            pending = [asyncio.ensure_future(batcher.submit([{"x": i}])) for i in range(6)]
            await asyncio.sleep(0)
            await batcher.close()
            assert all(p.done() and not p.exception() for p in pending)
            with pytest.raises(WorkerClosed):
                await batcher.submit([{"x": 1}])

    asyncio.run(scenario())


def test_model_errors_reach_every_caller_in_the_batch() -> None:
    def broken(records: list[dict[str, Any]]) -> np.ndarray:
        raise ValueError("model exploded")

    async def scenario() -> list[BaseException | np.ndarray]:
        with ThreadPoolExecutor(1) as pool:
            batcher = AdaptiveBatcher(broken, pool)
            batcher.start()
            out = await asyncio.gather(
                *(batcher.submit([{"x": i}]) for i in range(3)), return_exceptions=True
            )
            await batcher.close()
            return list(out)

    assert all(isinstance(o, ValueError) for o in asyncio.run(scenario()))


def test_cost_model_recovers_fixed_and_per_row_cost() -> None:
    cost = CostModel()
    for rows in (1, 8, 32, 64, 128, 256):
        cost.observe(rows, 0.005 + 0.0001 * rows)
    fixed, per_row = cost.estimate()
    assert fixed == pytest.approx(0.005, rel=0.01) and per_row == pytest.approx(0.0001, rel=0.01)
