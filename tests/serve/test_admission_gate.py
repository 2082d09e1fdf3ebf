"""The admission gate's bookkeeping, without a server: who is admitted, who waits, why."""

from __future__ import annotations

import asyncio

from lepton.serve.admission import Admission, AdmissionLimits
from lepton.serve.metrics import ServerMetrics


def gate(capacity: float = float("inf"), **limits: float) -> Admission:
    return Admission(AdmissionLimits(**limits), ServerMetrics(), lambda _: capacity)  # type: ignore[arg-type]


def test_an_idle_server_admits_anything() -> None:
    g = gate(max_bytes=10, max_requests=1)
    assert g.over("a", 10_000, None) is None


def test_each_limit_names_its_reason() -> None:
    g = gate(capacity=4, max_bytes=1000, max_requests=3, per_key_requests=1)
    g.enter("a", 600, b"k1")
    assert g.over("b", 600, b"k2") == "bytes"
    assert g.over("b", 100, b"k1") == "key"
    g.enter("a", 100, b"k2")
    # two in flight for "a": with room for 4 of its requests, half is full
    assert g.over("a", 100, b"k3") == "queue"
    assert g.over("b", 100, b"k3") is None
    g.enter("b", 100, b"k3")
    assert g.over("b", 0, b"k4") == "requests"
    for deployment, length, key in (("a", 600, b"k1"), ("a", 100, b"k2"), ("b", 100, b"k3")):
        g.leave(deployment, length, key)
    assert (g.in_flight, g.in_flight_bytes) == (0, 0)


def test_waiters_get_freed_slots_oldest_first_or_time_out() -> None:
    async def scenario() -> list[str | None]:
        g = gate(max_requests=1, max_wait_s=5.0)
        assert await g.admit("a", 1, None) is None  # takes the only slot
        first = asyncio.create_task(g.admit("a", 1, b"first"))
        second = asyncio.create_task(g.admit("a", 1, b"second"))
        await asyncio.sleep(0)
        assert not first.done() and not second.done()
        g.leave("a", 1, None)  # the slot goes to the oldest waiter
        assert await first is None and not second.done()
        g.leave("a", 1, b"first")
        assert await second is None
        g.leave("a", 1, b"second")
        impatient = gate(max_requests=1, max_wait_s=0.01)
        await impatient.admit("a", 1, None)
        return [await impatient.admit("a", 1, None), impatient.in_flight]  # type: ignore[list-item]

    assert asyncio.run(scenario()) == ["requests", 1]
