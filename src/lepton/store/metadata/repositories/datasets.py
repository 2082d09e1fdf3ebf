"""Dataset versions: content-addressed (same bytes, same version) and numbered per dataset."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from lepton.errors import NotFoundError
from lepton.names import validate_name
from lepton.store.metadata.records import DatasetSummary, DatasetVersionRecord, Page, page_window
from lepton.store.metadata.repositories.runs import substring_pattern
from lepton.store.metadata.tables import Dataset, DatasetVersion, as_utc
from lepton.store.metadata.transactions import Repository, next_version


class DatasetRepository(Repository):
    def add_version(
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
            dataset = session.scalar(select(Dataset).where(Dataset.name == name))
            if dataset is None:
                dataset = Dataset(name=name)
                session.add(dataset)
                session.flush()
            existing = session.scalar(
                select(DatasetVersion).where(
                    DatasetVersion.dataset_id == dataset.id,
                    DatasetVersion.content_hash == content_hash,
                )
            )
            if existing is not None:
                return existing.to_record(name), False
            row = DatasetVersion(
                dataset_id=dataset.id,
                version=next_version(
                    session, DatasetVersion.version, DatasetVersion.dataset_id, dataset.id
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
            return row.to_record(name), True

        return self._tx.write(work)

    def get_version(self, name: str, version: int | None = None) -> DatasetVersionRecord:
        """A version by number, or the latest; ``NotFoundError`` says what exists instead."""
        validate_name(name, kind="dataset name")

        def work(session: Session) -> DatasetVersionRecord:
            query = select(DatasetVersion).join(Dataset).where(Dataset.name == name)
            if version is not None:
                query = query.where(DatasetVersion.version == version)
            row = session.scalar(query.order_by(DatasetVersion.version.desc()).limit(1))
            if row is None:
                known = session.scalars(
                    select(DatasetVersion.version).join(Dataset).where(Dataset.name == name)
                ).all()
                if known:
                    raise NotFoundError(
                        f"dataset {name!r} has no version {version}; versions: "
                        + ", ".join(str(v) for v in sorted(known))
                    )
                raise NotFoundError(
                    f"no dataset named {name!r}; add one with `lepton data add PATH --name {name}`"
                )
            return row.to_record(name)

        return self._tx.read(work)

    def get_version_by_id(self, version_id: int) -> DatasetVersionRecord:
        def work(session: Session) -> DatasetVersionRecord:
            row = session.get(DatasetVersion, version_id)
            if row is None:
                raise NotFoundError(f"no dataset version with id {version_id}")
            dataset = session.get(Dataset, row.dataset_id)
            assert dataset is not None
            return row.to_record(dataset.name)

        return self._tx.read(work)

    def summaries(self) -> list[DatasetSummary]:
        """Every dataset with its latest version's shape, by name."""

        def work(session: Session) -> list[DatasetSummary]:
            counts = (
                select(
                    DatasetVersion.dataset_id,
                    func.max(DatasetVersion.version).label("latest"),
                    func.count().label("n"),
                )
                .group_by(DatasetVersion.dataset_id)
                .subquery()
            )
            rows = session.execute(
                select(Dataset.name, counts.c.n, DatasetVersion)
                .join(counts, counts.c.dataset_id == Dataset.id)
                .join(
                    DatasetVersion,
                    (DatasetVersion.dataset_id == Dataset.id)
                    & (DatasetVersion.version == counts.c.latest),
                )
                .order_by(Dataset.name)
            ).all()
            return [
                DatasetSummary(
                    name=name,
                    latest_version=row.version,
                    n_versions=n,
                    n_rows=row.n_rows,
                    n_cols=row.n_cols,
                    target=row.target,
                    updated_at=as_utc(row.created_at),
                )
                for name, n, row in rows
            ]

        return self._tx.read(work)

    def versions(self, name: str) -> list[DatasetVersionRecord]:
        """Every version of ``name``, oldest first."""
        validate_name(name, kind="dataset name")

        def work(session: Session) -> list[DatasetVersionRecord]:
            rows = session.scalars(
                select(DatasetVersion)
                .join(Dataset)
                .where(Dataset.name == name)
                .order_by(DatasetVersion.version)
            ).all()
            if not rows:
                raise NotFoundError(f"no dataset named {name!r}")
            return [r.to_record(name) for r in rows]

        return self._tx.read(work)

    def summaries_page(
        self, *, offset: int = 0, limit: int = 50, search: str | None = None
    ) -> Page[DatasetSummary]:
        """``summaries()`` one page at a time: datasets cut in SQL, by name.

        ``search`` is a case-insensitive substring of the dataset name. The version stats
        are computed for the page's datasets only, so the cost follows the page size.
        """
        offset, limit = page_window(offset, limit)

        def work(session: Session) -> Page[DatasetSummary]:
            has_version = (
                select(DatasetVersion.id).where(DatasetVersion.dataset_id == Dataset.id).exists()
            )
            where: list[ColumnElement[bool]] = [has_version]
            if search:
                where.append(Dataset.name.ilike(substring_pattern(search), escape="\\"))
            named = session.execute(
                select(Dataset.id, Dataset.name)
                .where(*where)
                .order_by(Dataset.name)
                .offset(offset)
                .limit(limit)
            ).all()
            total = session.scalar(select(func.count()).select_from(Dataset).where(*where))
            ids = [dataset_id for dataset_id, _ in named]
            by_id: dict[int, tuple[int, DatasetVersion]] = {}
            if ids:
                counts = (
                    select(
                        DatasetVersion.dataset_id,
                        func.max(DatasetVersion.version).label("latest"),
                        func.count().label("n"),
                    )
                    .where(DatasetVersion.dataset_id.in_(ids))
                    .group_by(DatasetVersion.dataset_id)
                    .subquery()
                )
                for n, row in session.execute(
                    select(counts.c.n, DatasetVersion).join(
                        counts,
                        (DatasetVersion.dataset_id == counts.c.dataset_id)
                        & (DatasetVersion.version == counts.c.latest),
                    )
                ).all():
                    by_id[row.dataset_id] = (n, row)
            items = [
                DatasetSummary(
                    name=name,
                    latest_version=by_id[i][1].version,
                    n_versions=by_id[i][0],
                    n_rows=by_id[i][1].n_rows,
                    n_cols=by_id[i][1].n_cols,
                    target=by_id[i][1].target,
                    updated_at=as_utc(by_id[i][1].created_at),
                )
                for i, name in named
                if i in by_id
            ]
            return Page(items, int(total or 0), offset, limit)

        return self._tx.read(work)
