"""The space clusters live in: the tabular encoding, imputed, standardised, one-hot.

Why the tabular encoder: a cluster model then takes exactly the request rows a table
model takes (same column roles, vocabularies, missing values), and distances are in
units of each numeric column's standard deviation, so no column dominates by its scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.errors import DataError
from lepton.learn.families.base import DenseEncoder
from lepton.learn.features import FeatureEncoder

Matrix = NDArray[np.float64]


@dataclass
class ClusterSpace:
    """``FeatureEncoder`` (roles, codes) then ``DenseEncoder`` (impute, scale, one-hot)."""

    encoder: FeatureEncoder
    dense: DenseEncoder

    @classmethod
    def fit(cls, frame: pd.DataFrame, kinds: dict[str, str]) -> ClusterSpace:
        roles = {c: kinds.get(c, "categorical") for c in map(str, frame.columns)}
        # free text has no distance here: drop it (the encoder names the reason)
        roles = {c: "free text" if k == "text" else k for c, k in roles.items()}
        encoder = FeatureEncoder(roles)
        try:
            encoder.fit(frame)
        except DataError as exc:
            raise DataError(f"nothing to cluster on: {exc}") from exc
        dense = DenseEncoder().fit(encoder.transform(frame))
        return cls(encoder, dense)

    def transform(self, frame: pd.DataFrame) -> Matrix:
        return np.asarray(self.dense.transform(self.encoder.transform(frame)), dtype=np.float64)

    @property
    def input_columns(self) -> list[str]:
        return self.encoder.input_columns
