"""Admission control: refuse excess work on arrival, before its body is read or parsed.

Why: under overload a server that parses and validates every request before finding the
queue full spends its CPU on work it then throws away, and goodput collapses (measured:
89 of 3,624 requests answered at c=64 with 256-row bodies). Here the check is two integer
comparisons on the request's headers, and a per-deployment cap: no more requests in
flight than fill half its model queue at their usual size (more would be parsed and
validated only to find the queue full). Work in flight is bounded by bytes (what parsing,
validation and the model cost grows with) and by requests, and optionally per API key, so
one client cannot take the whole server. A refused request gets 429 with ``Retry-After``
and a JSON body; its body is never read. A request over the limits first waits up to
``max_wait_s`` for a slot (oldest first), unread, so clients that retry at once are paced
by the server instead of spinning on refusals. Health, metrics and admin routes are never
refused: they are how an operator sees and fixes an overloaded server.

A pure ASGI middleware, not Starlette's ``BaseHTTPMiddleware``: that one wraps every
request in extra tasks and streams, which the hot path would pay for.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from math import inf
from typing import Any

import orjson
from prometheus_client import Counter, Gauge

from lepton.serve.errors import count_error
from lepton.serve.metrics import ServerMetrics

Scope = dict[str, Any]
_WORK_SUFFIXES = (b"/predict", b"/forecast", b"/recommend")


@dataclass(frozen=True)
class AdmissionLimits:
    """How much prediction work may be in flight at once (0: no limit)."""

    max_bytes: int = 4 * 1024 * 1024  # request bodies being parsed, validated or predicted
    max_requests: int = 512
    per_key_requests: int = 0
    max_queue_fill: float = 0.5  # of the deployment's model queue (``--max-queue`` rows)
    max_wait_s: float = 0.5  # how long a request over the limits may wait for a slot
    max_waiting: int = 4096  # requests waiting at once; beyond: 429 at once
    retry_after_s: int = 1


class Admission:
    """What is in flight, against the limits; shared by the middleware and the trimmer."""

    def __init__(
        self,
        limits: AdmissionLimits,
        metrics: ServerMetrics,
        capacity: Callable[[str], float] = lambda _: inf,
    ) -> None:
        self.limits = limits
        self.metrics = metrics
        self.capacity = capacity
        self._per_deployment: defaultdict[str, int] = defaultdict(int)
        self.in_flight = 0
        self.in_flight_bytes = 0
        self.admitted = 0  # ever: lets the idle trimmer see whether there was traffic
        self._per_key: defaultdict[bytes, int] = defaultdict(int)
        self._waiting: deque[_Waiter] = deque()
        self.refused = Counter(
            "lepton_admission_refused",
            "Prediction requests refused on arrival (429), by reason",
            ["reason"],
            registry=metrics.registry,
        )
        Gauge(
            "lepton_in_flight_requests",
            "Prediction requests admitted and not yet answered",
            registry=metrics.registry,
        ).set_function(lambda: self.in_flight)
        Gauge(
            "lepton_admission_waiting_requests",
            "Prediction requests waiting for a slot, their bodies not yet read",
            registry=metrics.registry,
        ).set_function(lambda: len(self._waiting))

    async def admit(self, deployment: str, length: int, key: bytes | None) -> str | None:
        """Take a slot, waiting up to ``max_wait_s`` for one; or why none came (→ 429).

        Why wait at all: a client told "no" at once comes straight back, and answering it
        again and again costs the CPU the admitted requests need. A waiter costs nothing
        but its socket (its body stays in the kernel), and slots go oldest first.
        """
        reason = self.over(deployment, length, key)
        if reason is None and not self._waiting:  # no queue-jumping past older waiters
            self.enter(deployment, length, key)
            return None
        limits = self.limits
        if limits.max_wait_s <= 0 or len(self._waiting) >= limits.max_waiting:
            return reason or "requests"
        waiter = _Waiter(deployment, length, key, asyncio.get_running_loop().create_future())
        self._waiting.append(waiter)
        try:
            await asyncio.wait_for(asyncio.shield(waiter.future), limits.max_wait_s)
            return None  # ``_wake`` took the slot on our behalf
        except asyncio.CancelledError:  # the client went away while waiting
            if waiter.future.done() and not waiter.future.cancelled():
                self.leave(deployment, length, key)  # a slot was handed to us: give it back
            raise
        except TimeoutError:
            if waiter.future.done():  # admitted just as the clock ran out
                return None
            waiter.future.cancel()
            return self.over(deployment, length, key) or reason or "requests"
        finally:
            if not waiter.future.done() or waiter.future.cancelled():
                with contextlib.suppress(ValueError):
                    self._waiting.remove(waiter)

    def _wake(self) -> None:
        """Hand free slots to the oldest waiters that fit (a waiter that does not stops it)."""
        while self._waiting:
            head = self._waiting[0]
            if head.future.done():
                self._waiting.popleft()
                continue
            if self.over(head.deployment, head.length, head.key) is not None:
                return
            self._waiting.popleft()
            self.enter(head.deployment, head.length, head.key)
            head.future.set_result(None)

    def over(self, deployment: str, length: int, key: bytes | None) -> str | None:
        """Why this request must wait (None: admit). An idle server admits anything."""
        limits = self.limits
        if not self.in_flight:
            return None
        # requests admitted but not yet answered all end up in the model queue: admit no more
        # than fill its share of it, or they would be parsed only to find it full (503)
        queued = self._per_deployment.get(deployment, 0)
        if queued and queued >= limits.max_queue_fill * self.capacity(deployment):
            return "queue"
        if limits.max_requests and self.in_flight >= limits.max_requests:
            return "requests"
        if limits.max_bytes and self.in_flight_bytes + length > limits.max_bytes:
            return "bytes"
        per_key = limits.per_key_requests
        if per_key and key is not None and self._per_key.get(key, 0) >= per_key:
            return "key"
        return None

    def enter(self, deployment: str, length: int, key: bytes | None) -> None:
        self.in_flight += 1
        self._per_deployment[deployment] += 1
        self.in_flight_bytes += length
        self.admitted += 1
        if key is not None:
            self._per_key[key] += 1

    def leave(self, deployment: str, length: int, key: bytes | None) -> None:
        self.in_flight -= 1
        _decrement(self._per_deployment, deployment)
        self.in_flight_bytes -= length
        if key is not None:
            _decrement(self._per_key, key)
        if self._waiting:
            self._wake()


class AdmissionControl:
    """The ASGI middleware: prediction requests over the limits get 429, unread."""

    def __init__(self, app: Any, gate: Admission) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        path = scope.get("raw_path") or scope["path"].encode()
        if not path.endswith(_WORK_SUFFIXES):
            await self.app(scope, receive, send)
            return
        gate = self.gate
        length, key = _length_and_key(scope["headers"])
        deployment = _deployment(path)
        reason = await gate.admit(deployment, length, key)
        if reason is not None:
            gate.refused.labels(reason).inc()
            count_error(gate.metrics, deployment, 429)
            await _refuse(send, reason, gate.limits.retry_after_s)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            gate.leave(deployment, length, key)


async def _refuse(send: Any, reason: str, retry_after_s: int) -> None:
    what = {
        "queue": "the deployment's model queue is full",
        "requests": "too many prediction requests in flight",
        "bytes": "too much prediction work in flight",
        "key": "this API key has too many requests in flight",
    }[reason]
    message = f"{what}; retry after {retry_after_s} s"
    body = orjson.dumps({"error": {"type": "overloaded", "message": message}})
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry_after_s).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _decrement(counts: defaultdict[Any, int], key: Any) -> None:
    left = counts[key] - 1
    if left:
        counts[key] = left
    else:
        del counts[key]


@dataclass(eq=False)
class _Waiter:
    deployment: str
    length: int
    key: bytes | None
    future: asyncio.Future[None]


def _length_and_key(headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes | None]:
    """Content-Length (0 if absent or bad) and a digest of the Authorization header."""
    length = 0
    key = None
    for name, value in headers:
        if name == b"content-length":
            length = int(value) if value.isdigit() else 0
        elif name == b"authorization":
            key = hashlib.blake2b(value, digest_size=16).digest()  # never keep the secret
    return length, key


def _deployment(path: bytes) -> str:
    """``/v1/deployments/<name>/predict`` → ``<name>`` (what the error counter is keyed by)."""
    parts = path.split(b"/")
    return parts[3].decode(errors="replace") if len(parts) > 4 else "-"
