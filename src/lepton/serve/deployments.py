"""Deployments: which model versions answer a name's traffic, with what weights.

A deployment is a row in the metadata store whose config says which versions of one
model serve it (weights, canary), which get a shadow copy of traffic, and how requests
are batched. Every change goes through these functions and lands in one transaction, so
a running server (which polls the store) swaps to the new shape atomically.

Each change also writes a history event in that same transaction: the action, who made
it (``actor``: ``cli``, ``api:<key>``, ``python``, ``ui:<key>``, ``retrain``), an optional
``reason``, and the routes and shadows before and after (``DeploymentEventRecord``).
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from typing import Any

from lepton.errors import ConflictError, DataError
from lepton.names import validate_name
from lepton.runtime.loader import resolve
from lepton.store.metadata.records import DeploymentChange, DeploymentRecord
from lepton.store.project import Project

DEFAULT_MAX_BATCH = 256
DEFAULT_MAX_LATENCY_MS = 10.0
DEFAULT_MAX_QUEUE = 2048
# On Ray Serve (`lepton serve --ray`) only: the replica autoscaling of each deployment.
# Requests a replica may hold before Serve adds one: high enough that its batcher sees
# batches, not the Serve default of 2 (tuned for one-request-at-a-time models).
DEFAULT_TARGET_ONGOING = 16.0


@dataclass
class Route:
    version: int
    weight: float


@dataclass
class ReplicaScaling:
    """A change to a deployment's Ray Serve autoscaling; ``None`` keeps the current value."""

    min_replicas: int | None = None
    max_replicas: int | None = None
    target_ongoing_requests: float | None = None

    def apply(self, spec: DeploymentSpec) -> None:
        """Set the given values on ``spec``, checked; a lone minimum above the current
        maximum raises the maximum with it (a lone maximum below the minimum is an error)."""
        low = self.min_replicas
        high = self.max_replicas
        if low is not None:
            spec.min_replicas = _positive(low, "--min-replicas")
            if high is None:
                spec.max_replicas = max(spec.max_replicas, spec.min_replicas)
        if high is not None:
            spec.max_replicas = _positive(high, "--max-replicas")
        if spec.max_replicas < spec.min_replicas:
            raise DataError(
                f"--max-replicas ({spec.max_replicas}) must be at least --min-replicas "
                f"({spec.min_replicas})"
            )
        if self.target_ongoing_requests is not None:
            spec.target_ongoing_requests = float(
                _positive(self.target_ongoing_requests, "--target-ongoing-requests")
            )


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
    min_replicas: int = 1
    max_replicas: int = 1
    target_ongoing_requests: float = DEFAULT_TARGET_ONGOING

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


SETTINGS = (
    "max_batch_size",
    "max_latency_ms",
    "max_queue",
    "reject_unknown_categories",
    "min_replicas",
    "max_replicas",
    "target_ongoing_requests",
)


def traffic(spec: DeploymentSpec | None) -> dict[str, Any] | None:
    """The part of a spec a history event shows: routes (version + weight) and shadows."""
    if spec is None:
        return None
    return {
        "routes": [{"version": r.version, "weight": r.weight} for r in spec.routes],
        "shadows": list(spec.shadows),
    }


def describe_traffic(shape: dict[str, Any] | None, *, missing: str = "none") -> str:
    """``v1 80%, v2 20%; shadow v3`` for a ``traffic`` dict (``missing`` when there is none)."""
    if shape is None:
        return missing
    text = ", ".join(f"v{r['version']} {float(r['weight']):g}%" for r in shape.get("routes", []))
    shadows = shape.get("shadows") or []
    if shadows:
        text += ("; " if text else "") + "shadow " + ", ".join(f"v{v}" for v in shadows)
    return text or "no routes"


def describe_change(detail: dict[str, Any]) -> str:
    """An event's change in one line: ``v1 100% → v1 80%, v2 20%``."""
    before = describe_traffic(detail.get("before"), missing="(new)")
    after = describe_traffic(detail.get("after"), missing="(deleted)")
    text = f"{before} → {after}"
    for key, (old, new) in (detail.get("settings") or {}).items():
        text += f"; {key} {old} → {new}"
    return text


def _save(
    project: Project,
    spec: DeploymentSpec,
    *,
    before: DeploymentSpec | None,
    action: str,
    version: int | None,
    actor: str | None,
    reason: str | None,
    via: str | None = None,
) -> DeploymentSpec:
    """Write ``spec`` and its history event (``before`` → ``spec``) in one transaction.

    ``via`` names who drove the change when it is not a person's own action (``retrain``):
    the event's action is then ``via`` and ``detail["change"]`` the underlying action.
    """
    detail: dict[str, Any] = {
        "model": spec.model,
        "version": version,
        "before": traffic(before),
        "after": traffic(spec),
    }
    if before is not None:
        changed = {
            key: [getattr(before, key), getattr(spec, key)]
            for key in SETTINGS
            if getattr(before, key) != getattr(spec, key)
        }
        if changed:
            detail["settings"] = changed
    if via is not None:
        detail["change"] = action
    event = DeploymentChange(via or action, actor, reason, detail)
    record = project.metadata.upsert_deployment(
        spec.name, model=spec.model, config=spec.to_config(), status="active", event=event
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
    replicas: ReplicaScaling | None = None,
    actor: str | None = None,
    reason: str | None = None,
    via: str | None = None,
) -> DeploymentSpec:
    """Create or update a deployment.

    Without ``canary_percent``/``shadow`` the version becomes the only primary (the old
    primary is kept in the history for rollback); with ``canary_percent`` it takes that
    share of traffic next to the current primary; with ``shadow`` it only receives copies.
    The change is recorded as a ``deploy``, ``canary`` or ``shadow`` event by ``actor``
    (or as a ``via`` event, e.g. ``retrain``, naming that action in its detail).
    ``replicas`` is the autoscaling on Ray Serve; the embedded server ignores it.
    """
    record = resolve(project, model_ref)
    deployment = validate_name(name or record.name, kind="deployment name")
    if canary_percent is not None and not 0 < canary_percent < 100:
        raise DataError("--canary must be a percentage between 0 and 100 (exclusive)")
    if canary_percent is not None and shadow:
        raise DataError("choose either --canary or --shadow, not both")
    spec = _existing(project, deployment)
    before = copy.deepcopy(spec)
    action = "shadow" if shadow else "canary" if canary_percent is not None else "deploy"
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
    if replicas is not None:
        replicas.apply(spec)
    return _save(
        project,
        spec,
        before=before,
        action=action,
        version=record.version,
        actor=actor,
        reason=reason,
        via=via,
    )


def promote(
    project: Project,
    name: str,
    version: int | None = None,
    *,
    actor: str | None = None,
    reason: str | None = None,
    via: str | None = None,
) -> DeploymentSpec:
    """Send all traffic to the canary (or ``version``); the old primary goes to history.

    Recorded as a ``promote`` event by ``actor`` (or a ``via`` event, see ``deploy``).
    """
    spec = get_spec(project, name)
    before = copy.deepcopy(spec)
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
    return _save(
        project,
        spec,
        before=before,
        action="promote",
        version=target,
        actor=actor,
        reason=reason,
        via=via,
    )


def rollback(
    project: Project, name: str, *, actor: str | None = None, reason: str | None = None
) -> DeploymentSpec:
    """Drop the canary if there is one; otherwise go back to the previous primary.

    Recorded as a ``rollback`` event by ``actor``; its ``version`` is the one left serving.
    """
    spec = get_spec(project, name)
    before = copy.deepcopy(spec)
    if len(spec.routes) > 1:
        spec.routes = [Route(spec.primary, 100.0)]
        return _save(
            project,
            spec,
            before=before,
            action="rollback",
            version=spec.primary,
            actor=actor,
            reason=reason,
        )
    if not spec.history:
        raise ConflictError(f"{name!r} has no canary and no earlier version to roll back to")
    previous = spec.history[-1]
    spec.history = spec.history[:-1]
    spec.routes = [Route(previous, 100.0)]
    return _save(
        project,
        spec,
        before=before,
        action="rollback",
        version=previous,
        actor=actor,
        reason=reason,
    )


def _positive(value: float, flag: str) -> Any:
    if value <= 0:
        raise DataError(f"{flag} must be positive")
    return value
