"""Deployments: a named endpoint, the model reference it serves, its config and status,
and the history of every change made to one.

A change and its history event are written in the same transaction (as alias moves are),
so the history never misses a change nor records one that did not happen.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lepton.errors import NotFoundError
from lepton.names import validate_name
from lepton.store.metadata.records import (
    DeploymentChange,
    DeploymentEventRecord,
    DeploymentRecord,
    Page,
    page_window,
)
from lepton.store.metadata.tables import Deployment, DeploymentEvent
from lepton.store.metadata.transactions import Repository


class DeploymentRepository(Repository):
    def upsert(
        self,
        name: str,
        *,
        model: str,
        config: dict[str, Any] | None = None,
        status: str = "created",
        event: DeploymentChange | None = None,
    ) -> DeploymentRecord:
        """Create ``name`` or replace its model, config and status.

        With ``event`` the change is also recorded in the deployment's history, in the
        same transaction: both are written or neither is.
        """
        validate_name(name, kind="deployment name")

        def work(session: Session) -> DeploymentRecord:
            row = session.scalar(select(Deployment).where(Deployment.name == name))
            if row is None:
                row = Deployment(name=name, model=model, config=config or {}, status=status)
                session.add(row)
            else:
                row.model, row.config, row.status = model, config or {}, status
                row.updated_at = datetime.now(UTC)
            session.flush()
            if event is not None:
                _record_event(session, name, event)
            return row.to_record()

        return self._tx.write(work)

    def get(self, name: str) -> DeploymentRecord:
        validate_name(name, kind="deployment name")
        return self._tx.read(lambda session: _deployment_row(session, name).to_record())

    def all(self) -> list[DeploymentRecord]:
        """Every deployment, by name."""
        return self._tx.read(
            lambda s: [
                r.to_record() for r in s.scalars(select(Deployment).order_by(Deployment.name))
            ]
        )

    def delete(self, name: str, *, actor: str | None = None, reason: str | None = None) -> None:
        """Delete ``name``; a ``delete`` event with its last routes stays in the history."""
        validate_name(name, kind="deployment name")

        def work(session: Session) -> None:
            row = _deployment_row(session, name)
            config = dict(row.config or {})
            before = {
                "routes": list(config.get("routes", [])),
                "shadows": list(config.get("shadows", [])),
            }
            session.delete(row)
            detail = {"model": row.model, "version": None, "before": before, "after": None}
            _record_event(session, name, DeploymentChange("delete", actor, reason, detail))

        self._tx.write(work)

    def history_page(
        self, name: str, *, offset: int = 0, limit: int = 50
    ) -> Page[DeploymentEventRecord]:
        """One page of a deployment's changes, newest first (the latest change leads).

        Served by the (deployment, created_at) index; id breaks ties between changes made
        in the same instant, newest first too. A deleted deployment keeps its history, and
        a name that never existed has an empty one.
        """
        validate_name(name, kind="deployment name")
        offset, limit = page_window(offset, limit)

        def work(session: Session) -> Page[DeploymentEventRecord]:
            rows = session.scalars(
                select(DeploymentEvent)
                .where(DeploymentEvent.deployment == name)
                .order_by(DeploymentEvent.created_at.desc(), DeploymentEvent.id.desc())
                .offset(offset)
                .limit(limit)
            ).all()
            total = session.scalar(
                select(func.count())
                .select_from(DeploymentEvent)
                .where(DeploymentEvent.deployment == name)
            )
            return Page([r.to_record() for r in rows], int(total or 0), offset, limit)

        return self._tx.read(work)


def _record_event(session: Session, name: str, event: DeploymentChange) -> DeploymentEventRecord:
    row = DeploymentEvent(
        deployment=name,
        action=event.action,
        actor=event.actor,
        reason=event.reason,
        detail=dict(event.detail),
    )
    session.add(row)
    session.flush()
    return row.to_record()


def _deployment_row(session: Session, name: str) -> Deployment:
    row = session.scalar(select(Deployment).where(Deployment.name == name))
    if row is None:
        raise NotFoundError(f"no deployment named {name!r}")
    return row
