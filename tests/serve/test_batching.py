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

    def __init__(self, fixed_s: float = 0.02) -> None:
        self.fixed_s = fixed_s
        self.calls: list[int] = []
        self.batches: list[list[float]] = []  # the x of every row, per call
        self.lock = threading.Lock()

    def __call__(self, records: list[dict[str, Any]]) -> np.ndarray:
        time.sleep(self.fixed_s + 0.0001 * len(records))
        with self.lock:
            self.calls.append(len(records))
            self.batches.append([r["x"] for r in records])
        return np.array([[r["x"], -r["x"]] for r in records], dtype=float)


async def _learn_cost_then_burst(batcher: AdaptiveBatcher, model: SlowModel) -> None:
    """Calls of several sizes (the cost model needs them), then a burst queued at once.

    Afterwards the batcher knows the fixed cost per call, its arrival-gap estimate is near
    zero, the model is idle and the queue empty; ``model`` forgets these calls.
    """
    for n in (1, 8, 32, 64):
        await batcher.submit([{"x": -1.0}] * n)
    await asyncio.gather(*(batcher.submit([{"x": -1.0}]) for _ in range(30)))
    model.calls.clear()
    model.batches.clear()


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


def test_steady_fast_arrivals_wait_to_fill_the_batch() -> None:
    """Requests arrive every 2 ms at a model costing 20 ms a call: waiting for more pays.

    The stream starts while the model is idle and nothing is queued, so a batcher that
    only takes what is waiting calls the model with request 0 alone; the adaptive one
    waits (up to the fixed cost) and serves the first requests of the stream together.
    """
    model = SlowModel()
    n = 40

    async def scenario() -> list[np.ndarray]:
        with ThreadPoolExecutor(1) as pool:
            batcher = AdaptiveBatcher(model, pool, max_batch_size=64, max_latency_ms=50)
            batcher.start()
            await _learn_cost_then_burst(batcher, model)
            pending = []
            for i in range(n):
                pending.append(asyncio.ensure_future(batcher.submit([{"x": float(i)}])))
                await asyncio.sleep(0.002)
            results = await asyncio.gather(*pending)
            await batcher.close()
            return list(results)

    results = asyncio.run(scenario())
    assert [out.tolist() for out in results] == [[[i, -i]] for i in range(n)]
    assert [x for batch in model.batches for x in batch] == list(range(n))  # in order, once
    assert len(model.batches[0]) > 1, model.calls  # only request 0 was queued when it began
    assert len(model.calls) < n


def test_sparse_arrivals_are_answered_alone_without_waiting() -> None:
    """Requests 50 ms apart at a model costing 5 ms: nothing would come to wait for.

    The latency budget (1 s) would allow holding each request until the next arrives;
    the batcher must not: every request is answered, alone, before the next is sent.
    """
    model = SlowModel(fixed_s=0.005)
    events: list[tuple[str, int]] = []

    async def scenario() -> None:
        with ThreadPoolExecutor(1) as pool:
            batcher = AdaptiveBatcher(model, pool, max_batch_size=64, max_latency_ms=1000)
            batcher.start()
            await _learn_cost_then_burst(batcher, model)

            async def send(i: int) -> None:
                events.append(("sent", i))
                await batcher.submit([{"x": float(i)}])
                events.append(("answered", i))

            pending = []
            for i in range(8):
                await asyncio.sleep(0.05)
                pending.append(asyncio.ensure_future(send(i)))
            await asyncio.gather(*pending)
            await batcher.close()

    asyncio.run(scenario())
    assert model.calls == [1] * 8
    assert events == [(what, i) for i in range(8) for what in ("sent", "answered")]


def test_model_errors_reach_every_caller_in_the_batch_and_serving_goes_on() -> None:
    def fragile(records: list[dict[str, Any]]) -> np.ndarray:
        if any(r["x"] == 1 for r in records):
            raise ValueError("model exploded")
        return np.array([[r["x"]] for r in records], dtype=float)

    async def scenario() -> tuple[list[BaseException | np.ndarray], np.ndarray]:
        with ThreadPoolExecutor(1) as pool:
            batcher = AdaptiveBatcher(fragile, pool)
            batcher.start()
            out = await asyncio.gather(
                *(batcher.submit([{"x": i}]) for i in range(3)), return_exceptions=True
            )
            after = await batcher.submit([{"x": 7}])
            await batcher.close()
            return list(out), after

    failed, after = asyncio.run(scenario())
    assert all(isinstance(o, ValueError) for o in failed)  # one batch: all three share its fate
    assert after.tolist() == [[7.0]]


def test_a_model_answering_the_wrong_number_of_rows_fails_its_batch() -> None:
    def short(records: list[dict[str, Any]]) -> np.ndarray:
        return np.zeros((len(records) - 1, 2))

    async def scenario() -> list[BaseException | np.ndarray]:
        with ThreadPoolExecutor(1) as pool:
            batcher = AdaptiveBatcher(short, pool)
            batcher.start()
            out = await asyncio.gather(
                *(batcher.submit([{"x": i}]) for i in range(3)), return_exceptions=True
            )
            await batcher.close()
            return list(out)

    assert all(isinstance(o, RuntimeError) for o in asyncio.run(scenario()))


def test_cost_model_recovers_fixed_and_per_row_cost() -> None:
    cost = CostModel()
    for rows in (1, 8, 32, 64, 128, 256):
        cost.observe(rows, 0.005 + 0.0001 * rows)
    fixed, per_row = cost.estimate()
    assert fixed == pytest.approx(0.005, rel=0.01) and per_row == pytest.approx(0.0001, rel=0.01)
