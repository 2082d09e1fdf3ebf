"""The trained pipeline: feature encoder → fold models of each member → weighted blend.

This is what gets pickled into a model package's ``native/`` folder and what the
``Predictor`` wraps. It takes a DataFrame and returns probabilities or values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.learn.ensemble import apply_temperature
from lepton.learn.families.base import FittedModel
from lepton.learn.features import Encoded, FeatureEncoder
from lepton.learn.tasks import TargetEncoding

HEDGE_FROM_MISSING_SHARE = 0.5


@dataclass
class Member:
    """One trial's fold models, averaged (a bag), with its ensemble weight."""

    name: str
    family: str
    params: dict[str, Any]
    models: list[FittedModel]
    weight: float

    def predict(self, data: Encoded) -> NDArray[np.float64]:
        return np.asarray(np.mean([m.predict(data) for m in self.models], axis=0), dtype=np.float64)


@dataclass
class TrainedModel:
    encoder: FeatureEncoder
    target: TargetEncoding
    target_name: str
    members: list[Member]
    temperature: float = 1.0
    extra: dict[str, Any] = field(default_factory=dict)
    prior: NDArray[np.float64] | None = None  # class shares (or the mean) seen in training

    @property
    def task(self) -> str:
        return self.target.task

    @property
    def labels(self) -> list[Any]:
        return self.target.labels

    def predict_raw(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        """Probabilities (n, k) for classification, values (n,) for regression."""
        data = self.encoder.transform(frame)
        blended = sum(m.weight * m.predict(data) for m in self.members if m.weight > 0)
        out = np.asarray(blended, dtype=np.float64)
        if self.task != "regression":
            out = apply_temperature(out / out.sum(axis=1, keepdims=True), self.temperature)
        return self._hedge_uninformed(frame, out)

    def _hedge_uninformed(
        self, frame: pd.DataFrame, out: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Rows missing most of their inputs carry little evidence: lean on the training prior.

        Models extrapolate confidently from imputed values; on such rows that confidence is
        unearned and, for log loss, ruinous. A row missing a share ``m >= 0.5`` of its
        inputs is blended ``(1 - m) * prediction + m * prior``; complete rows are untouched.
        """
        columns = [c for c in self.encoder.input_columns if c in frame.columns]
        if self.prior is None or not columns:
            return out
        missing = frame[columns].isna().mean(axis=1).to_numpy()
        hedge = np.where(missing >= HEDGE_FROM_MISSING_SHARE, missing, 0.0)
        if not hedge.any():
            return out
        if out.ndim == 1:
            return (1 - hedge) * out + hedge * float(self.prior[0])
        return (1 - hedge)[:, None] * out + hedge[:, None] * self.prior[None, :]

    def predict_proba(self, frame: pd.DataFrame) -> pd.DataFrame:
        if self.task == "regression":
            from lepton.errors import LeptonError

            raise LeptonError("predict_proba is for classifiers; this model does regression")
        return pd.DataFrame(self.predict_raw(frame), columns=self.labels, index=frame.index)

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        raw = self.predict_raw(frame)
        if self.task == "regression":
            return pd.Series(raw, index=frame.index, name=self.target_name)
        values = self.target.decode(raw.argmax(axis=1))
        return pd.Series(values, index=frame.index, name=self.target_name)
