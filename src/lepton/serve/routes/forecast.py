"""Forecasts and their actuals: ``POST /v1/deployments/{name}/forecast`` and ``…/actuals``.

Why not through ``/predict``: a forecast request is one unit (a series' history rows only
mean something together) whose answer has one row per series and step, so it cannot go
through the row batcher, whose outputs are per input row. The model runs in a thread;
routing (canaries, shadows), the API key, the metrics and the prediction log are the
same as for predictions. Each answered (series, step) is logged as one row, so actuals
sent back by ``(series, time, value)`` label every forecast made for that instant.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pandas as pd
from fastapi import APIRouter, Header, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from lepton.errors import LeptonError
from lepton.runtime.forecasting import Forecasting, forecaster_of
from lepton.serve.auth import PREDICT
from lepton.serve.batching import Overloaded
from lepton.serve.codecs import openapi_request_body
from lepton.serve.codecs.base import Records, WrongEndpoint, require_endpoint
from lepton.serve.codecs.forecast import ForecastCodec
from lepton.serve.context import Context, ServerContext, context_of
from lepton.serve.errors import internal_error
from lepton.serve.responses import ORJSONResponse
from lepton.serve.routes import statuses
from lepton.serve.routes.bodies import json_request_body, read_model
from lepton.serve.routes.predict import REQUEST_TIMEOUT_S, _failed, _request_id, append_answer
from lepton.serve.runtime import VersionWorker

router = APIRouter(tags=["forecast"])


@router.post(
    "/v1/deployments/{name}/forecast",
    responses=statuses.errors(statuses.PREDICT),
    openapi_extra={"requestBody": openapi_request_body("forecast")},
)
async def forecast(name: str, request: Request) -> Response:
    """Quantile forecasts of stored series (``{"series": [...]}``) or of sent history.

    ``{"history": [rows], "future": [rows], "horizon": H}``: rows carry the time, series
    id and target columns (and known covariates); ``horizon`` defaults to the trained one.
    """
    started = time.perf_counter()
    context = context_of(request)
    context.keys.require(request.headers.get("authorization"), PREDICT)
    live = context.state.get(name)
    try:
        require_endpoint(live.codec, "forecast", name)
        rows = await live.codec.read(request)
        request_id = _request_id(request)
        worker = live.choose()
        asked, answer, outputs = await _forecast(worker, rows)
        latency = time.perf_counter() - started
        model = _forecaster(worker)
        body = {
            "request_id": request_id,
            "deployment": name,
            "model": worker.model,
            "version": worker.version,
            "horizon": asked["horizon"],
            "quantiles": list(model.quantiles),
            "forecasts": answer,
        }
    except (LeptonError, StarletteHTTPException) as exc:
        _failed(context, name, exc.http_status if isinstance(exc, LeptonError) else exc.status_code)
        raise
    except Exception as exc:
        _failed(context, name, 500)
        raise internal_error(exc, where=f"forecast on {name!r}") from exc
    version = str(worker.version)
    context.metrics.requests.labels(name, version, "200").inc()
    context.metrics.latency.labels(name, version).observe(latency)
    _log(context, request_id, name, worker, "primary", latency, asked, answer, outputs)
    for shadow in live.shadows:
        if shadow is not worker:
            context.spawn(_shadow(context, name, shadow, rows, request_id))
    return ORJSONResponse(body, headers={"X-Request-ID": request_id})


def _forecaster(worker: VersionWorker) -> Forecasting:
    model = forecaster_of(worker.predictor)
    if model is None:
        raise WrongEndpoint(
            f"{worker.model}@{worker.version} does not forecast: use /predict", field="body"
        )
    return model


def _codec(worker: VersionWorker) -> ForecastCodec:
    codec = worker.codec
    if not isinstance(codec, ForecastCodec):
        raise WrongEndpoint(
            f"{worker.model}@{worker.version} does not forecast: use /predict", field="body"
        )
    return codec


async def _forecast(
    worker: VersionWorker, rows: list[Any]
) -> tuple[dict[str, Any], Records, list[str]]:
    """Validate against this version, forecast in a thread, encode the answer rows."""
    codec = _codec(worker)
    model = _forecaster(worker)
    asked = codec.validate(rows)[0]

    def run() -> Records:
        history, future = codec.frames(asked)
        frame = model.forecast(
            history, horizon=asked["horizon"], series=asked["series"], future=future
        )
        return codec.forecasts(frame, model.output_columns)

    try:
        answer = await asyncio.wait_for(asyncio.to_thread(run), REQUEST_TIMEOUT_S)
    except TimeoutError as exc:
        raise Overloaded(f"the model did not answer within {REQUEST_TIMEOUT_S:g}s") from exc
    return asked, answer, model.output_columns


async def _shadow(
    context: ServerContext, name: str, worker: VersionWorker, rows: list[Any], request_id: str
) -> None:
    """The same request to a shadow version; its forecasts are logged, never returned."""
    started = time.perf_counter()
    try:
        asked, answer, outputs = await _forecast(worker, rows)
    except Exception as exc:
        if not isinstance(exc, LeptonError):
            internal_error(exc, where=f"shadow forecast {name}@{worker.version}")
        context.metrics.shadow_dropped.labels(name, str(worker.version)).inc()
        return
    latency = time.perf_counter() - started
    _log(context, request_id, name, worker, "shadow", latency, asked, answer, outputs)


def _log(
    context: ServerContext,
    request_id: str,
    name: str,
    worker: VersionWorker,
    role: str,
    latency_s: float,
    asked: dict[str, Any],
    answer: Records,
    outputs: list[str],
) -> None:
    if context.predlog is None or not answer:
        return
    records, values = _codec(worker).log_rows(asked, answer, outputs)
    append_answer(
        context,
        request_id,
        name,
        worker,
        role,
        latency_s,
        records,
        values,
        list(outputs),
        values=True,
    )


class Actual(BaseModel):
    series: str | int = Field(description="the series id a forecast named")
    time: str = Field(description="the timestamp forecast (as answered, or any ISO form)")
    value: float = Field(description="what was observed")


class ActualsBody(BaseModel):
    actuals: list[Actual] = Field(min_length=1)


@router.post(
    "/v1/deployments/{name}/actuals",
    responses=statuses.errors(statuses.GROUND_TRUTH),
    openapi_extra={"requestBody": json_request_body(ActualsBody)},
)
async def actuals(
    name: str, request: Request, context: Context, authorization: str | None = Header(None)
) -> dict[str, Any]:
    """Observed values by (series, time): they label every logged forecast of that instant.

    Actuals that match no logged forecast are returned in ``unknown``, never dropped silently.
    """
    context.keys.require(authorization, PREDICT)
    live = context.state.get(name)
    if live.codec.endpoint != "forecast":
        raise WrongEndpoint(
            f"deployment {name!r} does not forecast: send ground truth to "
            f"/v1/deployments/{name}/feedback",
            field="actuals",
        )
    body = await read_model(request, ActualsBody)
    if context.predlog is not None:
        await asyncio.to_thread(context.predlog.flush)  # forecasts answered a moment ago
    frame = pd.DataFrame([item.model_dump() for item in body.actuals])
    result = await asyncio.to_thread(context.feedback.add_actuals, name, frame)
    return result.to_json()
