"""Registered models and their numbered versions (each version an immutable artifact)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from lepton.errors import NotFoundError
from lepton.names import validate_name
from lepton.store.metadata.records import ModelSummary, ModelVersionRecord, Page, page_window
from lepton.store.metadata.repositories.runs import substring_pattern
from lepton.store.metadata.tables import ModelAlias, ModelVersion, RegisteredModel, as_utc
from lepton.store.metadata.transactions import Repository, next_version


class ModelRepository(Repository):
    def register(
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
        return self._tx.write(
            lambda session: _insert_version(
                session,
                name,
                artifact_key=artifact_key,
                task=task,
                run_id=run_id,
                dataset_version_id=dataset_version_id,
                metrics=metrics,
                metadata=metadata,
            )
        )

    def register_variants(
        self,
        parent: str,
        parent_version: int,
        variant_model: str,
        entries: list[dict[str, Any]],
        annotate: Callable[[list[ModelVersionRecord]], dict[str, Any]],
    ) -> tuple[list[ModelVersionRecord], ModelVersionRecord]:
        """Register derived versions and annotate their parent, all in one transaction.

        ``entries`` are ``register`` keyword arguments for ``variant_model``;
        ``annotate(records)`` returns keys merged into the parent version's metadata (so it
        can name the version numbers just assigned). Either everything lands or nothing.
        """
        validate_name(parent, kind="model name")
        validate_name(variant_model, kind="model name")

        def work(session: Session) -> tuple[list[ModelVersionRecord], ModelVersionRecord]:
            owner = model_row(session, parent)
            row = version_row(session, owner.id, parent_version)
            if row is None:
                raise NotFoundError(f"model {parent!r} has no version {parent_version}")
            records = [
                _insert_version(
                    session,
                    variant_model,
                    artifact_key=entry["artifact_key"],
                    task=entry.get("task"),
                    run_id=entry.get("run_id"),
                    dataset_version_id=entry.get("dataset_version_id"),
                    metrics=entry.get("metrics"),
                    metadata=entry.get("metadata"),
                )
                for entry in entries
            ]
            row.meta = {**(row.meta or {}), **annotate(records)}
            session.flush()
            return records, row.to_record(parent, aliases_at(alias_map(session, owner.id), row))

        return self._tx.write(work)

    def get_version(self, name: str, selector: int | str | None = None) -> ModelVersionRecord:
        """``selector``: a version number, an alias (``production``), or None for the latest."""
        validate_name(name, kind="model name")

        def work(session: Session) -> ModelVersionRecord:
            model = model_row(session, name)
            version: int | None
            if selector is None or selector == "latest":
                version = session.scalar(
                    select(func.max(ModelVersion.version)).where(ModelVersion.model_id == model.id)
                )
            elif isinstance(selector, int) or selector.isdigit():
                version = int(selector)
            else:
                alias = session.get(ModelAlias, (model.id, selector))
                if alias is None:
                    known = alias_map(session, model.id)
                    raise NotFoundError(
                        f"model {name!r} has no alias {selector!r}; aliases: "
                        + (", ".join(sorted(known)) or "none yet")
                    )
                version = alias.version
            row = version_row(session, model.id, version)
            if row is None:
                raise NotFoundError(f"model {name!r} has no version {selector}")
            return row.to_record(name, aliases_at(alias_map(session, model.id), row))

        return self._tx.read(work)

    def summaries(self) -> list[ModelSummary]:
        """Every model that has a version, by name, with its latest version and aliases."""

        def work(session: Session) -> list[ModelSummary]:
            models = session.scalars(
                select(RegisteredModel).where(_has_version()).order_by(RegisteredModel.name)
            ).all()
            return _summaries(session, models)

        return self._tx.read(work)

    def versions(self, name: str) -> list[ModelVersionRecord]:
        """Every version of ``name``, oldest first, each with the aliases pointing at it."""
        validate_name(name, kind="model name")

        def work(session: Session) -> list[ModelVersionRecord]:
            model = model_row(session, name)
            aliases = alias_map(session, model.id)
            rows = session.scalars(
                select(ModelVersion)
                .where(ModelVersion.model_id == model.id)
                .order_by(ModelVersion.version)
            ).all()
            return [r.to_record(name, aliases_at(aliases, r)) for r in rows]

        return self._tx.read(work)

    def summary(self, name: str) -> ModelSummary:
        """One model's summary by its exact name (``NotFoundError`` if it has no version)."""
        validate_name(name, kind="model name")
        page = self.summaries_page(search=name, exact=True, limit=1)
        if not page.items:
            raise NotFoundError(f"no model named {name!r}; `lepton models list` shows them")
        return page.items[0]

    def summaries_page(
        self,
        *,
        offset: int = 0,
        limit: int = 50,
        search: str | None = None,
        exact: bool = False,
    ) -> Page[ModelSummary]:
        """``summaries()`` one page at a time: models cut in SQL, by name.

        ``search`` is a case-insensitive substring of the model name (with ``exact``,
        the whole name). Four queries whatever
        the page size (the page's models, their version stats, their aliases, the count):
        no query per model.
        """
        offset, limit = page_window(offset, limit)

        def work(session: Session) -> Page[ModelSummary]:
            where: list[ColumnElement[bool]] = [_has_version()]
            if search and exact:
                where.append(RegisteredModel.name == search)
            elif search:
                pattern = substring_pattern(search)
                where.append(RegisteredModel.name.ilike(pattern, escape="\\"))
            models = session.scalars(
                select(RegisteredModel)
                .where(*where)
                .order_by(RegisteredModel.name)
                .offset(offset)
                .limit(limit)
            ).all()
            total = session.scalar(select(func.count()).select_from(RegisteredModel).where(*where))
            return Page(_summaries(session, models), int(total or 0), offset, limit)

        return self._tx.read(work)

    def versions_page(
        self, name: str, *, offset: int = 0, limit: int = 50
    ) -> Page[ModelVersionRecord]:
        """One page of ``name``'s versions, newest first, each with its aliases.

        Newest first because a model page leads with what was trained last; the
        (model_id, version) unique index serves both the order and the offset.
        """
        validate_name(name, kind="model name")
        offset, limit = page_window(offset, limit)

        def work(session: Session) -> Page[ModelVersionRecord]:
            model = model_row(session, name)
            aliases = alias_map(session, model.id)
            rows = session.scalars(
                select(ModelVersion)
                .where(ModelVersion.model_id == model.id)
                .order_by(ModelVersion.version.desc())
                .offset(offset)
                .limit(limit)
            ).all()
            total = session.scalar(
                select(func.count())
                .select_from(ModelVersion)
                .where(ModelVersion.model_id == model.id)
            )
            items = [r.to_record(name, aliases_at(aliases, r)) for r in rows]
            return Page(items, int(total or 0), offset, limit)

        return self._tx.read(work)

    def versions_by_run(
        self, run_id: str, *, offset: int = 0, limit: int = 50
    ) -> Page[ModelVersionRecord]:
        """One page of the model versions a run registered (any model), newest first,
        each with the aliases pointing at it."""
        return self._tx.read(
            lambda session: _versions_page(
                session, ModelVersion.run_id == run_id, *page_window(offset, limit)
            )
        )

    def versions_by_dataset_versions(
        self, version_ids: list[int], *, offset: int = 0, limit: int = 50
    ) -> Page[ModelVersionRecord]:
        """One page of the model versions trained from any of these dataset versions,
        newest first, each with the aliases pointing at it."""
        offset, limit = page_window(offset, limit)
        wanted = list(dict.fromkeys(version_ids))
        if not wanted:
            return Page([], 0, offset, limit)
        return self._tx.read(
            lambda session: _versions_page(
                session, ModelVersion.dataset_version_id.in_(wanted), offset, limit
            )
        )


def _has_version() -> ColumnElement[bool]:
    return select(ModelVersion.id).where(ModelVersion.model_id == RegisteredModel.id).exists()


def _summaries(session: Session, models: Sequence[RegisteredModel]) -> list[ModelSummary]:
    """Summaries of ``models`` in their order: two queries whatever their number (version
    stats, aliases), none per model."""
    ids = [m.id for m in models]
    stats: dict[int, tuple[int, int, Any]] = {}
    aliases: dict[int, dict[str, int]] = {i: {} for i in ids}
    if ids:
        for model_id, latest, n, updated in session.execute(
            select(
                ModelVersion.model_id,
                func.max(ModelVersion.version),
                func.count(),
                func.max(ModelVersion.created_at),
            )
            .where(ModelVersion.model_id.in_(ids))
            .group_by(ModelVersion.model_id)
        ):
            stats[model_id] = (latest, n, updated)
        for alias in session.scalars(select(ModelAlias).where(ModelAlias.model_id.in_(ids))):
            aliases[alias.model_id][alias.alias] = alias.version
    return [
        ModelSummary(
            name=m.name,
            task=m.task,
            latest_version=stats[m.id][0],
            n_versions=stats[m.id][1],
            aliases=aliases[m.id],
            updated_at=as_utc(stats[m.id][2]),
        )
        for m in models
        if m.id in stats  # a version deleted between the two reads
    ]


def _versions_page(
    session: Session, where: ColumnElement[bool], offset: int, limit: int
) -> Page[ModelVersionRecord]:
    """Versions of any model matching ``where``, newest first (id breaks ties), with their
    model names and aliases: three queries whatever the page size, plus the count."""
    rows = session.execute(
        select(ModelVersion, RegisteredModel.name)
        .join(RegisteredModel, RegisteredModel.id == ModelVersion.model_id)
        .where(where)
        .order_by(ModelVersion.created_at.desc(), ModelVersion.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    total = session.scalar(select(func.count()).select_from(ModelVersion).where(where))
    aliases: dict[int, dict[str, int]] = {}
    model_ids = {row.model_id for row, _ in rows}
    if model_ids:
        for alias in session.scalars(select(ModelAlias).where(ModelAlias.model_id.in_(model_ids))):
            aliases.setdefault(alias.model_id, {})[alias.alias] = alias.version
    items = [
        row.to_record(name, aliases_at(aliases.get(row.model_id, {}), row)) for row, name in rows
    ]
    return Page(items, int(total or 0), offset, limit)


def model_row(
    session: Session, name: str, *, create: bool = False, task: str | None = None
) -> RegisteredModel:
    """The model named ``name``; with ``create``, made on first use (and given ``task``)."""
    model = session.scalar(select(RegisteredModel).where(RegisteredModel.name == name))
    if model is None:
        if not create:
            raise NotFoundError(f"no model named {name!r}; `lepton models list` shows them")
        model = RegisteredModel(name=name, task=task)
        session.add(model)
        session.flush()
    elif task is not None and model.task is None:
        model.task = task
    return model


def version_row(session: Session, model_id: int, version: int | None) -> ModelVersion | None:
    return session.scalar(
        select(ModelVersion).where(
            ModelVersion.model_id == model_id, ModelVersion.version == version
        )
    )


def alias_map(session: Session, model_id: int) -> dict[str, int]:
    """Alias → version for one model."""
    rows = session.scalars(select(ModelAlias).where(ModelAlias.model_id == model_id))
    return {r.alias: r.version for r in rows}


def aliases_at(aliases: dict[str, int], row: ModelVersion) -> list[str]:
    """The aliases (of ``alias_map``) that point at ``row``, sorted."""
    return sorted(a for a, v in aliases.items() if v == row.version)


def _insert_version(
    session: Session,
    name: str,
    *,
    artifact_key: str,
    task: str | None,
    run_id: str | None,
    dataset_version_id: int | None,
    metrics: dict[str, Any] | None,
    metadata: dict[str, Any] | None,
) -> ModelVersionRecord:
    """The next version of ``name`` (``max + 1``; a racing writer makes the write retry)."""
    model = model_row(session, name, create=True, task=task)
    row = ModelVersion(
        model_id=model.id,
        version=next_version(session, ModelVersion.version, ModelVersion.model_id, model.id),
        artifact_key=artifact_key,
        task=task,
        run_id=run_id,
        dataset_version_id=dataset_version_id,
        metrics=metrics or {},
        meta=metadata or {},
    )
    session.add(row)
    session.flush()
    return row.to_record(name, [])
