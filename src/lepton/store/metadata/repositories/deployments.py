"""Deployments: a named endpoint, the model reference it serves, its config and status."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lepton.errors import NotFoundError
from lepton.names import validate_name
from lepton.store.metadata.records import DeploymentRecord
from lepton.store.metadata.tables import Deployment
from lepton.store.metadata.transactions import Repository


class DeploymentRepository(Repository):
    def upsert(
        self,
        name: str,
        *,
        model: str,
        config: dict[str, Any] | None = None,
        status: str = "created",
    ) -> DeploymentRecord:
        """Create ``name`` or replace its model, config and status."""
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

    def delete(self, name: str) -> None:
        validate_name(name, kind="deployment name")
        self._tx.write(lambda session: session.delete(_deployment_row(session, name)))


def _deployment_row(session: Session, name: str) -> Deployment:
    row = session.scalar(select(Deployment).where(Deployment.name == name))
    if row is None:
        raise NotFoundError(f"no deployment named {name!r}")
    return row
