"""Deployments: which model versions answer a name's traffic, with what weights.

A deployment is a row in the metadata store whose config says which versions of one
model serve it (weights, canary), which get a shadow copy of traffic, and how requests
are batched. Every change goes through these functions and lands in one transaction, so
a running server (which polls the store) swaps to the new shape atomically.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from lepton.errors import ConflictError, DataError
from lepton.names import validate_name
from lepton.runtime.loader import resolve
from lepton.store.metadata.records import DeploymentRecord
from lepton.store.project import Project

DEFAULT_MAX_BATCH = 256
DEFAULT_MAX_LATENCY_MS = 10.0
DEFAULT_MAX_QUEUE = 2048


@dataclass
class Route:
    version: int
    weight: float


@dataclass
class DeploymentSpec:
    """The serving shape of one deployment, as stored in its config."""

    name: str
    model: str
    routes: list[Route]
    shadows: list[int] = field(default_factory=list)
    history: list[int] = field(default_factory=list)  # earlier primaries, newest last
    max_batch_size: int = DEFAULT_MAX_BATCH
    max_latency_ms: float = DEFAULT_MAX_LATENCY_MS
    max_queue: int = DEFAULT_MAX_QUEUE
    reject_unknown_categories: bool = True

    @property
    def primary(self) -> int:
        return max(self.routes, key=lambda r: r.weight).version

    @property
    def versions(self) -> list[int]:
        """Every version the server must load: routed ones, then shadows."""
        seen = [r.version for r in self.routes]
        return seen + [v for v in self.shadows if v not in seen]

    def to_config(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("name")
        data.pop("model")
        return data

    @classmethod
    def from_record(cls, record: DeploymentRecord) -> DeploymentSpec:
        config = dict(record.config)
        routes = [Route(int(r["version"]), float(r["weight"])) for r in config.pop("routes", [])]
        return cls(name=record.name, model=record.model, routes=routes, **config)


def get_spec(project: Project, name: str) -> DeploymentSpec:
    return DeploymentSpec.from_record(project.metadata.get_deployment(name))


def list_specs(project: Project) -> list[DeploymentSpec]:
    return [DeploymentSpec.from_record(r) for r in project.metadata.list_deployments()]


def _save(project: Project, spec: DeploymentSpec, status: str = "active") -> DeploymentSpec:
    record = project.metadata.upsert_deployment(
        spec.name, model=spec.model, config=spec.to_config(), status=status
    )
    return DeploymentSpec.from_record(record)


def _existing(project: Project, name: str) -> DeploymentSpec | None:
    from lepton.errors import NotFoundError

    try:
        return get_spec(project, name)
    except NotFoundError:
        return None


def deploy(
    project: Project,
    model_ref: str,
    *,
    name: str | None = None,
    canary_percent: float | None = None,
    shadow: bool = False,
    max_batch_size: int | None = None,
    max_latency_ms: float | None = None,
    max_queue: int | None = None,
    allow_unknown_categories: bool | None = None,
) -> DeploymentSpec:
    """Create or update a deployment.

    Without ``canary_percent``/``shadow`` the version becomes the only primary (the old
    primary is kept in the history for rollback); with ``canary_percent`` it takes that
    share of traffic next to the current primary; with ``shadow`` it only receives copies.
    """
    record = resolve(project, model_ref)
    deployment = validate_name(name or record.name, kind="deployment name")
    if canary_percent is not None and not 0 < canary_percent < 100:
        raise DataError("--canary must be a percentage between 0 and 100 (exclusive)")
    if canary_percent is not None and shadow:
        raise DataError("choose either --canary or --shadow, not both")
    spec = _existing(project, deployment)
    if spec is not None and spec.model != record.name:
        raise ConflictError(
            f"deployment {deployment!r} serves model {spec.model!r}, not {record.name!r}; "
            "pick another --name or delete the deployment first"
        )
    if spec is None:
        if canary_percent is not None or shadow:
            raise DataError(
                f"deployment {deployment!r} does not exist yet: deploy a primary version first"
            )
        spec = DeploymentSpec(deployment, record.name, [Route(record.version, 100.0)])
    elif shadow:
        spec.shadows = [v for v in spec.shadows if v != record.version] + [record.version]
    elif canary_percent is not None:
        primary = spec.primary
        if record.version == primary:
            raise DataError(f"version {record.version} is already the primary of {deployment!r}")
        spec.routes = [
            Route(primary, 100.0 - canary_percent),
            Route(record.version, canary_percent),
        ]
    else:
        if record.version != spec.primary:
            spec.history = [*spec.history, spec.primary][-20:]
        spec.routes = [Route(record.version, 100.0)]
        spec.shadows = [v for v in spec.shadows if v != record.version]
    if max_batch_size is not None:
        spec.max_batch_size = _positive(max_batch_size, "--max-batch-size")
    if max_latency_ms is not None:
        spec.max_latency_ms = float(_positive(max_latency_ms, "--max-latency-ms"))
    if max_queue is not None:
        spec.max_queue = _positive(max_queue, "--max-queue")
    if allow_unknown_categories is not None:
        spec.reject_unknown_categories = not allow_unknown_categories
    return _save(project, spec)


def promote(project: Project, name: str, version: int | None = None) -> DeploymentSpec:
    """Send all traffic to the canary (or ``version``); the old primary goes to history."""
    spec = get_spec(project, name)
    candidates = [r.version for r in spec.routes if r.version != spec.primary] + spec.shadows
    target = version if version is not None else (candidates[0] if candidates else None)
    if target is None:
        raise ConflictError(f"{name!r} has no canary or shadow version to promote")
    if target not in spec.versions:
        raise DataError(f"version {target} is not part of deployment {name!r}")
    if target != spec.primary:
        spec.history = [*spec.history, spec.primary][-20:]
    spec.routes = [Route(target, 100.0)]
    spec.shadows = [v for v in spec.shadows if v != target]
    return _save(project, spec)


def rollback(project: Project, name: str) -> DeploymentSpec:
    """Drop the canary if there is one; otherwise go back to the previous primary."""
    spec = get_spec(project, name)
    if len(spec.routes) > 1:
        spec.routes = [Route(spec.primary, 100.0)]
        return _save(project, spec)
    if not spec.history:
        raise ConflictError(f"{name!r} has no canary and no earlier version to roll back to")
    previous = spec.history[-1]
    spec.history = spec.history[:-1]
    spec.routes = [Route(previous, 100.0)]
    return _save(project, spec)


def _positive(value: float, flag: str) -> Any:
    if value <= 0:
        raise DataError(f"{flag} must be positive")
    return value
