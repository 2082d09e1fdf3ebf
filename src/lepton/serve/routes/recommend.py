"""Recommendations: ``POST /v1/deployments/{name}/recommend``.

Why not through ``/predict``: an answer is a ranked list of items per record, not one
value or probability row per input row, so it cannot go through the row batcher. The
model runs in a thread; routing (canaries, shadows), the API key, metrics and the
prediction log are the same as for predictions. Each record is logged as one row with
what was served, so a click or purchase sent to ``/feedback`` (``label`` = the item id,
by ``request_id`` and ``row``) is scored as a hit or a miss (``lepton monitor``).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from lepton.errors import LeptonError
from lepton.runtime.recommending import Recommending, recommender_of
from lepton.serve.auth import PREDICT
from lepton.serve.batching import Overloaded
from lepton.serve.codecs import openapi_request_body
from lepton.serve.codecs.base import Records, WrongEndpoint, require_endpoint
from lepton.serve.codecs.recommend import RecommendCodec
from lepton.serve.context import ServerContext, context_of
from lepton.serve.errors import internal_error
from lepton.serve.responses import ORJSONResponse
from lepton.serve.routes import statuses
from lepton.serve.routes.predict import REQUEST_TIMEOUT_S, _failed, _request_id, append_answer
from lepton.serve.runtime import VersionWorker

router = APIRouter(tags=["recommend"])


@router.post(
    "/v1/deployments/{name}/recommend",
    responses=statuses.errors(statuses.PREDICT),
    openapi_extra={"requestBody": openapi_request_body("recommend")},
)
async def recommend(name: str, request: Request) -> Response:
    """Top-k items per ``{"user": …}`` record, similar items per ``{"item": …}`` record."""
    started = time.perf_counter()
    context = context_of(request)
    context.keys.require(request.headers.get("authorization"), PREDICT)
    live = context.state.get(name)
    try:
        require_endpoint(live.codec, "recommend", name)
        rows = await live.codec.read(request)
        request_id = _request_id(request)
        worker = live.choose()
        records, answers = await _recommend(worker, rows)
        latency = time.perf_counter() - started
        body = {
            "request_id": request_id,
            "deployment": name,
            "model": worker.model,
            "version": worker.version,
            "recommendations": answers,
        }
    except (LeptonError, StarletteHTTPException) as exc:
        _failed(context, name, exc.http_status if isinstance(exc, LeptonError) else exc.status_code)
        raise
    except Exception as exc:
        _failed(context, name, 500)
        raise internal_error(exc, where=f"recommend on {name!r}") from exc
    version = str(worker.version)
    context.metrics.requests.labels(name, version, "200").inc()
    context.metrics.latency.labels(name, version).observe(latency)
    _log(context, request_id, name, worker, "primary", latency, records, answers)
    for shadow in live.shadows:
        if shadow is not worker:
            context.spawn(_shadow(context, name, shadow, rows, request_id))
    return ORJSONResponse(body, headers={"X-Request-ID": request_id})


def _parts(worker: VersionWorker) -> tuple[RecommendCodec, Recommending]:
    codec, model = worker.codec, recommender_of(worker.predictor)
    if not isinstance(codec, RecommendCodec) or model is None:
        raise WrongEndpoint(
            f"{worker.model}@{worker.version} does not recommend: use /predict", field="body"
        )
    return codec, model


async def _recommend(worker: VersionWorker, rows: list[Any]) -> tuple[Records, Records]:
    codec, model = _parts(worker)
    records = codec.validate(rows)

    def run() -> Records:
        out: Records = []
        for record in records:
            if record["item"] is not None:
                out.append(model.similar(record["item"], record["k"]))
            else:
                out.extend(model.recommend_many([record["user"]], record["k"]))
        return out

    try:
        answers = await asyncio.wait_for(asyncio.to_thread(run), REQUEST_TIMEOUT_S)
    except TimeoutError as exc:
        raise Overloaded(f"the model did not answer within {REQUEST_TIMEOUT_S:g}s") from exc
    return records, answers


async def _shadow(
    context: ServerContext, name: str, worker: VersionWorker, rows: list[Any], request_id: str
) -> None:
    started = time.perf_counter()
    try:
        records, answers = await _recommend(worker, rows)
    except Exception as exc:
        if not isinstance(exc, LeptonError):
            internal_error(exc, where=f"shadow recommend {name}@{worker.version}")
        context.metrics.shadow_dropped.labels(name, str(worker.version)).inc()
        return
    _log(
        context, request_id, name, worker, "shadow", time.perf_counter() - started, records, answers
    )


def _log(
    context: ServerContext,
    request_id: str,
    name: str,
    worker: VersionWorker,
    role: str,
    latency_s: float,
    records: Records,
    answers: Records,
) -> None:
    if context.predlog is None or not answers:
        return
    codec, _ = _parts(worker)
    served = np.array([len(a["items"]) for a in answers], dtype=float)  # items served per row
    append_answer(
        context,
        request_id,
        name,
        worker,
        role,
        latency_s,
        codec.log_rows(records, answers),
        served,
        None,
    )
