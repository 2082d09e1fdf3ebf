"""The metadata store: every dataset version, run, model version, alias change, deployment
and API key, in SQLite (embedded default) or PostgreSQL (scaled), through one code path.

Writes are single transactions. Version numbers are allocated as ``max + 1`` inside the
writing transaction and protected by unique constraints; when two processes collide the
loser retries, so concurrent writers never lose or duplicate a row.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from lepton.errors import ConflictError, NotFoundError, StoreError
from lepton.names import validate_name
from lepton.store.metadata import migrate, tables
from lepton.store.metadata.engine import make_engine
from lepton.store.metadata.records import (
    AlertRecord,
    AliasEventRecord,
    ApiKeyRecord,
    DatasetSummary,
    DatasetVersionRecord,
    DeploymentRecord,
    ModelSummary,
    ModelVersionRecord,
    RunRecord,
)

T = TypeVar("T")
MAX_ATTEMPTS = 12
RUN_STATUSES = ("running", "finished", "failed", "interrupted")
API_KEY_PREFIX = "lep_"


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)


def _next_version(session: Session, version: Any, owner: Any, owner_id: int) -> int:
    """``max + 1`` inside the writing transaction; unique constraints catch a racing writer."""
    latest = session.scalar(select(func.max(version)).where(owner == owner_id))
    return int(latest or 0) + 1


def hash_api_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class MetadataStore:
    """Typed access to the project's metadata; backend chosen by URL scheme."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = make_engine(url)

    # -- lifecycle ---------------------------------------------------------------------------
    def migrate(self) -> None:
        """Create or upgrade the schema (idempotent, safe under concurrent callers)."""
        self._retry(lambda: migrate.upgrade(self.engine))

    def dispose(self) -> None:
        self.engine.dispose()

    def _retry(self, action: Callable[[], T]) -> T:
        for attempt in range(MAX_ATTEMPTS):
            try:
                return action()
            except IntegrityError as exc:
                if attempt == MAX_ATTEMPTS - 1:
                    raise StoreError(
                        f"metadata store {self._safe_url()} rejected the write: {exc.orig}"
                    ) from exc
            except OperationalError as exc:
                if "locked" not in str(exc) or attempt == MAX_ATTEMPTS - 1:
                    raise StoreError(
                        f"metadata store {self._safe_url()} failed: {exc.orig}"
                    ) from exc
            time.sleep(random.uniform(0.005, 0.03) * (1 + attempt))
        raise AssertionError("unreachable")

    def _write(self, work: Callable[[Session], T]) -> T:
        def attempt() -> T:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                return work(session)

        return self._retry(attempt)

    def _read(self, work: Callable[[Session], T]) -> T:
        with Session(self.engine) as session:
            return work(session)

    def _safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    # -- datasets ----------------------------------------------------------------------------
    def add_dataset_version(
        self,
        name: str,
        *,
        content_hash: str,
        artifact_key: str,
        n_rows: int,
        n_cols: int,
        schema: dict[str, Any],
        profile: dict[str, Any],
        recipe: list[dict[str, Any]] | None = None,
        target: str | None = None,
        source: str | None = None,
        parent_version: int | None = None,
    ) -> tuple[DatasetVersionRecord, bool]:
        """Record a version; the same content under the same name returns the existing one."""
        validate_name(name, kind="dataset name")

        def work(session: Session) -> tuple[DatasetVersionRecord, bool]:
            dataset = session.scalar(select(tables.Dataset).where(tables.Dataset.name == name))
            if dataset is None:
                dataset = tables.Dataset(name=name)
                session.add(dataset)
                session.flush()
            existing = session.scalar(
                select(tables.DatasetVersion).where(
                    tables.DatasetVersion.dataset_id == dataset.id,
                    tables.DatasetVersion.content_hash == content_hash,
                )
            )
            if existing is not None:
                return self._dataset_record(name, existing), False
            row = tables.DatasetVersion(
                dataset_id=dataset.id,
                version=_next_version(
                    session,
                    tables.DatasetVersion.version,
                    tables.DatasetVersion.dataset_id,
                    dataset.id,
                ),
                content_hash=content_hash,
                artifact_key=artifact_key,
                n_rows=n_rows,
                n_cols=n_cols,
                schema_json=schema,
                profile_json=profile,
                recipe_json=recipe,
                target=target,
                source=source,
                parent_version=parent_version,
            )
            session.add(row)
            session.flush()
            return self._dataset_record(name, row), True

        return self._write(work)

    def get_dataset_version(self, name: str, version: int | None = None) -> DatasetVersionRecord:
        """A version by number, or the latest; ``NotFoundError`` says what exists instead."""
        validate_name(name, kind="dataset name")

        def work(session: Session) -> DatasetVersionRecord:
            query = (
                select(tables.DatasetVersion)
                .join(tables.Dataset)
                .where(tables.Dataset.name == name)
            )
            if version is not None:
                query = query.where(tables.DatasetVersion.version == version)
            row = session.scalar(query.order_by(tables.DatasetVersion.version.desc()).limit(1))
            if row is None:
                known = session.scalars(
                    select(tables.DatasetVersion.version)
                    .join(tables.Dataset)
                    .where(tables.Dataset.name == name)
                ).all()
                if known:
                    raise NotFoundError(
                        f"dataset {name!r} has no version {version}; versions: "
                        + ", ".join(str(v) for v in sorted(known))
                    )
                raise NotFoundError(
                    f"no dataset named {name!r}; add one with `lepton data add PATH --name {name}`"
                )
            return self._dataset_record(name, row)

        return self._read(work)

    def get_dataset_version_by_id(self, version_id: int) -> DatasetVersionRecord:
        def work(session: Session) -> DatasetVersionRecord:
            row = session.get(tables.DatasetVersion, version_id)
            if row is None:
                raise NotFoundError(f"no dataset version with id {version_id}")
            dataset = session.get(tables.Dataset, row.dataset_id)
            assert dataset is not None
            return self._dataset_record(dataset.name, row)

        return self._read(work)

    def list_datasets(self) -> list[DatasetSummary]:
        def work(session: Session) -> list[DatasetSummary]:
            counts = (
                select(
                    tables.DatasetVersion.dataset_id,
                    func.max(tables.DatasetVersion.version).label("latest"),
                    func.count().label("n"),
                )
                .group_by(tables.DatasetVersion.dataset_id)
                .subquery()
            )
            rows = session.execute(
                select(tables.Dataset.name, counts.c.n, tables.DatasetVersion)
                .join(counts, counts.c.dataset_id == tables.Dataset.id)
                .join(
                    tables.DatasetVersion,
                    (tables.DatasetVersion.dataset_id == tables.Dataset.id)
                    & (tables.DatasetVersion.version == counts.c.latest),
                )
                .order_by(tables.Dataset.name)
            ).all()
            return [
                DatasetSummary(
                    name=name,
                    latest_version=row.version,
                    n_versions=n,
                    n_rows=row.n_rows,
                    n_cols=row.n_cols,
                    target=row.target,
                    updated_at=_utc(row.created_at),
                )
                for name, n, row in rows
            ]

        return self._read(work)

    def list_dataset_versions(self, name: str) -> list[DatasetVersionRecord]:
        validate_name(name, kind="dataset name")

        def work(session: Session) -> list[DatasetVersionRecord]:
            rows = session.scalars(
                select(tables.DatasetVersion)
                .join(tables.Dataset)
                .where(tables.Dataset.name == name)
                .order_by(tables.DatasetVersion.version)
            ).all()
            if not rows:
                raise NotFoundError(f"no dataset named {name!r}")
            return [self._dataset_record(name, r) for r in rows]

        return self._read(work)

    @staticmethod
    def _dataset_record(name: str, row: tables.DatasetVersion) -> DatasetVersionRecord:
        return DatasetVersionRecord(
            id=row.id,
            name=name,
            version=row.version,
            content_hash=row.content_hash,
            artifact_key=row.artifact_key,
            n_rows=row.n_rows,
            n_cols=row.n_cols,
            schema=row.schema_json,
            profile=row.profile_json,
            recipe=row.recipe_json,
            target=row.target,
            source=row.source,
            parent_version=row.parent_version,
            created_at=_utc(row.created_at),
        )

    # -- runs --------------------------------------------------------------------------------
    def start_run(
        self,
        kind: str,
        *,
        params: dict[str, Any] | None = None,
        dataset_version_id: int | None = None,
        name: str | None = None,
    ) -> RunRecord:
        def work(session: Session) -> RunRecord:
            row = tables.Run(
                id=uuid.uuid4().hex,
                kind=kind,
                name=name,
                status="running",
                params=params or {},
                metrics={},
                dataset_version_id=dataset_version_id,
                started_at=datetime.now(UTC),
            )
            session.add(row)
            session.flush()
            return self._run_record(row)

        return self._write(work)

    def finish_run(
        self,
        run_id: str,
        *,
        status: str = "finished",
        metrics: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> RunRecord:
        if status not in RUN_STATUSES[1:]:
            raise ValueError(f"status must be one of {RUN_STATUSES[1:]}, not {status!r}")

        def work(session: Session) -> RunRecord:
            row = self._run_row(session, run_id)
            now = datetime.now(UTC)
            row.status = status
            row.metrics = {**row.metrics, **(metrics or {})}
            row.ended_at = now
            row.duration_s = (now - _utc(row.started_at)).total_seconds()
            row.error = error
            return self._run_record(row)

        return self._write(work)

    def log_metrics(self, run_id: str, metrics: dict[str, Any]) -> RunRecord:
        def work(session: Session) -> RunRecord:
            row = self._run_row(session, run_id)
            row.metrics = {**row.metrics, **metrics}
            return self._run_record(row)

        return self._write(work)

    def get_run(self, run_id: str) -> RunRecord:
        """A run by its id or by a unique prefix of at least 6 characters."""
        return self._read(lambda s: self._run_record(self._run_row(s, run_id)))

    def list_runs(self, limit: int = 50, kind: str | None = None) -> list[RunRecord]:
        def work(session: Session) -> list[RunRecord]:
            query = select(tables.Run).order_by(tables.Run.started_at.desc()).limit(limit)
            if kind is not None:
                query = query.where(tables.Run.kind == kind)
            return [self._run_record(r) for r in session.scalars(query)]

        return self._read(work)

    @staticmethod
    def _run_row(session: Session, run_id: str) -> tables.Run:
        row = session.get(tables.Run, run_id)
        if row is None and len(run_id) >= 6 and run_id.isalnum():
            matches = session.scalars(
                select(tables.Run).where(tables.Run.id.startswith(run_id)).limit(2)
            ).all()
            if len(matches) == 1:
                row = matches[0]
            elif matches:
                raise ConflictError(f"run id prefix {run_id!r} is ambiguous; give more characters")
        if row is None:
            raise NotFoundError(f"no run with id {run_id!r}; `lepton runs` lists them")
        return row

    @staticmethod
    def _run_record(row: tables.Run) -> RunRecord:
        return RunRecord(
            id=row.id,
            kind=row.kind,
            name=row.name,
            status=row.status,
            params=row.params,
            metrics=row.metrics,
            dataset_version_id=row.dataset_version_id,
            started_at=_utc(row.started_at),
            ended_at=_utc_or_none(row.ended_at),
            duration_s=row.duration_s,
            error=row.error,
        )

    # -- models ------------------------------------------------------------------------------
    def register_model_version(
        self,
        name: str,
        *,
        artifact_key: str,
        task: str | None = None,
        run_id: str | None = None,
        dataset_version_id: int | None = None,
        metrics: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> ModelVersionRecord:
        """Add the next version of ``name`` (created on first use)."""
        validate_name(name, kind="model name")

        def work(session: Session) -> ModelVersionRecord:
            model = self._model_row(session, name, create=True, task=task)
            row = tables.ModelVersion(
                model_id=model.id,
                version=_next_version(
                    session, tables.ModelVersion.version, tables.ModelVersion.model_id, model.id
                ),
                artifact_key=artifact_key,
                task=task,
                run_id=run_id,
                dataset_version_id=dataset_version_id,
                metrics=metrics or {},
                meta=metadata or {},
            )
            session.add(row)
            session.flush()
            return self._model_version_record(name, row, [])

        return self._write(work)

    def register_model_variants(
        self,
        parent: str,
        parent_version: int,
        variant_model: str,
        entries: list[dict[str, Any]],
        annotate: Callable[[list[ModelVersionRecord]], dict[str, Any]],
    ) -> tuple[list[ModelVersionRecord], ModelVersionRecord]:
        """Register derived versions and annotate their parent, all in one transaction.

        ``entries`` are ``register_model_version`` keyword arguments for ``variant_model``;
        ``annotate(records)`` returns keys merged into the parent version's metadata (so it
        can name the version numbers just assigned). Either everything lands or nothing.
        """
        validate_name(parent, kind="model name")
        validate_name(variant_model, kind="model name")

        def work(session: Session) -> tuple[list[ModelVersionRecord], ModelVersionRecord]:
            owner = self._model_row(session, parent)
            row = session.scalar(
                select(tables.ModelVersion).where(
                    tables.ModelVersion.model_id == owner.id,
                    tables.ModelVersion.version == parent_version,
                )
            )
            if row is None:
                raise NotFoundError(f"model {parent!r} has no version {parent_version}")
            records: list[ModelVersionRecord] = []
            for entry in entries:
                model = self._model_row(session, variant_model, create=True, task=entry.get("task"))
                variant = tables.ModelVersion(
                    model_id=model.id,
                    version=_next_version(
                        session, tables.ModelVersion.version, tables.ModelVersion.model_id, model.id
                    ),
                    artifact_key=entry["artifact_key"],
                    task=entry.get("task"),
                    run_id=entry.get("run_id"),
                    dataset_version_id=entry.get("dataset_version_id"),
                    metrics=entry.get("metrics") or {},
                    meta=entry.get("metadata") or {},
                )
                session.add(variant)
                session.flush()
                records.append(self._model_version_record(variant_model, variant, []))
            row.meta = {**(row.meta or {}), **annotate(records)}
            session.flush()
            aliases = [a for a, v in self._aliases(session, owner.id).items() if v == row.version]
            return records, self._model_version_record(parent, row, sorted(aliases))

        return self._write(work)

    def get_model_version(self, name: str, selector: int | str | None = None) -> ModelVersionRecord:
        """``selector``: a version number, an alias (``production``), or None for the latest."""
        validate_name(name, kind="model name")

        def work(session: Session) -> ModelVersionRecord:
            model = self._model_row(session, name)
            version: int | None
            if selector is None or selector == "latest":
                version = session.scalar(
                    select(func.max(tables.ModelVersion.version)).where(
                        tables.ModelVersion.model_id == model.id
                    )
                )
            elif isinstance(selector, int) or selector.isdigit():
                version = int(selector)
            else:
                alias = session.get(tables.ModelAlias, (model.id, selector))
                if alias is None:
                    known = self._aliases(session, model.id)
                    raise NotFoundError(
                        f"model {name!r} has no alias {selector!r}; aliases: "
                        + (", ".join(sorted(known)) or "none yet")
                    )
                version = alias.version
            row = session.scalar(
                select(tables.ModelVersion).where(
                    tables.ModelVersion.model_id == model.id, tables.ModelVersion.version == version
                )
            )
            if row is None:
                raise NotFoundError(f"model {name!r} has no version {selector}")
            aliases = [a for a, v in self._aliases(session, model.id).items() if v == row.version]
            return self._model_version_record(name, row, sorted(aliases))

        return self._read(work)

    def list_models(self) -> list[ModelSummary]:
        def work(session: Session) -> list[ModelSummary]:
            stats = {
                model_id: (latest, n, updated)
                for model_id, latest, n, updated in session.execute(
                    select(
                        tables.ModelVersion.model_id,
                        func.max(tables.ModelVersion.version),
                        func.count(),
                        func.max(tables.ModelVersion.created_at),
                    ).group_by(tables.ModelVersion.model_id)
                )
            }
            out = []
            for model in session.scalars(
                select(tables.RegisteredModel).order_by(tables.RegisteredModel.name)
            ):
                if model.id not in stats:
                    continue
                latest, n, updated = stats[model.id]
                out.append(
                    ModelSummary(
                        name=model.name,
                        task=model.task,
                        latest_version=latest,
                        n_versions=n,
                        aliases=self._aliases(session, model.id),
                        updated_at=_utc(updated),
                    )
                )
            return out

        return self._read(work)

    def list_model_versions(self, name: str) -> list[ModelVersionRecord]:
        validate_name(name, kind="model name")

        def work(session: Session) -> list[ModelVersionRecord]:
            model = self._model_row(session, name)
            aliases = self._aliases(session, model.id)
            rows = session.scalars(
                select(tables.ModelVersion)
                .where(tables.ModelVersion.model_id == model.id)
                .order_by(tables.ModelVersion.version)
            ).all()
            return [
                self._model_version_record(
                    name, r, sorted(a for a, v in aliases.items() if v == r.version)
                )
                for r in rows
            ]

        return self._read(work)

    def set_alias(
        self,
        name: str,
        alias: str,
        version: int,
        *,
        actor: str | None = None,
        reason: str | None = None,
    ) -> AliasEventRecord:
        """Point ``alias`` at ``version``; the move is recorded in the alias history."""
        validate_name(name, kind="model name")
        validate_name(alias, kind="alias")
        if alias.isdigit() or alias == "latest":
            raise ConflictError(f"{alias!r} cannot be an alias: it reads as a version selector")

        def work(session: Session) -> AliasEventRecord:
            model = self._model_row(session, name)
            exists = session.scalar(
                select(tables.ModelVersion.id).where(
                    tables.ModelVersion.model_id == model.id, tables.ModelVersion.version == version
                )
            )
            if exists is None:
                raise NotFoundError(f"model {name!r} has no version {version}")
            row = session.get(tables.ModelAlias, (model.id, alias))
            previous = row.version if row is not None else None
            if row is None:
                session.add(tables.ModelAlias(model_id=model.id, alias=alias, version=version))
            else:
                row.version = version
                row.updated_at = datetime.now(UTC)
            return self._alias_event(session, model, alias, previous, version, actor, reason)

        return self._write(work)

    def delete_alias(
        self, name: str, alias: str, *, actor: str | None = None, reason: str | None = None
    ) -> AliasEventRecord:
        validate_name(name, kind="model name")

        def work(session: Session) -> AliasEventRecord:
            model = self._model_row(session, name)
            row = session.get(tables.ModelAlias, (model.id, alias))
            if row is None:
                raise NotFoundError(f"model {name!r} has no alias {alias!r}")
            previous = row.version
            session.delete(row)
            return self._alias_event(session, model, alias, previous, None, actor, reason)

        return self._write(work)

    def alias_history(self, name: str, alias: str | None = None) -> list[AliasEventRecord]:
        """Every alias move of a model, oldest first."""
        validate_name(name, kind="model name")

        def work(session: Session) -> list[AliasEventRecord]:
            model = self._model_row(session, name)
            query = select(tables.AliasEvent).where(tables.AliasEvent.model_id == model.id)
            if alias is not None:
                query = query.where(tables.AliasEvent.alias == alias)
            rows = session.scalars(query.order_by(tables.AliasEvent.id)).all()
            return [self._alias_record(name, r) for r in rows]

        return self._read(work)

    def _alias_event(
        self,
        session: Session,
        model: tables.RegisteredModel,
        alias: str,
        previous: int | None,
        version: int | None,
        actor: str | None,
        reason: str | None,
    ) -> AliasEventRecord:
        event = tables.AliasEvent(
            model_id=model.id,
            alias=alias,
            from_version=previous,
            to_version=version,
            actor=actor,
            reason=reason,
        )
        session.add(event)
        session.flush()
        return self._alias_record(model.name, event)

    @staticmethod
    def _alias_record(name: str, row: tables.AliasEvent) -> AliasEventRecord:
        return AliasEventRecord(
            id=row.id,
            model=name,
            alias=row.alias,
            from_version=row.from_version,
            to_version=row.to_version,
            actor=row.actor,
            reason=row.reason,
            created_at=_utc(row.created_at),
        )

    @staticmethod
    def _aliases(session: Session, model_id: int) -> dict[str, int]:
        rows = session.scalars(
            select(tables.ModelAlias).where(tables.ModelAlias.model_id == model_id)
        )
        return {r.alias: r.version for r in rows}

    @staticmethod
    def _model_row(
        session: Session, name: str, *, create: bool = False, task: str | None = None
    ) -> tables.RegisteredModel:
        model = session.scalar(
            select(tables.RegisteredModel).where(tables.RegisteredModel.name == name)
        )
        if model is None:
            if not create:
                raise NotFoundError(f"no model named {name!r}; `lepton models list` shows them")
            model = tables.RegisteredModel(name=name, task=task)
            session.add(model)
            session.flush()
        elif task is not None and model.task is None:
            model.task = task
        return model

    @staticmethod
    def _model_version_record(
        name: str, row: tables.ModelVersion, aliases: list[str]
    ) -> ModelVersionRecord:
        return ModelVersionRecord(
            id=row.id,
            name=name,
            version=row.version,
            artifact_key=row.artifact_key,
            task=row.task,
            run_id=row.run_id,
            dataset_version_id=row.dataset_version_id,
            metrics=row.metrics,
            metadata=row.meta,
            created_at=_utc(row.created_at),
            aliases=aliases,
        )

    # -- deployments -------------------------------------------------------------------------
    def upsert_deployment(
        self,
        name: str,
        *,
        model: str,
        config: dict[str, Any] | None = None,
        status: str = "created",
    ) -> DeploymentRecord:
        validate_name(name, kind="deployment name")

        def work(session: Session) -> DeploymentRecord:
            row = session.scalar(select(tables.Deployment).where(tables.Deployment.name == name))
            if row is None:
                row = tables.Deployment(name=name, model=model, config=config or {}, status=status)
                session.add(row)
            else:
                row.model, row.config, row.status = model, config or {}, status
                row.updated_at = datetime.now(UTC)
            session.flush()
            return self._deployment_record(row)

        return self._write(work)

    def get_deployment(self, name: str) -> DeploymentRecord:
        validate_name(name, kind="deployment name")

        def work(session: Session) -> DeploymentRecord:
            row = session.scalar(select(tables.Deployment).where(tables.Deployment.name == name))
            if row is None:
                raise NotFoundError(f"no deployment named {name!r}")
            return self._deployment_record(row)

        return self._read(work)

    def list_deployments(self) -> list[DeploymentRecord]:
        return self._read(
            lambda s: [
                self._deployment_record(r)
                for r in s.scalars(select(tables.Deployment).order_by(tables.Deployment.name))
            ]
        )

    def delete_deployment(self, name: str) -> None:
        validate_name(name, kind="deployment name")

        def work(session: Session) -> None:
            row = session.scalar(select(tables.Deployment).where(tables.Deployment.name == name))
            if row is None:
                raise NotFoundError(f"no deployment named {name!r}")
            session.delete(row)

        self._write(work)

    @staticmethod
    def _deployment_record(row: tables.Deployment) -> DeploymentRecord:
        return DeploymentRecord(
            id=row.id,
            name=row.name,
            model=row.model,
            config=row.config,
            status=row.status,
            created_at=_utc(row.created_at),
            updated_at=_utc(row.updated_at),
        )

    # -- API keys ----------------------------------------------------------------------------
    def create_api_key(
        self, name: str, scopes: list[str] | None = None
    ) -> tuple[str, ApiKeyRecord]:
        """Mint a key. The plaintext is returned once; only its SHA-256 is stored."""
        validate_name(name, kind="API key name")
        token = API_KEY_PREFIX + secrets.token_urlsafe(32)

        def work(session: Session) -> ApiKeyRecord:
            row = tables.ApiKey(
                name=name,
                prefix=token[:10],
                key_hash=hash_api_key(token),
                scopes=scopes or ["predict"],
            )
            session.add(row)
            session.flush()
            return self._api_key_record(row)

        return token, self._write(work)

    def verify_api_key(self, token: str, *, touch: bool = True) -> ApiKeyRecord | None:
        """The active key matching ``token``, or None. Lookup is by hash, never by plaintext."""
        if not token.startswith(API_KEY_PREFIX):
            return None
        digest = hash_api_key(token)

        def work(session: Session) -> ApiKeyRecord | None:
            row = session.scalar(select(tables.ApiKey).where(tables.ApiKey.key_hash == digest))
            if row is None or row.revoked_at is not None:
                return None
            if not secrets.compare_digest(row.key_hash, digest):
                return None
            if touch:
                row.last_used_at = datetime.now(UTC)
            return self._api_key_record(row)

        return self._write(work) if touch else self._read(work)

    def list_api_keys(self) -> list[ApiKeyRecord]:
        return self._read(
            lambda s: [
                self._api_key_record(r)
                for r in s.scalars(select(tables.ApiKey).order_by(tables.ApiKey.id))
            ]
        )

    def revoke_api_key(self, key_id: int) -> ApiKeyRecord:
        def work(session: Session) -> ApiKeyRecord:
            row = session.get(tables.ApiKey, key_id)
            if row is None:
                raise NotFoundError(f"no API key with id {key_id}")
            if row.revoked_at is None:
                row.revoked_at = datetime.now(UTC)
            return self._api_key_record(row)

        return self._write(work)

    @staticmethod
    def _api_key_record(row: tables.ApiKey) -> ApiKeyRecord:
        return ApiKeyRecord(
            id=row.id,
            name=row.name,
            prefix=row.prefix,
            scopes=list(row.scopes),
            created_at=_utc(row.created_at),
            last_used_at=_utc_or_none(row.last_used_at),
            revoked_at=_utc_or_none(row.revoked_at),
        )

    # -- alerts ------------------------------------------------------------------------------
    def record_alert(
        self,
        deployment: str,
        *,
        rule: str,
        kind: str,
        message: str,
        value: float | None,
        threshold: float | None,
        details: dict[str, Any] | None = None,
        delivered: bool = False,
    ) -> AlertRecord:
        def work(session: Session) -> AlertRecord:
            row = tables.Alert(
                deployment=deployment,
                rule=rule,
                kind=kind,
                message=message,
                value=value,
                threshold=threshold,
                details=details or {},
                delivered=delivered,
            )
            session.add(row)
            session.flush()
            return self._alert_record(row)

        return self._write(work)

    def list_alerts(self, deployment: str | None = None, limit: int = 100) -> list[AlertRecord]:
        def work(session: Session) -> list[AlertRecord]:
            query = select(tables.Alert).order_by(tables.Alert.id.desc()).limit(limit)
            if deployment is not None:
                query = query.where(tables.Alert.deployment == deployment)
            return [self._alert_record(r) for r in session.scalars(query)]

        return self._read(work)

    @staticmethod
    def _alert_record(row: tables.Alert) -> AlertRecord:
        return AlertRecord(
            id=row.id,
            deployment=row.deployment,
            rule=row.rule,
            kind=row.kind,
            message=row.message,
            value=row.value,
            threshold=row.threshold,
            details=dict(row.details),
            delivered=row.delivered,
            fired_at=_utc(row.fired_at),
        )
