"""What the server holds in memory: loaded versions, their batchers, the traffic split.

``ServingState`` polls the metadata store, so a `lepton deploy` / promote / rollback from
any process reaches a running server within ``poll_seconds``. A change builds a new
``LiveDeployment`` beside the old one (new versions load in a thread while the old keep
answering), swaps it in with one assignment, then retires versions no longer used by
closing their batchers, which finishes every request already queued on them. Requests
that raced the swap see ``WorkerClosed`` and retry on the new shape: nothing is dropped.
"""

from __future__ import annotations

import asyncio
import logging
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from math import inf
from typing import Any

from lepton.errors import LeptonError, NotFoundError
from lepton.runtime.loader import load_serving_predictor
from lepton.serve.batching import AdaptiveBatcher
from lepton.serve.codecs import Codec, codec_for
from lepton.serve.deployments import DeploymentSpec
from lepton.serve.metrics import ServerMetrics
from lepton.store.project import Project

log = logging.getLogger("lepton.serve")


class NotReady(LeptonError):
    http_status = 503


@dataclass
class VersionWorker:
    """One loaded model version of a deployment: predictor, codec, batcher."""

    model: str
    version: int
    predictor: Any
    codec: Codec
    batcher: AdaptiveBatcher
    labels: list[Any] | None
    variant: str

    @property
    def task(self) -> str:
        return str(self.predictor.task)


@dataclass
class LiveDeployment:
    spec: DeploymentSpec
    workers: dict[int, VersionWorker]
    updated_at: datetime
    rng: random.Random = field(default_factory=random.Random)

    def choose(self) -> VersionWorker:
        routes = self.spec.routes
        if len(routes) == 1:
            return self.workers[routes[0].version]
        pick = self.rng.random() * sum(r.weight for r in routes)
        for route in routes:
            pick -= route.weight
            if pick < 0:
                return self.workers[route.version]
        return self.workers[routes[-1].version]

    @property
    def shadows(self) -> list[VersionWorker]:
        return [self.workers[v] for v in self.spec.shadows if v in self.workers]

    @property
    def request_capacity(self) -> float:
        """Requests of the usual size the smallest version queue holds (admission control)."""
        return min((w.batcher.request_capacity for w in self.workers.values()), default=inf)

    @property
    def codec(self) -> Codec:
        """The body reader: every version of a deployment takes one kind, so the primary's."""
        return self.workers[self.spec.primary].codec


class ServingState:
    def __init__(
        self,
        project: Project,
        metrics: ServerMetrics,
        *,
        poll_seconds: float = 2.0,
        model_threads: int = 2,
        only: frozenset[str] | None = None,
    ) -> None:
        """``only``: the deployments this server answers (default: every active one); a
        Ray Serve replica serves one, the Ray root app none."""
        self.project = project
        self.only = only
        self.metrics = metrics
        self.poll_seconds = poll_seconds
        self.executor = ThreadPoolExecutor(model_threads, thread_name_prefix="lepton-model")
        self.deployments: dict[str, LiveDeployment] = {}
        self.failures: dict[str, str] = {}
        self.ready = False
        self._poll: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        await self.refresh()
        self.ready = True
        self._poll = asyncio.get_running_loop().create_task(self._poll_loop())

    async def stop(self) -> None:
        if self._poll is not None:
            self._poll.cancel()
        for live in list(self.deployments.values()):
            for worker in live.workers.values():
                await worker.batcher.close()
        self.executor.shutdown(wait=True)

    def get(self, name: str) -> LiveDeployment:
        live = self.deployments.get(name)
        if live is None:
            if name in self.failures:
                raise NotReady(f"deployment {name!r} failed to load: {self.failures[name]}")
            raise NotFoundError(f"no deployment named {name!r} (see GET /v1/deployments)")
        return live

    def request_capacity(self, name: str) -> float:
        """``LiveDeployment.request_capacity`` of ``name``; no limit for a name not served
        (it is answered 404 later)."""
        live = self.deployments.get(name)
        return live.request_capacity if live is not None else inf

    async def _poll_loop(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            try:
                await self.refresh()
            except Exception:  # a store hiccup must not stop serving what is loaded
                log.exception("deployment refresh failed; keeping the current ones")

    async def refresh(self) -> None:
        """Bring the in-memory deployments in line with the store."""
        async with self._lock:
            records = await asyncio.to_thread(self.project.metadata.list_deployments)
            active = {
                r.name: r
                for r in records
                if r.status == "active" and (self.only is None or r.name in self.only)
            }
            for name, record in active.items():
                live = self.deployments.get(name)
                if live is not None and live.updated_at == record.updated_at:
                    continue
                spec = DeploymentSpec.from_record(record)
                try:
                    new = await self._build(spec, record.updated_at, live)
                except LeptonError as exc:
                    self.failures[name] = str(exc)
                    log.error("deployment %s failed to load: %s", name, exc)
                    continue
                self.failures.pop(name, None)
                self.deployments[name] = new
                if live is not None:
                    await self._retire(live, new)
            for name in [n for n in self.deployments if n not in active]:
                old = self.deployments.pop(name)
                await self._retire(old, None)

    async def _build(
        self, spec: DeploymentSpec, updated_at: datetime, old: LiveDeployment | None
    ) -> LiveDeployment:
        workers: dict[int, VersionWorker] = {}
        for version in spec.versions:
            reusable = old.workers.get(version) if old is not None else None
            if reusable is not None and _same_serving_config(old.spec, spec):  # type: ignore[union-attr]
                workers[version] = reusable
                continue
            workers[version] = await self._load(spec, version)
        return LiveDeployment(spec, workers, updated_at)

    async def _load(self, spec: DeploymentSpec, version: int) -> VersionWorker:
        predictor, record = await asyncio.to_thread(
            load_serving_predictor, self.project, f"{spec.model}@{version}"
        )
        labels = None if predictor.task == "regression" else list(predictor.labels)
        codec = codec_for(
            predictor.manifest,
            reject_unknown_categories=spec.reject_unknown_categories,
        )
        labels_v = (spec.name, str(version))

        def observe(rows: int, seconds: float) -> None:
            self.metrics.batch_size.labels(*labels_v).observe(rows)
            self.metrics.model_seconds.labels(*labels_v).observe(seconds)

        batcher = AdaptiveBatcher(
            predictor.predict_records,
            self.executor,
            max_batch_size=spec.max_batch_size,
            max_latency_ms=spec.max_latency_ms,
            max_queue=spec.max_queue,
            on_batch=observe,
        )
        batcher.start()
        self.metrics.queue_depth.labels(*labels_v).set_function(lambda: batcher.queue_depth)
        variant = str(getattr(predictor, "variant", None) or "native")
        log.info("loaded %s@%s (%s) for deployment %s", spec.model, version, variant, spec.name)
        return VersionWorker(spec.model, record.version, predictor, codec, batcher, labels, variant)

    async def _retire(self, old: LiveDeployment, new: LiveDeployment | None) -> None:
        kept = {id(w) for w in new.workers.values()} if new is not None else set()
        for worker in old.workers.values():
            if id(worker) not in kept:
                await worker.batcher.close()


def _same_serving_config(a: DeploymentSpec, b: DeploymentSpec) -> bool:
    return (a.max_batch_size, a.max_latency_ms, a.max_queue, a.reject_unknown_categories) == (
        b.max_batch_size,
        b.max_latency_ms,
        b.max_queue,
        b.reject_unknown_categories,
    )
