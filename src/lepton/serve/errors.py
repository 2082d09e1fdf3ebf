"""Every failure as one JSON shape: ``{"error": {"type", "message", "field"?, "row"?}}``.

Messages and fields are bounded (``lepton.serve.echo``): an error never repeats a large
input in full.

Expected failures are ``LeptonError``s with their own status. Anything else is a bug or
an outage, not the client's fault: it becomes a 500 ``internal_error`` whose message
names an incident id and never carries the traceback, which goes to the server log
instead. Every such 500 is counted, so error-rate alerts see it.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lepton.errors import LeptonError
from lepton.serve.batching import Overloaded, WorkerClosed
from lepton.serve.echo import ECHO_CHARS, MESSAGE_CHARS, clip
from lepton.serve.metrics import ServerMetrics
from lepton.serve.responses import ORJSONResponse
from lepton.serve.validation import RequestError

log = logging.getLogger("lepton.serve")


class InternalError(LeptonError):
    """The server failed in a way the client cannot fix (the cause is in the server log)."""

    http_status = 500


def internal_error(exc: BaseException, *, where: str) -> InternalError:
    """Log ``exc`` with its traceback under a fresh incident id; the 500 the client gets."""
    incident = uuid.uuid4().hex[:12]
    log.error("internal error %s in %s", incident, where, exc_info=exc)
    return InternalError(
        f"the server failed to answer this request (incident {incident}; "
        "the cause is in the server log)"
    )


def count_error(metrics: ServerMetrics, deployment: str, status: int) -> None:
    """One failed request in ``lepton_requests_total`` and ``lepton_errors_total``."""
    metrics.requests.labels(deployment, "-", str(status)).inc()
    metrics.errors.labels(deployment, str(status)).inc()


def error_response(exc: LeptonError) -> JSONResponse:
    if isinstance(exc, RequestError):
        body = exc.to_json()
    else:
        error: dict[str, Any] = {
            "type": _snake(type(exc).__name__),
            "message": clip(exc.message, MESSAGE_CHARS),
        }
        if exc.field:
            error["field"] = clip(exc.field, ECHO_CHARS)
        body = {"error": error}
    headers = {"Retry-After": "1"} if isinstance(exc, Overloaded | WorkerClosed) else None
    return ORJSONResponse(body, status_code=exc.http_status, headers=headers)


async def _lepton_error(_: Request, exc: LeptonError) -> JSONResponse:
    return error_response(exc)


async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
    """Framework-level errors (bad multipart, unknown route) in the same JSON shape."""
    return ORJSONResponse(
        {"error": {"type": "http_error", "message": clip(str(exc.detail), MESSAGE_CHARS)}},
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


async def _invalid_body(_: Request, exc: RequestValidationError) -> JSONResponse:
    first = exc.errors()[0] if exc.errors() else {}
    field = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
    return ORJSONResponse(
        {
            "error": {
                "type": "validation_error",
                "field": clip(field, ECHO_CHARS),
                "message": clip(str(first.get("msg", "invalid request body")), MESSAGE_CHARS),
            }
        },
        status_code=422,
    )


class UnexpectedErrors:
    """ASGI middleware: an exception no handler knows becomes the logged, counted JSON 500.

    Why a middleware and not a handler for ``Exception``: Starlette re-raises after such a
    handler, so the server would log the traceback a second time and drop the connection.
    """

    def __init__(self, app: ASGIApp, metrics: ServerMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            if started:  # too late for a JSON answer: let the server close the connection
                raise
            deployment = str(scope.get("path_params", {}).get("name", "-"))
            count_error(self.metrics, deployment, 500)
            error = internal_error(exc, where=f"{scope['method']} {scope['path']}")
            await error_response(error)(scope, receive, send)


def install_error_handlers(app: FastAPI, metrics: ServerMetrics) -> None:
    """Expected errors through their handlers; anything else through ``UnexpectedErrors``."""
    app.exception_handler(LeptonError)(_lepton_error)
    app.exception_handler(StarletteHTTPException)(_http_error)
    app.exception_handler(RequestValidationError)(_invalid_body)
    app.add_middleware(UnexpectedErrors, metrics=metrics)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
