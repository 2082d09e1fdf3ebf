"""Ground truth for served predictions, joined to the prediction log by ``request_id``."""

from __future__ import annotations

import asyncio
from typing import Any

import pandas as pd
from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, Field

from lepton.serve.auth import PREDICT
from lepton.serve.context import Context
from lepton.serve.routes import statuses
from lepton.serve.routes.bodies import json_request_body, read_model
from lepton.store.predictions import FeedbackResult

router = APIRouter(tags=["predict"])


class FeedbackItem(BaseModel):
    request_id: str = Field(description="the request_id a prediction answer carried")
    row: int = Field(0, description="row within that request (default 0)")
    label: str | float | int | bool = Field(description="the ground truth")


class FeedbackBody(BaseModel):
    feedback: list[FeedbackItem] = Field(min_length=1)


@router.post(
    "/v1/deployments/{name}/feedback",
    responses=statuses.errors(statuses.GROUND_TRUTH),
    openapi_extra={"requestBody": json_request_body(FeedbackBody)},
)
async def feedback(
    name: str, request: Request, context: Context, authorization: str | None = Header(None)
) -> dict[str, Any]:
    """Attach ground truth to logged predictions by request_id (idempotent).

    Ids that match no logged prediction are returned in ``unknown``, never dropped silently.
    """
    context.keys.require(authorization, PREDICT)
    context.state.get(name)
    body = await read_model(request, FeedbackBody)
    if context.predlog is not None:
        await asyncio.to_thread(context.predlog.flush)  # so ids answered a moment ago are known
    frame = pd.DataFrame([item.model_dump() for item in body.feedback])
    result = await asyncio.to_thread(context.feedback.add_feedback, name, frame)
    if result.unknown and context.peer_flush_seconds is not None:
        # another replica may have answered them and not flushed yet: ask once more
        await asyncio.sleep(context.peer_flush_seconds)
        again = await asyncio.to_thread(
            context.feedback.add_feedback, name, frame[frame["request_id"].isin(result.unknown)]
        )
        result = FeedbackResult(
            result.accepted + again.accepted, result.updated + again.updated, again.unknown
        )
    return result.to_json()
