"""What each route can answer besides 200, for its OpenAPI ``responses``.

Why one table: the error body is one shape (``lepton.serve.errors``) whatever the route,
and a status a route can answer but does not document is a spec violation clients and
contract tests (``tests/reliability``) trip over.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    type: str = Field(description="the error's kind, e.g. validation_error")
    message: str = Field(description="what went wrong and what to do (echoed input is cut)")
    field: str | None = Field(None, description="the field (or header) at fault")
    row: int | None = Field(None, description="the row at fault, for per-row errors")


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer: ``{"error": {"type", "message", "field"?, "row"?}}``."""

    error: ErrorDetail


RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds to wait before retrying",
        "schema": {"type": "integer"},
    }
}

DESCRIPTIONS = {
    400: "the request cannot be served as sent (wrong endpoint for this model, bad name)",
    401: "missing, invalid or revoked API key",
    403: "the key's scope does not allow this endpoint",
    404: "no such deployment (or model version)",
    409: "conflicts with the deployment's current state (nothing to roll back or promote, another model)",
    413: "the body, or a count of rows, images or characters, is over its limit",
    415: "the body's Content-Type is not one this endpoint reads",
    422: "the body does not fit what the endpoint or the model expects; `field` names it",
    429: "too many requests in flight: retry after Retry-After seconds",
    500: "the server failed (an incident id is in the message; the cause in the server log)",
    503: "overloaded, being swapped, not loaded or the store is down; retry (Retry-After)",
}

AUTH = (401, 403)
PREDICT = (400, *AUTH, 404, 413, 415, 422, 429, 500, 503)
"""The predict, forecast and recommend routes (429: admission control)."""
GROUND_TRUTH = (400, *AUTH, 404, 413, 415, 422, 500, 503)
LIST = (*AUTH, 422, 500)
"""Routes with no body (422: a malformed parameter, in the same error shape)."""
CHANGE = (400, *AUTH, 404, 409, 413, 415, 422, 500, 503)
"""Create, update or promote a deployment."""
ROLLBACK = (400, *AUTH, 404, 409, 422, 500, 503)
"""400: a name that cannot be a deployment name (the store validates it)."""


def errors(statuses: tuple[int, ...]) -> dict[int | str, dict[str, Any]]:
    """FastAPI ``responses`` for ``statuses``, each with the JSON error body."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {"model": ErrorBody, "description": DESCRIPTIONS[status]}
        if status in (429, 503):
            entry["headers"] = RETRY_AFTER
        out[status] = entry
    return out
