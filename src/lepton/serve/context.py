"""What the routes share: one ``ServerContext`` per app, reached through ``app.state``.

Why a typed object on ``app.state`` rather than closures: the routers are plain modules
(one job each), and a typed context keeps mypy checking what they use. The predict
route reads it with ``context_of`` (no dependency resolution on the hot path); the
others declare it as the ``Context`` dependency.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request

from lepton.serve.auth import KeyChecker
from lepton.serve.metrics import ServerMetrics
from lepton.serve.predlog import PredictionLog
from lepton.serve.runtime import ServingState
from lepton.store.predictions import PredictionStore
from lepton.store.project import Project


@dataclass
class ReadinessReport:
    ready: bool
    deployments: list[str]
    failed: dict[str, str]


class Catalogue(Protocol):
    """Readiness and the deployment list, for a server whose deployments live elsewhere.

    The Ray root app loads no model: each deployment is its own Serve application, so
    what is ready and what is loaded has to be asked of them (``lepton.serve.ray_serve``).
    """

    async def readiness(self) -> ReadinessReport: ...

    async def describe(self) -> list[dict[str, Any]]: ...


@dataclass
class ServerContext:
    project: Project
    state: ServingState
    metrics: ServerMetrics
    keys: KeyChecker
    predlog: PredictionLog | None
    feedback: PredictionStore
    catalogue: Catalogue | None = None  # None: this server's own ServingState answers
    # Other servers (Ray Serve replicas) log to the same folder and flush on their own
    # clock: ground truth for an id not found yet is looked up again after this long.
    peer_flush_seconds: float | None = None
    background: set[asyncio.Task[None]] = field(default_factory=set)

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` beside the request, holding a reference until it is done."""
        task = asyncio.get_running_loop().create_task(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)


def context_of(request: Request) -> ServerContext:
    context: ServerContext = request.app.state.lepton
    return context


async def _context(request: Request) -> ServerContext:  # async: FastAPI runs sync ones in a thread
    return context_of(request)


Context = Annotated[ServerContext, Depends(_context)]
