"""The HTTP face of serving: builds the state, includes the routers, installs the errors.

The endpoints live in ``lepton.serve.routes`` (health, deployments, feedback, predict,
forecast),
the error shapes in ``lepton.serve.errors``, and the per-kind body handling in
``lepton.serve.codecs``; this module only wires them to one project.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from lepton.serve.admission import Admission, AdmissionControl, AdmissionLimits
from lepton.serve.auth import KeyChecker
from lepton.serve.context import Catalogue, ServerContext
from lepton.serve.errors import install_error_handlers
from lepton.serve.memory import trim_when_idle
from lepton.serve.metrics import ServerMetrics
from lepton.serve.predlog import PredictionLog
from lepton.serve.responses import ORJSONResponse
from lepton.serve.routes import admin, feedback, forecast, health, predict, recommend
from lepton.serve.runtime import ServingState
from lepton.store.project import Project


def create_app(
    project: Project | None = None,
    *,
    poll_seconds: float = 2.0,
    log_predictions: bool = True,
    admission: AdmissionLimits | None = None,
    only: frozenset[str] | None = None,
    log_writer: str = "process",
    catalogue: Catalogue | None = None,
    peer_flush_seconds: float | None = None,
) -> FastAPI:
    """Build the server for every active deployment of ``project``.

    ``admission``: how much prediction work may be in flight (429 beyond it). The rest is
    for a server that is one of many (a Ray Serve replica, ``lepton.serve.ray_serve``):
    ``only`` the deployments it answers, ``log_writer`` how its log is converted,
    ``catalogue`` who answers readiness and the list, ``peer_flush_seconds`` how long other
    servers may hold a prediction before it is in the shared log.
    """
    project = project or Project.open()
    metrics = ServerMetrics()
    context = ServerContext(
        project=project,
        state=ServingState(project, metrics, poll_seconds=poll_seconds, only=only),
        metrics=metrics,
        keys=KeyChecker(project.metadata),
        predlog=PredictionLog(
            project.prediction_log_folder, writer=log_writer, mirror=project.predictions.mirror
        )
        if log_predictions
        else None,
        feedback=project.predictions,
        catalogue=catalogue,
        peer_flush_seconds=peer_flush_seconds,
    )
    gate = Admission(admission or AdmissionLimits(), metrics, context.state.request_capacity)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await context.state.start()
        # Everything loaded so far (libraries, models) lives as long as the process: move it
        # out of the collector's sight, so full collections (which the log buffer's
        # long-lived rows trigger) only walk request-time objects.
        gc.collect()
        gc.freeze()
        trimmer = asyncio.create_task(trim_when_idle(lambda: gate.admitted, lambda: gate.in_flight))
        try:
            yield
        finally:
            trimmer.cancel()
            await context.state.stop()
            if context.predlog is not None:
                await asyncio.to_thread(context.predlog.close)

    app = FastAPI(
        title="Lepton inference server",
        version="1",
        lifespan=lifespan,
        default_response_class=ORJSONResponse,
    )
    app.state.lepton = context
    # The routes join the app's own router instead of include_router: FastAPI (0.16x) keeps an
    # included router as a node that every request walks and re-matches through, which
    # measured +5% instructions per predict call (callgrind) over routes defined on the app.
    # Predict first: it is matched on every hot request.
    for module in (predict, forecast, recommend, feedback, admin, health):
        app.router.routes.extend(module.router.routes)
    install_error_handlers(app, metrics)
    # outermost: excess work is refused before any other layer spends time on it
    app.add_middleware(AdmissionControl, gate=gate)
    return app
