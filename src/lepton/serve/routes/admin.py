"""Deployment management over HTTP: list, create or update, promote, roll back.

Every route checks the admin key before it reads a body. Listing needs admin too: the
list reveals every deployment's routes, versions and shadows.

Why every change goes through ``lepton.serve.deployments`` and then ``refresh``: the
store is the one source of truth (the CLI writes the same rows), and refreshing right
away means the answer already describes what this server is serving.

Each change is recorded in the deployment's history as made by ``api:<key name>`` (the
admin key's name, looked up only on these admin writes, never on the predict path).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, Field

from lepton.serve import deployments as deploy_ops
from lepton.serve.auth import ADMIN, bearer_token
from lepton.serve.context import Context
from lepton.serve.routes import statuses
from lepton.serve.routes.bodies import json_request_body, read_model, read_optional_model
from lepton.serve.runtime import LiveDeployment

router = APIRouter(tags=["deployments"])


class DeployBody(BaseModel):
    model: str = Field(description="MODEL[@VERSION|@alias] to deploy")
    canary_percent: float | None = Field(None, description="share of traffic for a canary")
    shadow: bool = Field(False, description="receive copies of traffic, never answer")
    max_batch_size: int | None = None
    max_latency_ms: float | None = None
    min_replicas: int | None = Field(None, description="Ray Serve: fewest replicas")
    max_replicas: int | None = Field(None, description="Ray Serve: most replicas")
    target_ongoing_requests: float | None = Field(
        None, description="Ray Serve: requests in flight per replica the autoscaler aims at"
    )
    reason: str | None = Field(None, description="why, kept in the deployment's history")


class PromoteBody(BaseModel):
    version: int | None = Field(None, description="version to promote (default: the canary)")
    reason: str | None = Field(None, description="why, kept in the deployment's history")


def _actor(context: Context, authorization: str | None) -> str:
    """``api:<key name>`` for the (already checked) admin key; ``api`` if it has no name.

    One indexed read of the key, only on admin writes (run in the worker thread).
    """
    token = bearer_token(authorization)
    try:
        record = context.keys.store.verify_api_key(token, touch=False) if token else None
    except Exception:  # the name is a nicety: the change itself was authorized already
        record = None
    return f"api:{record.name}" if record is not None else "api"


@router.get("/v1/deployments", responses=statuses.errors(statuses.LIST))
async def list_deployments(
    context: Context, authorization: str | None = Header(None)
) -> dict[str, Any]:
    """Every active deployment with its routes, shadows and loaded variants (admin)."""
    context.keys.require(authorization, ADMIN)
    if context.catalogue is not None:
        return {"deployments": await context.catalogue.describe()}
    return {"deployments": [describe(live) for live in context.state.deployments.values()]}


@router.put(
    "/v1/deployments/{name}",
    responses=statuses.errors(statuses.CHANGE),
    openapi_extra={"requestBody": json_request_body(DeployBody)},
)
async def put_deployment(
    name: str, request: Request, context: Context, authorization: str | None = Header(None)
) -> dict[str, Any]:
    """Create or update a deployment (admin)."""
    context.keys.require(authorization, ADMIN)
    body = await read_model(request, DeployBody)

    def change() -> deploy_ops.DeploymentSpec:
        return deploy_ops.deploy(
            context.project,
            body.model,
            name=name,
            canary_percent=body.canary_percent,
            shadow=body.shadow,
            max_batch_size=body.max_batch_size,
            max_latency_ms=body.max_latency_ms,
            replicas=deploy_ops.ReplicaScaling(
                body.min_replicas, body.max_replicas, body.target_ongoing_requests
            ),
            actor=_actor(context, authorization),
            reason=body.reason,
        )

    spec = await asyncio.to_thread(change)
    await context.state.refresh()
    return _describe_spec(spec)


@router.post(
    "/v1/deployments/{name}/promote",
    responses=statuses.errors(statuses.CHANGE),
    openapi_extra={"requestBody": json_request_body(PromoteBody, required=False)},
)
async def promote(
    name: str, request: Request, context: Context, authorization: str | None = Header(None)
) -> dict[str, Any]:
    """Send all traffic to the canary (admin); in-flight requests finish on the old one."""
    context.keys.require(authorization, ADMIN)
    body = await read_optional_model(request, PromoteBody)

    def change() -> deploy_ops.DeploymentSpec:
        return deploy_ops.promote(
            context.project,
            name,
            body.version if body else None,
            actor=_actor(context, authorization),
            reason=body.reason if body else None,
        )

    spec = await asyncio.to_thread(change)
    await context.state.refresh()
    return _describe_spec(spec)


@router.post("/v1/deployments/{name}/rollback", responses=statuses.errors(statuses.ROLLBACK))
async def rollback(
    name: str, context: Context, authorization: str | None = Header(None)
) -> dict[str, Any]:
    """Drop the canary, or return to the previous primary (admin)."""
    context.keys.require(authorization, ADMIN)

    def change() -> deploy_ops.DeploymentSpec:
        return deploy_ops.rollback(context.project, name, actor=_actor(context, authorization))

    spec = await asyncio.to_thread(change)
    await context.state.refresh()
    return _describe_spec(spec)


def _describe_spec(spec: deploy_ops.DeploymentSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "model": spec.model,
        "routes": [{"version": r.version, "weight": r.weight} for r in spec.routes],
        "shadows": spec.shadows,
        "history": spec.history,
        "max_batch_size": spec.max_batch_size,
        "max_latency_ms": spec.max_latency_ms,
        "min_replicas": spec.min_replicas,
        "max_replicas": spec.max_replicas,
        "target_ongoing_requests": spec.target_ongoing_requests,
    }


def describe(live: LiveDeployment) -> dict[str, Any]:
    """One loaded deployment as the list shows it: its spec and each version's variant."""
    return {
        **_describe_spec(live.spec),
        "loaded": {str(v): w.variant for v, w in live.workers.items()},
    }
