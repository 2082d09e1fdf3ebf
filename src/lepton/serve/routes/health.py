"""Liveness, readiness and Prometheus metrics: what orchestrators and scrapers poll."""

from __future__ import annotations

from fastapi import APIRouter, Header
from fastapi.responses import Response
from pydantic import BaseModel

from lepton.serve.auth import METRICS
from lepton.serve.context import Context, ReadinessReport
from lepton.serve.responses import ORJSONResponse
from lepton.serve.routes import statuses

router = APIRouter(tags=["health"])


class Readiness(BaseModel):
    ready: bool
    deployments: list[str]
    failed: dict[str, str]


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "not every deployment is loaded yet"}},
)
async def readyz(context: Context) -> Response:
    """Readiness: deployments are loaded."""
    if context.catalogue is not None:
        now = await context.catalogue.readiness()
    else:
        state = context.state
        now = ReadinessReport(state.ready, sorted(state.deployments), state.failures)
    body = {"ready": now.ready, "deployments": now.deployments, "failed": now.failed}
    return ORJSONResponse(body, status_code=200 if now.ready else 503)


@router.get(
    "/metrics",
    response_class=Response,  # no media type of its own: errors stay JSON, 200 is text
    responses={
        200: {
            "description": "Prometheus text exposition format 0.0.4",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        **statuses.errors(statuses.LIST),
    },
)
async def prometheus(context: Context, authorization: str | None = Header(None)) -> Response:
    """Prometheus metrics (needs a metrics or admin key)."""
    context.keys.require(authorization, METRICS)
    return Response(context.metrics.render(), media_type="text/plain; version=0.0.4")
