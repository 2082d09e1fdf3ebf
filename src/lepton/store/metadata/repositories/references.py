"""Which artifact keys the metadata points at: the roots the garbage collector keeps."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lepton.store.metadata.tables import DatasetVersion, ModelVersion
from lepton.store.metadata.transactions import Repository


class ReferenceRepository(Repository):
    def artifact_keys(self) -> set[str]:
        """Every artifact a dataset version or a model version (variants included) names.

        Variants are model versions of their own ``*-variants`` model, so one table holds
        every package; datasets hold every data artifact. Nothing else stores a key.
        """

        def work(session: Session) -> set[str]:
            keys = set(session.scalars(select(DatasetVersion.artifact_key)))
            return keys | set(session.scalars(select(ModelVersion.artifact_key)))

        return self._tx.read(work)
