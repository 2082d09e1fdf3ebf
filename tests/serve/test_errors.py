"""The error shapes of every route, in process: expected errors keep their status, bugs are 500s."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from fastapi import FastAPI

from lepton.errors import NotFoundError
from lepton.serve.errors import install_error_handlers
from lepton.serve.metrics import ServerMetrics


def _app(metrics: ServerMetrics) -> FastAPI:
    app = FastAPI()

    @app.get("/v1/deployments/{name}/broken")
    async def broken(name: str) -> dict[str, str]:
        raise KeyError("a bug: secret internals")

    @app.get("/v1/deployments/{name}/missing")
    async def missing(name: str) -> dict[str, str]:
        raise NotFoundError(f"no deployment named {name!r}")

    install_error_handlers(app, metrics)
    return app


def _get(app: FastAPI, *paths: str) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return [await client.get(path) for path in paths]

    return asyncio.run(run())


def test_an_unexpected_exception_is_a_logged_counted_json_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    metrics = ServerMetrics()
    with caplog.at_level(logging.ERROR, "lepton.serve"):
        answer, missing = _get(
            _app(metrics), "/v1/deployments/d1/broken", "/v1/deployments/d1/missing"
        )
    assert missing.status_code == 404
    assert answer.status_code == 500
    assert answer.json()["error"]["type"] == "internal_error"
    assert set(answer.json()["error"]) == {"type", "message"}
    assert "secret internals" not in answer.text and "Traceback" not in answer.text
    assert any(r.exc_info and "secret internals" in str(r.exc_info[1]) for r in caplog.records)
    text = metrics.render().decode()
    assert 'lepton_errors_total{deployment="d1",status="500"} 1.0' in text
    assert 'lepton_requests_total{deployment="d1",status="500",version="-"} 1.0' in text
    assert 'status="404"' not in text  # expected errors outside predict are not counted, as before


def test_expected_errors_keep_their_shape() -> None:
    missing, unknown_route = _get(_app(ServerMetrics()), "/v1/deployments/d1/missing", "/nowhere")
    assert missing.status_code == 404
    assert missing.json() == {
        "error": {"type": "not_found_error", "message": "no deployment named 'd1'"}
    }
    assert (
        unknown_route.status_code == 404 and unknown_route.json()["error"]["type"] == "http_error"
    )
