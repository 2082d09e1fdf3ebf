"""Deployment management over HTTP: list, create or update, promote, roll back.

Why every change goes through ``lepton.serve.deployments`` and then ``refresh``: the
store is the one source of truth (the CLI writes the same rows), and refreshing right
away means the answer already describes what this server is serving.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Header
from pydantic import BaseModel, Field

from lepton.serve import deployments as deploy_ops
from lepton.serve.auth import ADMIN, PREDICT
from lepton.serve.context import Context
from lepton.serve.runtime import LiveDeployment

router = APIRouter(tags=["deployments"])


class DeployBody(BaseModel):
    model: str = Field(description="MODEL[@VERSION|@alias] to deploy")
    canary_percent: float | None = Field(None, description="share of traffic for a canary")
    shadow: bool = Field(False, description="receive copies of traffic, never answer")
    max_batch_size: int | None = None
    max_latency_ms: float | None = None


class PromoteBody(BaseModel):
    version: int | None = Field(None, description="version to promote (default: the canary)")


@router.get("/v1/deployments")
async def list_deployments(
    context: Context, authorization: str | None = Header(None)
) -> dict[str, Any]:
    """Every active deployment with its routes, shadows and loaded variants."""
    context.keys.require(authorization, PREDICT)
    return {"deployments": [_describe(live) for live in context.state.deployments.values()]}


@router.put("/v1/deployments/{name}")
async def put_deployment(
    name: str, body: DeployBody, context: Context, authorization: str | None = Header(None)
) -> dict[str, Any]:
    """Create or update a deployment (admin)."""
    context.keys.require(authorization, ADMIN)
    spec = await asyncio.to_thread(
        deploy_ops.deploy,
        context.project,
        body.model,
        name=name,
        canary_percent=body.canary_percent,
        shadow=body.shadow,
        max_batch_size=body.max_batch_size,
        max_latency_ms=body.max_latency_ms,
    )
    await context.state.refresh()
    return _describe_spec(spec)


@router.post("/v1/deployments/{name}/promote")
async def promote(
    name: str,
    context: Context,
    body: PromoteBody | None = None,
    authorization: str | None = Header(None),
) -> dict[str, Any]:
    """Send all traffic to the canary (admin); in-flight requests finish on the old one."""
    context.keys.require(authorization, ADMIN)
    version = body.version if body else None
    spec = await asyncio.to_thread(deploy_ops.promote, context.project, name, version)
    await context.state.refresh()
    return _describe_spec(spec)


@router.post("/v1/deployments/{name}/rollback")
async def rollback(
    name: str, context: Context, authorization: str | None = Header(None)
) -> dict[str, Any]:
    """Drop the canary, or return to the previous primary (admin)."""
    context.keys.require(authorization, ADMIN)
    spec = await asyncio.to_thread(deploy_ops.rollback, context.project, name)
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
    }


def _describe(live: LiveDeployment) -> dict[str, Any]:
    return {
        **_describe_spec(live.spec),
        "loaded": {str(v): w.variant for v, w in live.workers.items()},
    }
