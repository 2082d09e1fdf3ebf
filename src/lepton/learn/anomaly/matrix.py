"""The shared tabular encoding (``FeatureEncoder``) turned into one scaled float matrix.

Numbers are median-imputed and robust-scaled (median / IQR, so a few huge anomalies do
not set the scale); a categorical becomes the training frequency of its value, because a
rare category is itself a sign of an anomaly (unseen values get frequency 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.learn.features import FeatureEncoder

F64 = NDArray[np.float64]


@dataclass
class AnomalyMatrix:
    encoder: FeatureEncoder
    median_: F64 = field(default_factory=lambda: np.zeros(0))
    scale_: F64 = field(default_factory=lambda: np.ones(0))
    frequencies_: list[F64] = field(default_factory=list)

    def fit(self, frame: pd.DataFrame) -> AnomalyMatrix:
        self.encoder.fit(frame)
        data = self.encoder.transform(frame)
        self.frequencies_ = []
        for j, size in enumerate(data.cardinalities):
            codes = data.cat[:, j]
            counts = np.bincount(codes[codes >= 0], minlength=size).astype(float)
            self.frequencies_.append(counts / max(1, len(codes)))
        raw = self._raw(frame)
        self.median_ = np.nan_to_num(np.nanmedian(raw, axis=0)) if raw.size else np.zeros(0)
        filled = np.where(np.isnan(raw), self.median_, raw)
        q75, q25 = np.percentile(filled, [75, 25], axis=0) if raw.size else (0.0, 0.0)
        iqr = np.asarray(q75 - q25, dtype=float) / 1.349
        std = filled.std(axis=0) if raw.size else np.ones(0)
        self.scale_ = np.where(iqr > 0, iqr, np.where(std > 0, std, 1.0))
        return self

    def _raw(self, frame: pd.DataFrame) -> F64:
        data = self.encoder.transform(frame)
        parts = [data.num.astype(float)]
        for j, freq in enumerate(self.frequencies_):
            codes = data.cat[:, j]
            parts.append(np.where(codes >= 0, freq[np.clip(codes, 0, None)], 0.0)[:, None])
        return np.hstack(parts) if parts else np.zeros((len(frame), 0))

    def transform(self, frame: pd.DataFrame) -> F64:
        raw = self._raw(frame)
        filled = np.where(np.isnan(raw), self.median_, raw)
        return np.asarray((filled - self.median_) / self.scale_, dtype=float)
