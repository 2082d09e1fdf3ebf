"""``lepton serve --ray``: every deployment its own Ray Serve application, the API unchanged.

Why each replica runs the same FastAPI app as ``lepton serve`` (``create_app``) rather
than a Serve-native rewrite: paths, auth, bodies, error shapes and the OpenAPI stay one
piece of code, and so do canary weights, shadows, hot promote and rollback (each
replica's ``ServingState`` polls the store, as the embedded server does) and the
adaptive batching inside each replica. What Ray adds is where replicas run and how many:

- the root application ``lepton`` at ``/`` loads no model: health, the deployment list,
  keys, docs, the dashboard, and a ``PUT`` for a name not served yet. Its readiness and
  list are asked of the deployments' replicas (``ServeCatalogue``);
- each deployment is the application ``lepton-<name>`` at ``/v1/deployments/<name>``,
  whose replicas serve that deployment only, autoscaled by its ``min_replicas``,
  ``max_replicas`` and ``target_ongoing_requests`` (``lepton deploy --min-replicas …``);
- ``RayServeController`` (the ``lepton serve --ray`` process) polls the store and runs,
  updates or deletes those applications as deployments appear, change scale or go.

Replicas on one host share the project's prediction log folder (each writes its own
journal, ``lepton.store.journal``), so feedback answered by one replica finds a
prediction another one logged: an id not found yet is looked up once more after a flush.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

# isort: split
# before Ray Serve is imported: it reads the proxy switch at import time
from lepton.serve.ray_proxy import PROXY_ENV

# isort: split
from ray import serve
from ray.serve.schema import ApplicationStatus

from lepton.compute.ray_executor import RAY_ENV, connect
from lepton.config import Settings
from lepton.errors import ConfigError
from lepton.serve.admission import AdmissionLimits
from lepton.serve.context import ReadinessReport
from lepton.serve.deployments import DeploymentSpec
from lepton.serve.predlog import FLUSH_SECONDS
from lepton.store.project import Project

log = logging.getLogger("lepton.serve.ray")

ROOT_APP = "lepton"
APP_PREFIX = "lepton-"
PEER_FLUSH_WAIT_S = 2 * FLUSH_SECONDS  # a replica's flush plus its conversion to Parquet
FORWARDED_ENV = ("LEPTON_", "AWS_", "HF_", "TRANSFORMERS_", "SENTENCE_TRANSFORMERS_")
START_TIMEOUT_S = 180.0
# No access log line per request in the proxy and every replica: it costs each request a
# formatted, written line (Lepton's own prediction log already records every answer).
QUIET = {"log_level": "WARNING", "enable_access_log": False}
PENDING = {ApplicationStatus.NOT_STARTED, ApplicationStatus.DEPLOYING}
BROKEN = {ApplicationStatus.DEPLOY_FAILED, ApplicationStatus.UNHEALTHY}

ASGIApp = Callable[..., Any]


def app_name(deployment: str) -> str:
    return APP_PREFIX + deployment


def route_prefix(deployment: str) -> str:
    return f"/v1/deployments/{deployment}"


@dataclass(frozen=True)
class ServerOptions:
    """How every replica's server is built (the flags of ``lepton serve``)."""

    poll_seconds: float = 2.0
    log_predictions: bool = True
    admission: AdmissionLimits = field(default_factory=AdmissionLimits)
    replica_cpus: float = 1.0
    # "module:function" called with (app, project) on the root app: the dashboard. A name,
    # not an import, so serving never imports the layers above it.
    extend_root: str | None = None


@dataclass(frozen=True)
class Scaling:
    """The Serve options of one deployment's application: what a change there redeploys."""

    min_replicas: int
    max_replicas: int
    target_ongoing_requests: float

    @classmethod
    def of(cls, spec: DeploymentSpec) -> Scaling:
        return cls(spec.min_replicas, spec.max_replicas, spec.target_ongoing_requests)

    @property
    def max_ongoing_requests(self) -> int:
        """What one replica accepts before the proxy queues: room for its batcher to fill."""
        return max(64, int(4 * self.target_ongoing_requests))

    def autoscaling_config(self) -> dict[str, Any]:
        return {
            "min_replicas": self.min_replicas,
            "initial_replicas": self.min_replicas,
            "max_replicas": self.max_replicas,
            "target_ongoing_requests": self.target_ongoing_requests,
        }


class AtFullPath:
    """Serve's proxy moves the route prefix into ``root_path``; Lepton's routes match the
    full path (``/v1/deployments/{name}/predict``), so the replica sees it unprefixed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(
        self, scope: MutableMapping[str, Any], receive: Callable[..., Any], send: Any
    ) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = {**scope, "root_path": ""}
        await self.app(scope, receive, send)


class ServeCatalogue:
    """The root app's readiness and deployment list, asked of each deployment's replicas."""

    def __init__(self, project: Project) -> None:
        self.project = project

    async def _reports(self) -> tuple[dict[str, dict[str, Any]], dict[str, str], bool]:
        """(loaded name → report, failed name → why, whether anything is still starting)."""
        records = await asyncio.to_thread(self.project.metadata.list_deployments)
        status = await asyncio.to_thread(serve.status)
        reports: dict[str, dict[str, Any]] = {}
        failed: dict[str, str] = {}
        pending = False
        for record in records:
            if record.status != "active":
                continue
            app = status.applications.get(app_name(record.name))
            if app is None or app.status in PENDING:
                pending = True
            elif app.status in BROKEN:
                failed[record.name] = app.message or app.status.value
            elif app.status == ApplicationStatus.RUNNING:
                handle = await asyncio.to_thread(serve.get_app_handle, app_name(record.name))
                report: dict[str, Any] = await handle.report.remote()
                if report["failure"]:
                    failed[record.name] = report["failure"]
                elif report["deployment"] is None:
                    pending = True
                else:
                    reports[record.name] = report["deployment"]
        return reports, failed, pending

    async def readiness(self) -> ReadinessReport:
        reports, failed, pending = await self._reports()
        return ReadinessReport(not pending, sorted(reports), failed)

    async def describe(self) -> list[dict[str, Any]]:
        reports, _, _ = await self._reports()
        return [reports[name] for name in sorted(reports)]


@serve.ingress()
class LeptonReplica:
    """One Serve replica: ``create_app`` for one deployment, or the root app (``None``)."""

    def __init__(self, settings: Settings, deployment: str | None, options: ServerOptions) -> None:
        # "lepton_" names: the Serve wrapper class this one becomes has attributes of its own
        self.lepton_settings = settings
        self.lepton_deployment = deployment
        self.lepton_options = options
        self.lepton_app: Any = None

    def __serve_build_asgi_app__(self) -> ASGIApp:
        from lepton.serve.app import create_app

        options = self.lepton_options
        os.environ.update(RAY_ENV)
        os.environ.setdefault("OMP_NUM_THREADS", str(max(1, int(options.replica_cpus))))
        project = Project.open(self.lepton_settings, migrate=False)
        root = self.lepton_deployment is None
        self.lepton_app = create_app(
            project,
            poll_seconds=options.poll_seconds,
            log_predictions=options.log_predictions,
            admission=options.admission,
            only=frozenset() if root else frozenset({self.lepton_deployment or ""}),
            log_writer="thread",  # no forked converter inside a Ray worker
            catalogue=ServeCatalogue(project) if root else None,
            peer_flush_seconds=PEER_FLUSH_WAIT_S,
        )
        if root and options.extend_root:
            module, _, function = options.extend_root.partition(":")
            getattr(importlib.import_module(module), function)(self.lepton_app, project)
        return AtFullPath(self.lepton_app)

    async def report(self) -> dict[str, Any]:
        """This replica's deployment as the list shows it (None until loaded), or why not."""
        from lepton.serve.routes.admin import describe

        state = self.lepton_app.state.lepton.state
        name = self.lepton_deployment
        live = state.deployments.get(name)
        return {
            "deployment": describe(live) if live is not None else None,
            "failure": state.failures.get(name),
        }


def _forwarded_env() -> dict[str, str]:
    """What replicas must see of this process's environment (store credentials, S3
    endpoints, offline model switches) besides the settings passed to them."""
    env = {k: v for k, v in os.environ.items() if k.startswith(FORWARDED_ENV)}
    return {**env, **RAY_ENV, **PROXY_ENV}


class RayServeController:
    """Keeps the cluster's Serve applications in line with the project's deployments."""

    def __init__(
        self,
        project: Project,
        address: str,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        options: ServerOptions | None = None,
    ) -> None:
        self.project = project
        self.address = address
        self.host = host
        self.port = port
        self.options = options or ServerOptions()
        self.deployed: dict[str, Scaling] = {}

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _bind(self, deployment: str | None, scaling: Scaling | None) -> Any:
        actor_options: dict[str, Any] = {"runtime_env": {"env_vars": _forwarded_env()}}
        if scaling is None:  # the root: no model, one replica, no CPU of its own
            options: dict[str, Any] = {"name": "root", "num_replicas": 1}
            actor_options["num_cpus"] = 0
        else:
            options = {
                "name": "replica",
                "autoscaling_config": scaling.autoscaling_config(),
                "max_ongoing_requests": scaling.max_ongoing_requests,
            }
            actor_options["num_cpus"] = self.options.replica_cpus
        options["ray_actor_options"] = actor_options
        replicas: Any = serve.deployment(LeptonReplica)  # the stubs miss the class overload
        return replicas.options(**options).bind(self.project.settings, deployment, self.options)

    def attach(self) -> None:
        """Join the cluster as a driver (or say in one line why not)."""
        connect(self.address)
        logging.getLogger("ray.serve").setLevel(logging.WARNING)

    def start(self) -> None:
        """Start Serve's proxy on host:port, the root app, and every deployment's app."""
        serve.start(
            http_options={"host": self.host, "port": self.port},
            proxy_location="HeadOnly",
            logging_config=QUIET,
            controller_options={"runtime_env": {"env_vars": {**RAY_ENV, **PROXY_ENV}}},
        )
        try:
            serve.run(self._bind(None, None), name=ROOT_APP, route_prefix="/", logging_config=QUIET)
        except RuntimeError as exc:  # the replica's traceback is in Ray's serve logs
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ConfigError(f"the Lepton root app did not start on Ray Serve: {first}") from None
        self._wait_for_http()
        self.sync()

    def _wait_for_http(self) -> None:
        """The proxy answers /healthz on our host:port, or Serve was started elsewhere."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise ConfigError(
                    f"Ray Serve did not answer on {self.url} within {START_TIMEOUT_S:g} s; if "
                    "Serve already runs on this cluster it keeps the host and port it was "
                    "started with (`serve shutdown` to change them)"
                )
            time.sleep(0.5)

    def sync(self) -> list[str]:
        """Run, rescale or delete applications to match the store; what changed, in words."""
        specs = {
            r.name: DeploymentSpec.from_record(r)
            for r in self.project.metadata.list_deployments()
            if r.status == "active"
        }
        changes = []
        targets = []
        for name, spec in specs.items():
            scaling = Scaling.of(spec)
            if self.deployed.get(name) == scaling:
                continue
            targets.append(
                serve.RunTarget(
                    self._bind(name, scaling),
                    name=app_name(name),
                    route_prefix=route_prefix(name),
                    logging_config=QUIET,
                )
            )
            verb = "rescaled" if name in self.deployed else "deployed"
            changes.append(f"{verb} {name}: {scaling.min_replicas}–{scaling.max_replicas} replicas")
            self.deployed[name] = scaling
        if targets:
            serve.run_many(targets, wait_for_applications_running=False)
        for name in [n for n in self.deployed if n not in specs]:
            serve.delete(app_name(name), _blocking=False)
            del self.deployed[name]
            changes.append(f"removed {name}")
        return changes

    def wait_until_running(self, timeout: float = START_TIMEOUT_S) -> None:
        """Block until every deployed application runs (or say which did not)."""
        deadline = time.monotonic() + timeout
        while True:
            apps = serve.status().applications
            states = {n: apps.get(app_name(n)) for n in self.deployed}
            broken = {
                n: a.message for n, a in states.items() if a is not None and a.status in BROKEN
            }
            if broken:
                name, why = next(iter(broken.items()))
                raise ConfigError(f"deployment {name} failed on Ray Serve: {why}")
            if all(
                a is not None and a.status == ApplicationStatus.RUNNING for a in states.values()
            ):
                return
            if time.monotonic() > deadline:
                waiting = ", ".join(
                    n for n, a in states.items() if a is None or a.status in PENDING
                )
                raise ConfigError(f"still starting on Ray Serve after {timeout:g} s: {waiting}")
            time.sleep(0.5)

    def run(self, should_stop: Callable[[], bool], on_change: Callable[[str], None]) -> None:
        """Poll the store every ``poll_seconds`` until ``should_stop()``."""
        while not should_stop():
            time.sleep(self.options.poll_seconds)
            try:
                for change in self.sync():
                    on_change(change)
            except Exception:  # a store or cluster hiccup must not stop what is serving
                log.exception("syncing deployments with Ray Serve failed; retrying")

    def stop(self) -> None:
        """Delete Lepton's applications; shut Serve down when nothing else runs on it."""
        for app in [*map(app_name, self.deployed), ROOT_APP]:
            with contextlib.suppress(Exception):  # already gone, or the cluster with it
                serve.delete(app)
        self.deployed.clear()
        with contextlib.suppress(Exception):
            if not serve.status().applications:
                serve.shutdown()  # type: ignore[no-untyped-call]
