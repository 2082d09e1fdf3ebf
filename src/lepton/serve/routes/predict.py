"""The hot path: read, route, validate, batch-predict, answer; then log and shadow.

Why it is hand-tuned (raw body + orjson, validation over dicts, no dependency
injection, model calls batched off the loop, logging after the answer is ready): it is
what every prediction pays for. The deployment's codec reads the body and each chosen
version's codec validates it, so this module never learns what kind of input it is.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from numpy.typing import NDArray
from starlette.exceptions import HTTPException as StarletteHTTPException

from lepton.errors import LeptonError
from lepton.serve.auth import PREDICT
from lepton.serve.batching import Overloaded, WorkerClosed
from lepton.serve.codecs import openapi_request_body
from lepton.serve.codecs.base import Records, require_endpoint
from lepton.serve.context import ServerContext, context_of
from lepton.serve.errors import count_error, internal_error
from lepton.serve.predlog import LoggedRequest
from lepton.serve.responses import ORJSONResponse
from lepton.serve.routes import statuses
from lepton.serve.runtime import LiveDeployment, ServingState, VersionWorker

REQUEST_TIMEOUT_S = 30.0
_REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")

router = APIRouter(tags=["predict"])


@router.post(
    "/v1/deployments/{name}/predict",
    responses=statuses.errors(statuses.PREDICT),
    openapi_extra={
        "requestBody": openapi_request_body(),
        "parameters": [
            {
                "name": "then",
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
                "description": "speech deployments: a text deployment (sentiment, NER) "
                "that answers on the transcripts in the same call, under 'then'",
            }
        ],
    },
)
async def predict(name: str, request: Request) -> Response:
    """Predict rows: JSON records/columns, or a CSV / Parquet file for batch scoring.

    Image models take one or more multipart ``file`` parts (image files) or JSON
    ``{"images": ["<base64>", …]}``; one prediction per image, in order. Speech models
    take audio files the same way (``{"audio": [...]}``); ``?then=DEPLOYMENT`` feeds the
    transcripts to a text deployment and nests its answer under ``then``.
    """
    started = time.perf_counter()
    context = context_of(request)
    context.keys.require(request.headers.get("authorization"), PREDICT)
    live = context.state.get(name)
    try:
        require_endpoint(live.codec, "predict", name)  # forecasters answer on /forecast
        rows = await live.codec.read(request)
        request_id = _request_id(request)
        worker, records, outputs = await _answer(context.state, name, live, rows)
        latency = time.perf_counter() - started
        body = {
            "request_id": request_id,
            "deployment": name,
            "model": worker.model,
            "version": worker.version,
            **worker.codec.answer(outputs, worker.labels, records),
        }
        then = request.query_params.get("then")
        if then is not None:  # a chained deployment answers on this one's texts
            body["then"] = await _chain(context, name, worker, outputs, then, request_id)
    except (LeptonError, StarletteHTTPException) as exc:  # expected: answered with its status
        _failed(context, name, exc.http_status if isinstance(exc, LeptonError) else exc.status_code)
        raise
    except Exception as exc:  # a bug or an outage: a counted, logged 500, never a traceback
        _failed(context, name, 500)
        raise internal_error(exc, where=f"predict on {name!r}") from exc
    version = str(worker.version)
    context.metrics.requests.labels(name, version, "200").inc()
    context.metrics.latency.labels(name, version).observe(latency)
    _log(context, request_id, name, worker, "primary", latency, records, outputs)
    for shadow in live.shadows:
        if shadow is not worker:
            context.spawn(_shadow(context, name, shadow, rows, request_id))
    return ORJSONResponse(body, headers={"X-Request-ID": request_id})


class ChainError(LeptonError):
    """A ``?then=`` deployment that cannot take this one's answers."""

    http_status = 400


async def _chain(
    context: ServerContext,
    name: str,
    worker: VersionWorker,
    outputs: NDArray[Any],
    then: str,
    request_id: str,
) -> dict[str, Any]:
    """Feed each answer's text (a transcript) to deployment ``then``; its answer, nested.

    The chained deployment is routed, validated, batched and logged as if it had been
    called on its own (same request id), so its canaries and monitoring see the texts."""
    if not worker.codec.chains:
        raise ChainError(f"deployment {name!r} answers no texts to chain", field="then")
    if then == name:
        raise ChainError("a deployment cannot chain to itself", field="then")
    target = context.state.get(then)
    require_endpoint(target.codec, "predict", then)
    started = time.perf_counter()
    column = _text_input(target.choose(), then)
    rows = [{column: text} for text in worker.codec.texts(outputs)]
    chained, records, answers = await _answer(context.state, then, target, rows)
    latency = time.perf_counter() - started
    version = str(chained.version)
    context.metrics.requests.labels(then, version, "200").inc()
    context.metrics.latency.labels(then, version).observe(latency)
    _log(context, request_id, then, chained, "primary", latency, records, answers)
    return {
        "deployment": then,
        "model": chained.model,
        "version": chained.version,
        **chained.codec.answer(answers, chained.labels, records),
    }


def _text_input(worker: VersionWorker, deployment: str) -> str:
    """The one text column a chained deployment's model takes (its codec says)."""
    column = worker.codec.chain_column()
    if column is None:
        raise ChainError(
            f"deployment {deployment!r} does not take exactly one text column; a chain "
            "needs a text model (sentiment, NER)",
            field="then",
        )
    return column


def _failed(context: ServerContext, name: str, status: int) -> None:
    count_error(context.metrics, name, status)
    if context.predlog is not None:
        context.predlog.append_error(name, status)


async def _answer(
    state: ServingState, name: str, live: LiveDeployment, rows: list[Any]
) -> tuple[VersionWorker, Records, NDArray[Any]]:
    """Route, validate and predict; retries on the new shape if a hot swap raced us."""
    for _ in range(5):
        worker = live.choose()
        records = await _validate(worker, rows)
        try:
            outputs = await asyncio.wait_for(worker.batcher.submit(records), REQUEST_TIMEOUT_S)
        except WorkerClosed:
            await asyncio.sleep(0)
            live = state.get(name)
            continue
        except TimeoutError as exc:
            raise Overloaded(f"the model did not answer within {REQUEST_TIMEOUT_S:g}s") from exc
        return worker, records, outputs
    raise Overloaded("deployment is being swapped; retry")


async def _shadow(
    context: ServerContext, name: str, worker: VersionWorker, rows: list[Any], request_id: str
) -> None:
    """Send a copy to a shadow version; its answer is logged, never returned."""
    started = time.perf_counter()
    try:
        records = await _validate(worker, rows)
        outputs = await worker.batcher.submit(records)
    except Exception as exc:
        if not isinstance(exc, LeptonError):
            internal_error(exc, where=f"shadow {name}@{worker.version}")
        context.metrics.shadow_dropped.labels(name, str(worker.version)).inc()
        return
    latency = time.perf_counter() - started
    _log(context, request_id, name, worker, "shadow", latency, records, outputs)


OFFLOAD_ROWS = 64


async def _validate(worker: VersionWorker, rows: list[Any]) -> Records:
    """Small bodies are checked on the loop; large ones, and a codec that decodes (images),
    in a thread, so one big body does not hold up every other request (and /healthz)."""
    codec = worker.codec
    if codec.offload or len(rows) >= OFFLOAD_ROWS:
        return await asyncio.to_thread(codec.validate, rows)
    return codec.validate(rows)


def _log(
    context: ServerContext,
    request_id: str,
    name: str,
    worker: VersionWorker,
    role: str,
    latency_s: float,
    records: Records,
    outputs: NDArray[Any],
) -> None:
    """Hand an answered request to the log writer (a buffer append; never blocks)."""
    if context.predlog is None:
        return
    rows, logged = worker.codec.logged(records, outputs)
    append_answer(
        context,
        request_id,
        name,
        worker,
        role,
        latency_s,
        rows,
        logged,
        worker.labels,
        values=worker.codec.values,
    )


def append_answer(
    context: ServerContext,
    request_id: str,
    name: str,
    worker: VersionWorker,
    role: str,
    latency_s: float,
    logged: Records,
    outputs: NDArray[Any],
    labels: list[Any] | None,
    *,
    values: bool = False,
) -> None:
    """One answered request in the prediction log, whichever route answered it."""
    if context.predlog is None:
        return
    context.predlog.append(
        LoggedRequest(
            request_id,
            time.time(),
            name,
            worker.model,
            worker.version,
            role,
            latency_s * 1000,
            logged,
            outputs,
            labels,
            values=values,
        )
    )


def _request_id(request: Request) -> str:
    given = request.headers.get("x-request-id")
    if given and _REQUEST_ID.match(given):
        return given
    return uuid.uuid4().hex
