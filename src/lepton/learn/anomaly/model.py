"""The trained anomaly detector a package holds: encoding, detector(s), threshold.

Its outputs per row are ``[score, is_anomaly]``: the score is the row's percentile among
the training rows (see ``scoring``), the flag ``score > 1 - contamination``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.errors import LeptonError
from lepton.learn.anomaly.matrix import AnomalyMatrix
from lepton.learn.anomaly.scoring import ScoredDetector
from lepton.runtime.manifest import ColumnSpec, MemberSpec

OUTPUTS = ["score", "is_anomaly"]
NO_LABEL = "anomaly"  # the target name of a package trained without a label column


class _FlagTarget:
    """The identity ``LabelCodec``: outputs are a score and a 0/1 flag."""

    def encode(self, y: pd.Series) -> NDArray[Any]:
        return np.asarray(pd.to_numeric(y, errors="coerce"), dtype=float)

    def decode(self, codes: NDArray[np.int64]) -> NDArray[Any]:
        return np.asarray(codes, dtype=float)


class AnomalyModel:
    kind = "anomaly"
    task = "anomaly"
    temperature = 1.0

    def __init__(
        self,
        matrix: AnomalyMatrix,
        detector: ScoredDetector,
        contamination: float,
        *,
        label: str | None,
        positive: Any = None,
        training_rate: float,
        details: dict[str, Any],
    ) -> None:
        self.matrix = matrix
        self.detector = detector
        self.contamination = contamination
        self.threshold = 1.0 - contamination
        self.label = label
        self.positive = positive
        self.training_rate = training_rate
        self.details = details
        self.target_name = label or NO_LABEL
        self.target = _FlagTarget()

    @property
    def dropped_columns(self) -> dict[str, str]:
        return dict(self.matrix.encoder.dropped_)

    @property
    def input_columns(self) -> list[str]:
        return list(self.matrix.encoder.input_columns)

    @property
    def labels(self) -> list[Any]:
        return list(OUTPUTS)

    def scores(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        return self.detector.score(self.matrix.transform(frame))

    def predict_raw(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        """``(n, 2)``: the anomaly score in [0, 1] and the 0/1 flag."""
        score = self.scores(frame)
        return np.column_stack([score, (score > self.threshold).astype(float)])

    def predict_records(self, records: list[dict[str, Any]]) -> NDArray[np.float64]:
        return self.predict_raw(pd.DataFrame.from_records(records, columns=self.input_columns))

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        return pd.Series(self.predict_raw(frame)[:, 1].astype(int), name="is_anomaly")

    def predict_proba(self, frame: pd.DataFrame) -> pd.DataFrame:
        raise LeptonError("predict_proba is for classifiers; an anomaly model scores rows")

    def input_schema(self, frame: pd.DataFrame | None = None) -> tuple[ColumnSpec, ...]:
        encoder = self.matrix.encoder
        columns = []
        for column in encoder.input_columns:
            if column in encoder.categorical_:
                # no category list: an unseen value is a finding here, not a bad request
                columns.append(ColumnSpec(column, "categorical"))
            elif column in encoder.boolean_:
                columns.append(ColumnSpec(column, "boolean"))
            elif column in encoder.datetime_:
                columns.append(ColumnSpec(column, "datetime"))
            else:
                columns.append(ColumnSpec(column, "numeric"))
        return tuple(columns)

    def ensemble_specs(self) -> tuple[MemberSpec, ...]:
        weight = 1.0 / len(self.detector.names)
        return tuple(MemberSpec(n, n, weight, {}, 1) for n in self.detector.names)

    def manifest_extra(self) -> dict[str, Any]:
        return {
            "anomaly": {
                "detector": self.detector.name,
                "contamination": self.contamination,
                "threshold": self.threshold,
                "training_rate": self.training_rate,
                "label": self.label,
                "outputs": list(OUTPUTS),
                "selection": self.details.get("selection", {}),
            }
        }
