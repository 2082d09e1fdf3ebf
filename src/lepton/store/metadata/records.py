"""Plain, immutable views of stored rows: what the store hands out instead of ORM objects.

Callers never hold a session or a lazily-loading ORM instance, so records can cross
threads, processes and the HTTP boundary safely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

T = TypeVar("T")

MAX_PAGE_LIMIT = 500  # one page never loads more rows than a dashboard table shows at once


@dataclass(frozen=True)
class DatasetVersionRecord:
    id: int
    name: str
    version: int
    content_hash: str
    artifact_key: str
    n_rows: int
    n_cols: int
    schema: dict[str, Any]
    profile: dict[str, Any]
    recipe: list[dict[str, Any]] | None
    target: str | None
    source: str | None
    parent_version: int | None
    created_at: datetime


@dataclass(frozen=True)
class DatasetSummary:
    name: str
    latest_version: int
    n_versions: int
    n_rows: int
    n_cols: int
    target: str | None
    updated_at: datetime


@dataclass(frozen=True)
class RunRecord:
    id: str
    kind: str
    name: str | None
    status: str
    params: dict[str, Any]
    metrics: dict[str, Any]
    dataset_version_id: int | None
    started_at: datetime
    ended_at: datetime | None
    duration_s: float | None
    error: str | None
    host: str | None = None  # where the run's process lives, and its pid: for the reaper
    pid: int | None = None
    heartbeat_at: datetime | None = None  # the last time that process said it was alive


@dataclass(frozen=True)
class ModelVersionRecord:
    id: int
    name: str
    version: int
    artifact_key: str
    task: str | None
    run_id: str | None
    dataset_version_id: int | None
    metrics: dict[str, Any]
    metadata: dict[str, Any]
    created_at: datetime
    aliases: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ModelSummary:
    name: str
    task: str | None
    latest_version: int
    n_versions: int
    aliases: dict[str, int]
    updated_at: datetime


@dataclass(frozen=True)
class AliasEventRecord:
    id: int
    model: str
    alias: str
    from_version: int | None
    to_version: int | None
    actor: str | None
    reason: str | None
    created_at: datetime


@dataclass(frozen=True)
class DeploymentRecord:
    id: int
    name: str
    model: str
    config: dict[str, Any]
    status: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class DeploymentEventRecord:
    """One change of a deployment: who made it, when, and its routes before and after.

    ``action`` is ``deploy`` (new or replaced primary), ``canary``, ``shadow``,
    ``promote``, ``rollback``, ``retrain`` (what a retrain shipped) or ``delete``.
    ``detail`` holds ``before`` and ``after`` (each ``{"routes": [{"version", "weight"}],
    "shadows": [...]}``, or None for a deployment that did not / no longer exist), plus
    ``model``, the ``version`` acted on and any changed ``settings``.
    """

    id: int
    deployment: str
    action: str
    actor: str | None
    detail: dict[str, Any]
    created_at: datetime
    reason: str | None = None


@dataclass(frozen=True)
class DeploymentChange:
    """The event to write with a deployment upsert (same transaction): see above."""

    action: str
    actor: str | None = None
    reason: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ApiKeyRecord:
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class AlertRecord:
    id: int
    deployment: str
    rule: str
    kind: str
    message: str
    value: float | None
    threshold: float | None
    details: dict[str, Any]
    delivered: bool
    fired_at: datetime


@dataclass(frozen=True)
class Page(Generic[T]):
    """One window of a longer listing, with the total the window was cut from.

    Pages are cut by the database (``OFFSET``/``LIMIT`` plus one ``COUNT``), so a listing of
    10,000 rows costs one page of rows, not all of them; ``total`` lets a pager say where
    it is without loading the rest.
    """

    items: list[T]
    total: int
    offset: int
    limit: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.items) < self.total

    @property
    def has_previous(self) -> bool:
        return self.offset > 0


def page_window(offset: int, limit: int) -> tuple[int, int]:
    """``(offset, limit)`` made safe: no negative offset, 1 ≤ limit ≤ ``MAX_PAGE_LIMIT``.

    Values come from query strings; clamping here keeps a typo from loading the table.
    """
    return max(int(offset), 0), min(max(int(limit), 1), MAX_PAGE_LIMIT)
