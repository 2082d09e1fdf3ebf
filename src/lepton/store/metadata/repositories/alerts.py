"""Alerts: what a monitoring rule fired for a deployment, and whether it was delivered."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lepton.store.metadata.records import AlertRecord, Page, page_window
from lepton.store.metadata.tables import Alert
from lepton.store.metadata.transactions import Repository


class AlertRepository(Repository):
    def record(
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
            row = Alert(
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
            return row.to_record()

        return self._tx.write(work)

    def recent(self, deployment: str | None = None, limit: int = 100) -> list[AlertRecord]:
        """The latest ``limit`` alerts (of ``deployment``, when given), newest first."""

        def work(session: Session) -> list[AlertRecord]:
            query = select(Alert).order_by(Alert.id.desc()).limit(limit)
            if deployment is not None:
                query = query.where(Alert.deployment == deployment)
            return [r.to_record() for r in session.scalars(query)]

        return self._tx.read(work)

    def page(
        self, *, offset: int = 0, limit: int = 50, deployment: str | None = None
    ) -> Page[AlertRecord]:
        """One page of alerts (of ``deployment``, when given), newest first.

        Ordered by ``fired_at`` (indexed) then id, so alerts fired in the same instant keep
        a stable order across pages.
        """
        offset, limit = page_window(offset, limit)

        def work(session: Session) -> Page[AlertRecord]:
            where = [] if deployment is None else [Alert.deployment == deployment]
            rows = session.scalars(
                select(Alert)
                .where(*where)
                .order_by(Alert.fired_at.desc(), Alert.id.desc())
                .offset(offset)
                .limit(limit)
            ).all()
            total = session.scalar(select(func.count()).select_from(Alert).where(*where))
            return Page([r.to_record() for r in rows], int(total or 0), offset, limit)

        return self._tx.read(work)
