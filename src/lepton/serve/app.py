"""The HTTP face of serving: versioned, authenticated, validated, observable endpoints.

The predict path is hand-tuned (raw body + orjson, validation over dicts, batched model
calls off the loop, logging after the answer is ready) because it is the hot path; the
management endpoints use FastAPI's typed models and show up in the OpenAPI document.
"""

from __future__ import annotations

import asyncio
import gc
import io
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import numpy as np
import orjson
import pandas as pd
from fastapi import FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from lepton.errors import LeptonError
from lepton.serve import deployments as deploy_ops
from lepton.serve.auth import KeyChecker
from lepton.serve.batching import Overloaded, WorkerClosed
from lepton.serve.images import ImageValidator, read_image_rows
from lepton.serve.metrics import ServerMetrics
from lepton.serve.predlog import LoggedRequest, PredictionLog
from lepton.serve.runtime import LiveDeployment, ServingState, VersionWorker
from lepton.serve.validation import PayloadTooLarge, RequestError
from lepton.store.project import Project

MAX_BODY_BYTES = 16 * 1024 * 1024
REQUEST_TIMEOUT_S = 30.0
_REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")

PREDICT = ("predict", "admin")
ADMIN = ("admin",)
METRICS = ("metrics", "admin")


class DeployBody(BaseModel):
    model: str = Field(description="MODEL[@VERSION|@alias] to deploy")
    canary_percent: float | None = Field(None, description="share of traffic for a canary")
    shadow: bool = Field(False, description="receive copies of traffic, never answer")
    max_batch_size: int | None = None
    max_latency_ms: float | None = None


class FeedbackItem(BaseModel):
    request_id: str = Field(description="the request_id a prediction answer carried")
    row: int = Field(0, description="row within that request (default 0)")
    label: str | float | int | bool = Field(description="the ground truth")


class FeedbackBody(BaseModel):
    feedback: list[FeedbackItem] = Field(min_length=1)


class PromoteBody(BaseModel):
    version: int | None = Field(None, description="version to promote (default: the canary)")


class ORJSONResponse(JSONResponse):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)


def error_response(exc: LeptonError) -> JSONResponse:
    if isinstance(exc, RequestError):
        body = exc.to_json()
    else:
        error: dict[str, Any] = {"type": _snake(type(exc).__name__), "message": exc.message}
        if exc.field:
            error["field"] = exc.field
        body = {"error": error}
    headers = {"Retry-After": "1"} if isinstance(exc, Overloaded | WorkerClosed) else None
    return ORJSONResponse(body, status_code=exc.http_status, headers=headers)


def create_app(
    project: Project | None = None,
    *,
    poll_seconds: float = 2.0,
    log_predictions: bool = True,
) -> FastAPI:
    """Build the server for every active deployment of ``project``."""
    project = project or Project.open()
    metrics = ServerMetrics()
    state = ServingState(project, metrics, poll_seconds=poll_seconds)
    keys = KeyChecker(project.metadata)
    feedback_store = project.predictions
    predlog = (
        PredictionLog(project.prediction_log_folder, writer="process") if log_predictions else None
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await state.start()
        # Everything loaded so far (libraries, models) lives as long as the process: move it
        # out of the collector's sight, so full collections (which the log buffer's
        # long-lived rows trigger) only walk request-time objects.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await state.stop()
            if predlog is not None:
                await asyncio.to_thread(predlog.close)

    app = FastAPI(
        title="Lepton inference server",
        version="1",
        lifespan=lifespan,
        default_response_class=ORJSONResponse,
    )
    app.state.serving = state
    app.state.predlog = predlog

    @app.exception_handler(LeptonError)
    async def lepton_error(_: Request, exc: LeptonError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        """Framework-level errors (bad multipart, unknown route) in the same JSON shape."""
        return ORJSONResponse(
            {"error": {"type": "http_error", "message": str(exc.detail)}},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_body(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        field = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
        return ORJSONResponse(
            {
                "error": {
                    "type": "validation_error",
                    "field": field,
                    "message": str(first.get("msg", "invalid request body")),
                }
            },
            status_code=422,
        )

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    async def readyz() -> Response:
        """Readiness: deployments are loaded."""
        body = {
            "ready": state.ready,
            "deployments": sorted(state.deployments),
            "failed": state.failures,
        }
        return ORJSONResponse(body, status_code=200 if state.ready else 503)

    @app.get("/metrics", tags=["health"])
    async def prometheus(authorization: str | None = Header(None)) -> Response:
        """Prometheus metrics (needs a metrics or admin key)."""
        keys.require(authorization, METRICS)
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    @app.get("/v1/deployments", tags=["deployments"])
    async def list_deployments(authorization: str | None = Header(None)) -> dict[str, Any]:
        """Every active deployment with its routes, shadows and loaded variants."""
        keys.require(authorization, PREDICT)
        return {"deployments": [_describe(live) for live in state.deployments.values()]}

    @app.put("/v1/deployments/{name}", tags=["deployments"])
    async def put_deployment(
        name: str, body: DeployBody, authorization: str | None = Header(None)
    ) -> dict[str, Any]:
        """Create or update a deployment (admin)."""
        keys.require(authorization, ADMIN)
        spec = await asyncio.to_thread(
            deploy_ops.deploy,
            project,
            body.model,
            name=name,
            canary_percent=body.canary_percent,
            shadow=body.shadow,
            max_batch_size=body.max_batch_size,
            max_latency_ms=body.max_latency_ms,
        )
        await state.refresh()
        return _describe_spec(spec)

    @app.post("/v1/deployments/{name}/promote", tags=["deployments"])
    async def promote(
        name: str, body: PromoteBody | None = None, authorization: str | None = Header(None)
    ) -> dict[str, Any]:
        """Send all traffic to the canary (admin); in-flight requests finish on the old one."""
        keys.require(authorization, ADMIN)
        version = body.version if body else None
        spec = await asyncio.to_thread(deploy_ops.promote, project, name, version)
        await state.refresh()
        return _describe_spec(spec)

    @app.post("/v1/deployments/{name}/rollback", tags=["deployments"])
    async def rollback(name: str, authorization: str | None = Header(None)) -> dict[str, Any]:
        """Drop the canary, or return to the previous primary (admin)."""
        keys.require(authorization, ADMIN)
        spec = await asyncio.to_thread(deploy_ops.rollback, project, name)
        await state.refresh()
        return _describe_spec(spec)

    @app.post("/v1/deployments/{name}/feedback", tags=["predict"])
    async def feedback(
        name: str, body: FeedbackBody, authorization: str | None = Header(None)
    ) -> dict[str, Any]:
        """Attach ground truth to logged predictions by request_id (idempotent).

        Ids that match no logged prediction are returned in ``unknown``, never dropped silently.
        """
        keys.require(authorization, PREDICT)
        state.get(name)
        if predlog is not None:
            await asyncio.to_thread(predlog.flush)  # so ids answered a moment ago are known
        frame = pd.DataFrame([item.model_dump() for item in body.feedback])
        result = await asyncio.to_thread(feedback_store.add_feedback, name, frame)
        return result.to_json()

    @app.post(
        "/v1/deployments/{name}/predict",
        tags=["predict"],
        openapi_extra={
            "requestBody": {
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "records": {"type": "array", "items": {"type": "object"}},
                                "columns": {"type": "object"},
                                "images": {
                                    "type": "array",
                                    "items": {"type": "string", "format": "byte"},
                                    "description": "image models: base64 image files",
                                },
                            },
                        }
                    },
                    "text/csv": {"schema": {"type": "string"}},
                    "application/vnd.apache.parquet": {
                        "schema": {"type": "string", "format": "binary"}
                    },
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "properties": {"file": {"type": "string", "format": "binary"}},
                        }
                    },
                }
            }
        },
    )
    async def predict(name: str, request: Request) -> Response:
        """Predict rows: JSON records/columns, or a CSV / Parquet file for batch scoring.

        Image models take one or more multipart ``file`` parts (image files) or JSON
        ``{"images": ["<base64>", …]}``; one prediction per image, in order.
        """
        started = time.perf_counter()
        keys.require(request.headers.get("authorization"), PREDICT)
        live = state.get(name)
        status = 200
        version = "-"
        try:
            if any(isinstance(w.validator, ImageValidator) for w in live.workers.values()):
                rows = await read_image_rows(request, MAX_BODY_BYTES)
            else:
                rows = await _read_rows(request)
            request_id = _request_id(request)
            worker, records, outputs = await _answer(state, name, live, rows)
            version = str(worker.version)
        except LeptonError as exc:
            status = exc.http_status
            metrics.requests.labels(name, version, str(status)).inc()
            metrics.errors.labels(name, str(status)).inc()
            if predlog is not None:
                predlog.append_error(name, status)
            raise
        latency = time.perf_counter() - started
        metrics.requests.labels(name, version, str(status)).inc()
        metrics.latency.labels(name, version).observe(latency)
        body = _payload(request_id, name, worker, outputs)
        _log(predlog, request_id, name, worker, "primary", latency, records, outputs)
        for shadow in live.shadows:
            if shadow is not worker:
                asyncio.get_running_loop().create_task(
                    _shadow(state, predlog, name, shadow, rows, request_id)
                )
        return ORJSONResponse(body, headers={"X-Request-ID": request_id})

    return app


async def _answer(
    state: ServingState, name: str, live: LiveDeployment, rows: list[Any]
) -> tuple[VersionWorker, list[dict[str, Any]], Any]:
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
    state: ServingState,
    predlog: PredictionLog | None,
    name: str,
    worker: VersionWorker,
    rows: list[Any],
    request_id: str,
) -> None:
    """Send a copy to a shadow version; its answer is logged, never returned."""
    started = time.perf_counter()
    try:
        records = await _validate(worker, rows)
        outputs = await worker.batcher.submit(records)
    except LeptonError:
        state.metrics.shadow_dropped.labels(name, str(worker.version)).inc()
        return
    latency = time.perf_counter() - started
    _log(predlog, request_id, name, worker, "shadow", latency, records, outputs)


async def _validate(worker: VersionWorker, rows: list[Any]) -> list[dict[str, Any]]:
    """Tabular rows are checked on the loop (cheap); images are decoded in a thread."""
    validator = worker.validator
    if isinstance(validator, ImageValidator):
        return await asyncio.to_thread(validator.validate, rows)
    return validator.validate(rows)


def _log(
    predlog: PredictionLog | None,
    request_id: str,
    name: str,
    worker: VersionWorker,
    role: str,
    latency_s: float,
    records: list[dict[str, Any]],
    outputs: Any,
) -> None:
    """Hand an answered request to the log writer (a buffer append; never blocks)."""
    if predlog is None:
        return
    if isinstance(worker.validator, ImageValidator):  # log image statistics, not pixels
        records = worker.validator.loggable(records)
    predlog.append(
        LoggedRequest(
            request_id,
            time.time(),
            name,
            worker.model,
            worker.version,
            role,
            latency_s * 1000,
            records,
            outputs,
            worker.labels,
        )
    )


async def _read_rows(request: Request) -> list[Any]:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise PayloadTooLarge(
            f"request body is {int(declared)} bytes; the limit is {MAX_BODY_BYTES}",
            field="body",
        )
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if content_type == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise RequestError("multipart upload needs a 'file' field", field="file")
        data = await upload.read()
        kind = "parquet" if (upload.filename or "").endswith(".parquet") else "csv"
        return _file_rows(data, kind)
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"request body exceeds {MAX_BODY_BYTES} bytes", field="body")
    if content_type in ("text/csv", "application/csv"):
        return _file_rows(body, "csv")
    if content_type in ("application/vnd.apache.parquet", "application/x-parquet"):
        return _file_rows(body, "parquet")
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise RequestError(f"body is not valid JSON: {exc}", field="body") from exc
    return _rows_from_json(parsed)


def _rows_from_json(body: Any) -> list[Any]:
    if isinstance(body, dict) and "records" in body:
        if not isinstance(body["records"], list):
            raise RequestError("'records' must be a list of objects", field="records")
        return list(body["records"])
    if isinstance(body, dict) and "columns" in body:
        columns = body["columns"]
        if not isinstance(columns, dict) or not all(isinstance(v, list) for v in columns.values()):
            raise RequestError("'columns' must map column names to lists", field="columns")
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise RequestError("all columns must have the same length", field="columns")
        n = lengths.pop() if lengths else 0
        return [{k: v[i] for k, v in columns.items()} for i in range(n)]
    if isinstance(body, list):
        return body
    raise RequestError(
        'send {"records": [{column: value, …}]} or {"columns": {column: [values]}}', field="body"
    )


def _file_rows(data: bytes, kind: str) -> list[Any]:
    try:
        frame = (
            pd.read_parquet(io.BytesIO(data))
            if kind == "parquet"
            else pd.read_csv(io.BytesIO(data))
        )
    except Exception as exc:
        raise RequestError(f"could not read the uploaded {kind}: {exc}", field="file") from exc
    frame = frame.astype(object).where(frame.notna(), None)
    return list(frame.to_dict(orient="records"))


def _payload(request_id: str, name: str, worker: VersionWorker, outputs: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "request_id": request_id,
        "deployment": name,
        "model": worker.model,
        "version": worker.version,
    }
    if worker.labels is None:
        body["predictions"] = np.asarray(outputs, dtype=float).tolist()
        return body
    probs = np.asarray(outputs, dtype=float)
    labels = worker.labels
    body["predictions"] = [labels[i] for i in probs.argmax(axis=1)]
    body["labels"] = labels
    body["probabilities"] = probs.round(6).tolist()
    return body


def _request_id(request: Request) -> str:
    given = request.headers.get("x-request-id")
    if given and _REQUEST_ID.match(given):
        return given
    return uuid.uuid4().hex


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


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
