"""Runs: one row per training/optimize/... job, from start to its final status and metrics."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lepton.errors import ConflictError, NotFoundError
from lepton.store.metadata.records import RunRecord
from lepton.store.metadata.tables import Run, as_utc
from lepton.store.metadata.transactions import Repository

RUN_STATUSES = ("running", "finished", "failed", "interrupted")


class RunRepository(Repository):
    def start(
        self,
        kind: str,
        *,
        params: dict[str, Any] | None = None,
        dataset_version_id: int | None = None,
        name: str | None = None,
    ) -> RunRecord:
        def work(session: Session) -> RunRecord:
            row = Run(
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
            return row.to_record()

        return self._tx.write(work)

    def finish(
        self,
        run_id: str,
        *,
        status: str = "finished",
        metrics: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> RunRecord:
        """Close the run: final status, its duration, ``metrics`` merged into what it logged."""
        if status not in RUN_STATUSES[1:]:
            raise ValueError(f"status must be one of {RUN_STATUSES[1:]}, not {status!r}")

        def work(session: Session) -> RunRecord:
            row = _run_row(session, run_id)
            now = datetime.now(UTC)
            row.status = status
            row.metrics = {**row.metrics, **(metrics or {})}
            row.ended_at = now
            row.duration_s = (now - as_utc(row.started_at)).total_seconds()
            row.error = error
            return row.to_record()

        return self._tx.write(work)

    def log_metrics(self, run_id: str, metrics: dict[str, Any]) -> RunRecord:
        def work(session: Session) -> RunRecord:
            row = _run_row(session, run_id)
            row.metrics = {**row.metrics, **metrics}
            return row.to_record()

        return self._tx.write(work)

    def get(self, run_id: str) -> RunRecord:
        """A run by its id or by a unique prefix of at least 6 characters."""
        return self._tx.read(lambda s: _run_row(s, run_id).to_record())

    def recent(self, limit: int = 50, kind: str | None = None) -> list[RunRecord]:
        """The latest ``limit`` runs (of ``kind``, when given), newest first."""

        def work(session: Session) -> list[RunRecord]:
            query = select(Run).order_by(Run.started_at.desc()).limit(limit)
            if kind is not None:
                query = query.where(Run.kind == kind)
            return [r.to_record() for r in session.scalars(query)]

        return self._tx.read(work)


def _run_row(session: Session, run_id: str) -> Run:
    row = session.get(Run, run_id)
    if row is None and len(run_id) >= 6 and run_id.isalnum():
        matches = session.scalars(select(Run).where(Run.id.startswith(run_id)).limit(2)).all()
        if len(matches) == 1:
            row = matches[0]
        elif matches:
            raise ConflictError(f"run id prefix {run_id!r} is ambiguous; give more characters")
    if row is None:
        raise NotFoundError(f"no run with id {run_id!r}; `lepton runs` lists them")
    return row
