"""Model aliases (``production`` → a version) and the history of every move of one.

A move and its history event are written in the same transaction, so the history never
misses a move nor records one that did not happen.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lepton.errors import ConflictError, NotFoundError
from lepton.names import validate_name
from lepton.store.metadata.records import AliasEventRecord, Page, page_window
from lepton.store.metadata.repositories.models import model_row, version_row
from lepton.store.metadata.tables import AliasEvent, ModelAlias, RegisteredModel
from lepton.store.metadata.transactions import Repository


class AliasRepository(Repository):
    def assign(
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
            model = model_row(session, name)
            if version_row(session, model.id, version) is None:
                raise NotFoundError(f"model {name!r} has no version {version}")
            row = session.get(ModelAlias, (model.id, alias))
            previous = row.version if row is not None else None
            if row is None:
                session.add(ModelAlias(model_id=model.id, alias=alias, version=version))
            else:
                row.version = version
                row.updated_at = datetime.now(UTC)
            return _record_move(session, model, alias, previous, version, actor, reason)

        return self._tx.write(work)

    def remove(
        self, name: str, alias: str, *, actor: str | None = None, reason: str | None = None
    ) -> AliasEventRecord:
        validate_name(name, kind="model name")

        def work(session: Session) -> AliasEventRecord:
            model = model_row(session, name)
            row = session.get(ModelAlias, (model.id, alias))
            if row is None:
                raise NotFoundError(f"model {name!r} has no alias {alias!r}")
            previous = row.version
            session.delete(row)
            return _record_move(session, model, alias, previous, None, actor, reason)

        return self._tx.write(work)

    def history(self, name: str, alias: str | None = None) -> list[AliasEventRecord]:
        """Every alias move of a model (or of one alias), oldest first."""
        validate_name(name, kind="model name")

        def work(session: Session) -> list[AliasEventRecord]:
            model = model_row(session, name)
            query = select(AliasEvent).where(AliasEvent.model_id == model.id)
            if alias is not None:
                query = query.where(AliasEvent.alias == alias)
            rows = session.scalars(query.order_by(AliasEvent.id)).all()
            return [r.to_record(name) for r in rows]

        return self._tx.read(work)

    def history_page(
        self, name: str, *, offset: int = 0, limit: int = 50
    ) -> Page[AliasEventRecord]:
        """One page of a model's alias moves, newest first (the latest promotion leads).

        Served by the (model_id, created_at) index; id breaks ties between moves made in
        the same instant, newest first too.
        """
        validate_name(name, kind="model name")
        offset, limit = page_window(offset, limit)

        def work(session: Session) -> Page[AliasEventRecord]:
            model = model_row(session, name)
            rows = session.scalars(
                select(AliasEvent)
                .where(AliasEvent.model_id == model.id)
                .order_by(AliasEvent.created_at.desc(), AliasEvent.id.desc())
                .offset(offset)
                .limit(limit)
            ).all()
            total = session.scalar(
                select(func.count()).select_from(AliasEvent).where(AliasEvent.model_id == model.id)
            )
            return Page([r.to_record(name) for r in rows], int(total or 0), offset, limit)

        return self._tx.read(work)


def _record_move(
    session: Session,
    model: RegisteredModel,
    alias: str,
    previous: int | None,
    version: int | None,
    actor: str | None,
    reason: str | None,
) -> AliasEventRecord:
    event = AliasEvent(
        model_id=model.id,
        alias=alias,
        from_version=previous,
        to_version=version,
        actor=actor,
        reason=reason,
    )
    session.add(event)
    session.flush()
    return event.to_record(model.name)
