"""Admission control: excess prediction work is refused on arrival with 429 + Retry-After.

A request held inside the model (``tests.serve.faulty.GATE``) keeps the one allowed slot
busy, so the test knows the server is at its limit without timing anything.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.serve.conftest import Deploy, ServedProject, Server, start_server
from tests.serve.faulty import GATE

ROW = {"x2": -0.2, "color": "red"}
JSON = "application/json"


@pytest.fixture
def gated(
    request: pytest.FixtureRequest, served: ServedProject, tmp_path: Path
) -> Iterator[tuple[Server, Path]]:
    """A server that admits two prediction requests at once and one per API key; a
    request over that waits ``request.param`` ms for a slot (default: none, 429 at once)."""
    gate = tmp_path / "open"
    wait_ms = getattr(request, "param", 0)
    env = {**served.env, "LEPTON_TEST_GATE": str(gate)}
    limits = ("--max-in-flight", "2", "--key-concurrency", "1")
    server = start_server(env, extra=(*limits, "--admission-wait-ms", str(wait_ms)))
    yield server, gate
    gate.touch()
    server.stop()


def _gauge(client: httpx.Client, name: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    raise AssertionError(f"{name} is missing from /metrics")


def _in_flight(client: httpx.Client) -> float:
    return _gauge(client, "lepton_in_flight_requests")


Post = Callable[..., httpx.Response]


def _served(post: Post) -> float:
    """Wait until the server has loaded the deployment; a deadline for the test's waits."""
    deadline = time.monotonic() + 60
    while post("predict", 0.1).status_code != 200:
        assert time.monotonic() < deadline, "the server never loaded the deployment"
        time.sleep(0.1)
    return deadline


def _clients(
    served: ServedProject, server: Server, name: str
) -> tuple[Post, Callable[[str], threading.Thread], dict[str, httpx.Response]]:
    """``post(key, x1)``, ``hold(key)`` (a request kept in the model until the gate opens)
    and the answers the held requests got."""
    path = f"/v1/deployments/{name}/predict"
    answers: dict[str, httpx.Response] = {}

    def post(key: str, x1: float, body: bytes | None = None) -> httpx.Response:
        token = served.keys.get(key, key)  # a scope's key, or a token itself
        return httpx.post(
            server.url + path,
            content=body or json.dumps({"records": [{"x1": x1, **ROW}]}).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": JSON},
            timeout=120,
        )

    def hold(key: str) -> threading.Thread:
        thread = threading.Thread(target=lambda: answers.update({key: post(key, GATE)}))
        thread.start()
        return thread

    return post, hold, answers


def test_requests_over_the_limits_get_429_before_their_body_is_read(
    served: ServedProject, deploy: Deploy, gated: tuple[Server, Path]
) -> None:
    server, gate = gated
    name = deploy("faulty")
    post, hold, answers = _clients(served, server, name)
    deadline = _served(post)
    with server.client(served.keys["metrics"]) as metrics:
        holders = [hold("predict")]
        while _in_flight(metrics) < 1:
            assert time.monotonic() < deadline, "the held request never arrived"
            time.sleep(0.02)
        by_key = post("predict", 0.3)  # that key already has its one request in flight
        holders.append(hold("admin"))
        while _in_flight(metrics) < 2:
            assert time.monotonic() < deadline, "the second held request never arrived"
            time.sleep(0.02)
        # the server is full: a body that would take seconds to parse is refused unread
        broken = b'{"records": [' + b'{"x1": 1.0, "x2": 0.0, "color": "red"},' * 20000
        full = post("metrics", 0.0, broken)
        health = httpx.get(server.url + "/healthz")
        gate.touch()
        for holder in holders:
            holder.join(timeout=60)
        after = post("predict", 0.2)
        text = metrics.get("/metrics").text

    for refused in (by_key, full):
        assert refused.status_code == 429, refused.text
        assert refused.headers["retry-after"] == "1"
        assert refused.json()["error"]["type"] == "overloaded"
    assert "API key" in by_key.json()["error"]["message"]
    assert health.status_code == 200  # health is never refused
    assert [answers[k].status_code for k in ("predict", "admin")] == [200, 200]
    assert after.status_code == 200
    assert 'lepton_admission_refused_total{reason="key"} 1.0' in text
    assert 'lepton_admission_refused_total{reason="requests"} 1.0' in text
    assert f'lepton_errors_total{{deployment="{name}",status="429"}} 2.0' in text


@pytest.mark.parametrize("gated", [60_000], indirect=True)
def test_a_request_over_the_limits_waits_unread_for_a_slot(
    served: ServedProject, deploy: Deploy, gated: tuple[Server, Path]
) -> None:
    server, gate = gated
    name = deploy("faulty")
    post, hold, answers = _clients(served, server, name)
    deadline = _served(post)
    with server.client(served.keys["metrics"]) as metrics:
        holders = [hold("predict"), hold("admin")]
        while _in_flight(metrics) < 2:
            assert time.monotonic() < deadline, "the held requests never arrived"
            time.sleep(0.02)
        waiting: dict[str, httpx.Response] = {}
        third, _ = served.project.metadata.create_api_key(
            f"waiter-{time.time_ns()}", scopes=["predict"]
        )
        waiter = threading.Thread(target=lambda: waiting.update(answer=post(third, 0.4)))
        waiter.start()
        while _gauge(metrics, "lepton_admission_waiting_requests") < 1:
            assert time.monotonic() < deadline, "the third request never started waiting"
            time.sleep(0.02)
        assert "answer" not in waiting  # no slot yet: it waits instead of a 429
        gate.touch()
        for thread in (*holders, waiter):
            thread.join(timeout=60)
        assert _gauge(metrics, "lepton_admission_waiting_requests") == 0
    assert [answers[k].status_code for k in ("predict", "admin")] == [200, 200]
    assert waiting["answer"].status_code == 200, waiting["answer"].text
