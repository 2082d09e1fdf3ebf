"""The relational schema (SQLAlchemy 2 declarative). Alembic migrations create it.

Each row class maps itself to its plain record (``to_record``), so the mapping sits next
to the columns it reads and changes with them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lepton.store.metadata.records import (
    AlertRecord,
    AliasEventRecord,
    ApiKeyRecord,
    DatasetVersionRecord,
    DeploymentEventRecord,
    DeploymentRecord,
    ModelVersionRecord,
    RunRecord,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands timestamps back without a zone; every record carries an aware UTC one."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def as_utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Dataset(Base):
    __tablename__ = "datasets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DatasetVersion(Base):
    __tablename__ = "dataset_versions"
    __table_args__ = (
        UniqueConstraint("dataset_id", "version", name="uq_dataset_version"),
        UniqueConstraint("dataset_id", "content_hash", name="uq_dataset_content"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    artifact_key: Mapped[str] = mapped_column(String(512))
    n_rows: Mapped[int] = mapped_column(Integer)
    n_cols: Mapped[int] = mapped_column(Integer)
    schema_json: Mapped[dict[str, Any]] = mapped_column("schema", JSON)
    profile_json: Mapped[dict[str, Any]] = mapped_column("profile", JSON)
    recipe_json: Mapped[list[Any] | None] = mapped_column("recipe", JSON, nullable=True)
    target: Mapped[str | None] = mapped_column(String(256), nullable=True)
    source: Mapped[str | None] = mapped_column(Text, nullable=True)
    parent_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def to_record(self, name: str) -> DatasetVersionRecord:
        """``name`` is the owning dataset's (the row holds only its id)."""
        return DatasetVersionRecord(
            id=self.id,
            name=name,
            version=self.version,
            content_hash=self.content_hash,
            artifact_key=self.artifact_key,
            n_rows=self.n_rows,
            n_cols=self.n_cols,
            schema=self.schema_json,
            profile=self.profile_json,
            recipe=self.recipe_json,
            target=self.target,
            source=self.source,
            parent_version=self.parent_version,
            created_at=as_utc(self.created_at),
        )


class Run(Base):
    __tablename__ = "runs"
    __table_args__ = (  # migration 0004: filtered runs pages, newest first
        Index("ix_runs_status_started_at", "status", "started_at"),
        Index("ix_runs_kind_started_at", "kind", "started_at"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    dataset_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("dataset_versions.id"), nullable=True
    )
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    host: Mapped[str | None] = mapped_column(String(255), nullable=True)
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    def to_record(self) -> RunRecord:
        return RunRecord(
            id=self.id,
            kind=self.kind,
            name=self.name,
            status=self.status,
            params=self.params,
            metrics=self.metrics,
            dataset_version_id=self.dataset_version_id,
            started_at=as_utc(self.started_at),
            ended_at=as_utc_or_none(self.ended_at),
            duration_s=self.duration_s,
            error=self.error,
            host=self.host,
            pid=self.pid,
            heartbeat_at=as_utc_or_none(self.heartbeat_at),
        )


class RegisteredModel(Base):
    __tablename__ = "models"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    task: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ModelVersion(Base):
    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("model_id", "version", name="uq_model_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    artifact_key: Mapped[str] = mapped_column(String(512))
    task: Mapped[str | None] = mapped_column(String(32), nullable=True)
    run_id: Mapped[str | None] = mapped_column(ForeignKey("runs.id"), nullable=True)
    dataset_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("dataset_versions.id"), nullable=True
    )
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def to_record(self, name: str, aliases: list[str]) -> ModelVersionRecord:
        """``name`` is the owning model's; ``aliases`` those pointing here (another table)."""
        return ModelVersionRecord(
            id=self.id,
            name=name,
            version=self.version,
            artifact_key=self.artifact_key,
            task=self.task,
            run_id=self.run_id,
            dataset_version_id=self.dataset_version_id,
            metrics=self.metrics,
            metadata=self.meta,
            created_at=as_utc(self.created_at),
            aliases=aliases,
        )


class ModelAlias(Base):
    __tablename__ = "model_aliases"
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"), primary_key=True)
    alias: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AliasEvent(Base):
    __tablename__ = "alias_events"
    __table_args__ = (  # migration 0004: a model's alias history, newest first
        Index("ix_alias_events_model_id_created_at", "model_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"), index=True)
    alias: Mapped[str] = mapped_column(String(64))
    from_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    to_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor: Mapped[str | None] = mapped_column(String(128), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def to_record(self, model: str) -> AliasEventRecord:
        """``model`` is the owning model's name (the row holds only its id)."""
        return AliasEventRecord(
            id=self.id,
            model=model,
            alias=self.alias,
            from_version=self.from_version,
            to_version=self.to_version,
            actor=self.actor,
            reason=self.reason,
            created_at=as_utc(self.created_at),
        )


class Deployment(Base):
    __tablename__ = "deployments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    model: Mapped[str] = mapped_column(String(256))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def to_record(self) -> DeploymentRecord:
        return DeploymentRecord(
            id=self.id,
            name=self.name,
            model=self.model,
            config=self.config,
            status=self.status,
            created_at=as_utc(self.created_at),
            updated_at=as_utc(self.updated_at),
        )


class DeploymentEvent(Base):
    """A deployment's change history; keyed by name, so it outlives a deleted deployment."""

    __tablename__ = "deployment_events"
    __table_args__ = (  # migration 0005: a deployment's history, newest first
        Index("ix_deployment_events_deployment_created_at", "deployment", "created_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deployment: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(128), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def to_record(self) -> DeploymentEventRecord:
        return DeploymentEventRecord(
            id=self.id,
            deployment=self.deployment,
            action=self.action,
            actor=self.actor,
            detail=dict(self.detail),
            created_at=as_utc(self.created_at),
            reason=self.reason,
        )


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    def to_record(self) -> ApiKeyRecord:
        """Everything but the hash: a record never carries anything that verifies a key."""
        return ApiKeyRecord(
            id=self.id,
            name=self.name,
            prefix=self.prefix,
            scopes=list(self.scopes),
            created_at=as_utc(self.created_at),
            last_used_at=as_utc_or_none(self.last_used_at),
            revoked_at=as_utc_or_none(self.revoked_at),
        )


class Alert(Base):
    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deployment: Mapped[str] = mapped_column(String(128), index=True)
    rule: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    delivered: Mapped[bool] = mapped_column(Boolean)
    fired_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )  # migration 0004: the alerts page, newest first

    def to_record(self) -> AlertRecord:
        return AlertRecord(
            id=self.id,
            deployment=self.deployment,
            rule=self.rule,
            kind=self.kind,
            message=self.message,
            value=self.value,
            threshold=self.threshold,
            details=dict(self.details),
            delivered=self.delivered,
            fired_at=as_utc(self.fired_at),
        )
