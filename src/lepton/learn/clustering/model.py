"""The trained clustering model a package holds: the feature space and one fitted family.

Its raw output is the family's closeness to each cluster, ``(n, k)``: minus the
dissimilarity, so the row maximum is the row's cluster (as for every kind's outputs: the
prediction log, the codec and the metrics take the argmax) and minus its value is the
answer's ``distance`` (see ``families`` for what
the number means per family). The profile and the training shares ride in the manifest,
so the report and the monitor need not load the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.errors import LeptonError
from lepton.learn.clustering.families import FittedClusters
from lepton.learn.clustering.space import ClusterSpace
from lepton.learn.model import _column_spec
from lepton.runtime.manifest import ColumnSpec, MemberSpec

OUTPUT = "cluster"


class ClusterIds:
    """The identity ``LabelCodec``: cluster ids are their own codes."""

    def encode(self, y: pd.Series) -> NDArray[Any]:
        return np.asarray(pd.to_numeric(y, errors="coerce"), dtype=np.int64)

    def decode(self, codes: NDArray[np.int64]) -> NDArray[Any]:
        return np.asarray(codes, dtype=np.int64)


@dataclass
class ClusterModel:
    space: ClusterSpace
    fitted: FittedClusters
    details: dict[str, Any] = field(default_factory=dict)  # profile, shares, selection, plot
    target_name: str = OUTPUT
    temperature: float = 1.0

    kind = "clustering"
    task = "clustering"

    @property
    def target(self) -> ClusterIds:
        return ClusterIds()

    @property
    def k(self) -> int:
        return self.fitted.k

    @property
    def labels(self) -> list[Any]:
        return list(range(self.k))

    @property
    def input_columns(self) -> list[str]:
        return self.space.input_columns

    @property
    def dropped_columns(self) -> dict[str, str]:
        return dict(self.space.encoder.dropped_)

    def predict_raw(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        """Closeness ``(n, k)`` of each row to each cluster: minus the family's dissimilarity."""
        return -self.fitted.dissimilarity(self.space.transform(frame))

    def predict_records(
        self, records: list[dict[str, Any]] | dict[str, list[Any]]
    ) -> NDArray[np.float64]:
        if isinstance(records, dict):
            return self.predict_raw(pd.DataFrame(records))
        return self.predict_raw(pd.DataFrame.from_records(records, columns=self.input_columns))

    def assign(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Each row's cluster and its distance (the family's measure)."""
        scores = self.predict_raw(frame)
        best = scores.argmax(axis=1)
        return pd.DataFrame(
            {OUTPUT: best.astype(np.int64), "distance": -scores[np.arange(len(best)), best]},
            index=frame.index,
        )

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        return self.assign(frame)[OUTPUT]

    def predict_proba(self, frame: pd.DataFrame) -> pd.DataFrame:
        raise LeptonError(
            "a clustering model answers clusters and distances, not class probabilities"
        )

    # -- the package contract -----------------------------------------------------------------
    def input_schema(self, frame: pd.DataFrame | None = None) -> tuple[ColumnSpec, ...]:
        return tuple(_column_spec(self.space.encoder, c, frame) for c in self.input_columns)

    def ensemble_specs(self) -> tuple[MemberSpec, ...]:
        return (MemberSpec(self.fitted.family, self.fitted.family, 1.0, self.fitted.params, 1),)

    def manifest_extra(self) -> dict[str, Any]:
        return {
            "clustering": {
                "family": self.fitted.family,
                "k": self.k,
                "measure": self.fitted.measure,
                **self.details,
            }
        }
