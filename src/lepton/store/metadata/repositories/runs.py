"""Runs: one row per training/optimize/... job, from start to its final status and metrics."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, String, case, cast, func, or_, select, update
from sqlalchemy.orm import Session

from lepton.errors import ConflictError, InvalidNameError, NotFoundError
from lepton.store.leases import LEASE_S, gone_reason, this_host
from lepton.store.metadata.records import Page, RunRecord, page_window
from lepton.store.metadata.tables import Run, as_utc, as_utc_or_none
from lepton.store.metadata.transactions import Repository

RUN_STATUSES = ("running", "finished", "failed", "interrupted")
# The columns a runs page may sort by; ``metric:<name>`` sorts by a number in ``metrics``.
RUN_SORT_KEYS = ("started_at", "ended_at", "duration_s", "status", "kind", "name")
METRIC_SORT_PREFIX = "metric:"


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

    def page(
        self,
        *,
        offset: int = 0,
        limit: int = 50,
        sort: str = "started_at",
        descending: bool = True,
        kind: str | None = None,
        status: str | None = None,
        search: str | None = None,
        search_params: bool = False,
    ) -> Page[RunRecord]:
        """One page of runs, filtered, sorted and cut by the database (never all of them).

        ``sort`` is one of ``RUN_SORT_KEYS`` or ``metric:<name>`` (a numeric value inside
        the run's metrics; runs without it, or with a non-number, come last either way).
        ``search`` is a case-insensitive substring of the run's name or id; with
        ``search_params`` also of its parameters' stored JSON text (keys and values, e.g.
        ``seed`` or ``customers@2``; non-ASCII and ``"`` appear there JSON-escaped). Ties
        are broken by newest start then id, so consecutive pages never repeat or skip a run.
        """
        offset, limit = page_window(offset, limit)

        def work(session: Session) -> Page[RunRecord]:
            column = _sort_column(session, sort)
            where = _run_filters(
                kind=kind, status=status, search=search, search_params=search_params
            )
            ordered = column.desc() if descending else column.asc()
            rows = session.scalars(
                select(Run)
                .where(*where)
                .order_by(ordered.nulls_last(), Run.started_at.desc(), Run.id)
                .offset(offset)
                .limit(limit)
            ).all()
            total = session.scalar(select(func.count()).select_from(Run).where(*where))
            return Page([r.to_record() for r in rows], int(total or 0), offset, limit)

        return self._tx.read(work)

    def kinds(self) -> list[str]:
        """Every distinct run kind stored (``train``, ``optimize``, ...), sorted."""
        return self._tx.read(
            lambda s: list(s.scalars(select(Run.kind).distinct().order_by(Run.kind)))
        )

    def by_dataset_versions(
        self, version_ids: list[int], *, offset: int = 0, limit: int = 50
    ) -> Page[RunRecord]:
        """One page of the runs that used any of these dataset versions, newest first."""
        offset, limit = page_window(offset, limit)
        wanted = list(dict.fromkeys(version_ids))

        def work(session: Session) -> Page[RunRecord]:
            if not wanted:
                return Page([], 0, offset, limit)
            where = Run.dataset_version_id.in_(wanted)
            rows = session.scalars(
                select(Run)
                .where(where)
                .order_by(Run.started_at.desc(), Run.id)
                .offset(offset)
                .limit(limit)
            ).all()
            total = session.scalar(select(func.count()).select_from(Run).where(where))
            return Page([r.to_record() for r in rows], int(total or 0), offset, limit)

        return self._tx.read(work)

    def get_many(self, ids: list[str]) -> list[RunRecord]:
        """The runs with exactly these ids, in the order given (a compare view's columns).

        One query for all of them; any id that is not stored is named in the
        ``NotFoundError`` rather than silently dropped, so a stale link fails loudly.
        """

        def work(session: Session) -> list[RunRecord]:
            wanted = list(dict.fromkeys(ids))
            found = (
                {
                    r.id: r.to_record()
                    for r in session.scalars(select(Run).where(Run.id.in_(wanted)))
                }
                if wanted
                else {}
            )
            missing = [i for i in wanted if i not in found]
            if missing:
                raise NotFoundError(
                    f"no run with id {', '.join(repr(i) for i in missing)}; "
                    "`lepton runs` lists them"
                )
            return [found[i] for i in ids]

        return self._tx.read(work)


def _sort_column(session: Session, sort: str) -> ColumnElement[Any]:
    """The expression ``sort`` names; an unknown key is refused, listing the allowed ones."""
    if sort in RUN_SORT_KEYS:
        column: ColumnElement[Any] = getattr(Run, sort)
        return column
    if sort.startswith(METRIC_SORT_PREFIX):
        name = sort[len(METRIC_SORT_PREFIX) :]
        if name and '"' not in name and "\\" not in name:
            return _metric_number(session, name)
    raise InvalidNameError(
        f"cannot sort runs by {sort!r}; sort by one of "
        + ", ".join(RUN_SORT_KEYS)
        + f", or {METRIC_SORT_PREFIX}<metric name>",
        field="sort",
    )


def _metric_number(session: Session, name: str) -> ColumnElement[Any]:
    """``metrics[name]`` as a float when it is a JSON number, else NULL, on either backend.

    A plain cast would fail on PostgreSQL (and sort text among numbers on SQLite) for a
    metric whose value is a string such as ``"roc_auc"``, so the JSON type is checked first.
    """
    value = Run.metrics[name]
    if session.get_bind().dialect.name == "postgresql":
        is_number = func.json_typeof(value) == "number"
    else:
        path = f'$."{name}"'
        is_number = func.json_type(Run.metrics, path).in_(("integer", "real"))
    return case((is_number, value.as_float()), else_=None)


def _run_filters(
    *, kind: str | None, status: str | None, search: str | None, search_params: bool = False
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if kind is not None:
        where.append(Run.kind == kind)
    if status is not None:
        where.append(Run.status == status)
    if search:
        pattern = substring_pattern(search)
        matches = [Run.name.ilike(pattern, escape="\\"), Run.id.ilike(pattern, escape="\\")]
        if search_params:  # the JSON document as text: the same on SQLite and PostgreSQL
            matches.append(cast(Run.params, String).ilike(pattern, escape="\\"))
        where.append(or_(*matches))
    return where


def substring_pattern(text: str) -> str:
    """A ``LIKE`` pattern (escape ``\\``) matching ``text`` anywhere, its ``%``/``_`` literal."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


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
