"""Runs: one row per training/optimize/... job, from start to its final status and metrics."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lepton.errors import ConflictError, NotFoundError
from lepton.store.leases import LEASE_S, gone_reason, this_host
from lepton.store.metadata.records import RunRecord
from lepton.store.metadata.tables import Run, as_utc, as_utc_or_none
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
        """Open a run owned by this process (its host and pid are what the reaper checks)."""

        def work(session: Session) -> RunRecord:
            now = datetime.now(UTC)
            row = Run(
                id=uuid.uuid4().hex,
                kind=kind,
                name=name,
                status="running",
                params=params or {},
                metrics={},
                dataset_version_id=dataset_version_id,
                started_at=now,
                host=this_host(),
                pid=os.getpid(),
                heartbeat_at=now,
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

    def heartbeat(self, run_id: str) -> bool:
        """Refresh a running run's lease; False once the run is no longer running."""

        def work(session: Session) -> bool:
            result = session.execute(
                update(Run)
                .where(Run.id == run_id, Run.status == "running")
                .values(heartbeat_at=datetime.now(UTC))
            )
            return bool(getattr(result, "rowcount", 0))

        return self._tx.write(work)

    def reap(self, *, now: datetime | None = None, lease_s: float = LEASE_S) -> list[RunRecord]:
        """Mark failed every running run whose process is gone, naming why; returns them.

        Decided and written in one transaction with the rows locked, so a heartbeat or a
        finish racing the reaper either lands first (and the run is kept) or waits.
        """

        def work(session: Session) -> list[RunRecord]:
            moment = now or datetime.now(UTC)
            rows = session.scalars(
                select(Run).where(Run.status == "running").with_for_update()
            ).all()
            reaped = []
            for row in rows:
                reason = gone_reason(
                    host=row.host,
                    pid=row.pid,
                    heartbeat_at=as_utc_or_none(row.heartbeat_at),
                    started_at=as_utc(row.started_at),
                    now=moment,
                    lease_s=lease_s,
                )
                if reason is None:
                    continue
                row.status = "failed"
                row.ended_at = moment
                row.duration_s = (moment - as_utc(row.started_at)).total_seconds()
                row.error = reason
                reaped.append(row.to_record())
            return reaped

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
