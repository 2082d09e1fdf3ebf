"""A fitted detector (or rank-averaged ensemble) as calibrated scores in [0, 1].

Why percentiles: raw scores of different detectors live on different scales (path
lengths, distances, -log tail probabilities). Mapping each to the fraction of training
rows it exceeds makes members averageable and gives users one readable number: 0.97
means "more anomalous than 97% of the training rows". The flag is ``score > 1 - c``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from lepton.learn.anomaly.detectors import Detector, make

F64 = NDArray[np.float64]


def percentile(reference: F64, values: F64) -> F64:
    """Fraction of ``reference`` (sorted) below each value, mid-rank for ties."""
    lo = np.searchsorted(reference, values, side="left")
    hi = np.searchsorted(reference, values, side="right")
    return np.asarray((lo + hi) / (2.0 * len(reference)), dtype=float)


@dataclass
class ScoredDetector:
    """One or more detectors fitted on the same rows; score = percentile of their mean rank."""

    names: tuple[str, ...]
    members: list[Detector]
    references: list[F64]  # each member's sorted training scores
    combined: F64  # the sorted mean-percentile training scores

    @classmethod
    def fit(cls, names: tuple[str, ...], x: F64, seed: int = 0) -> ScoredDetector:
        return cls.fit_scored(names, x, seed)[0]

    @classmethod
    def fit_scored(
        cls, names: tuple[str, ...], x: F64, seed: int = 0
    ) -> tuple[ScoredDetector, F64]:
        """The fitted detector and its scores of ``x`` (each member scores ``x`` once)."""
        members = [make(name, seed).fit(x) for name in names]
        training = [m.score(x) for m in members]
        references = [np.sort(t) for t in training]
        mean = np.mean([percentile(r, t) for r, t in zip(references, training, strict=True)], 0)
        combined = np.sort(mean)
        return cls(names, members, references, combined), percentile(combined, mean)

    @property
    def name(self) -> str:
        return "+".join(self.names) if len(self.names) > 1 else self.names[0]

    def raw(self, x: F64) -> F64:
        """The mean member percentile (unbounded beyond the training extremes? no: [0,1])."""
        return np.asarray(
            np.mean(
                [
                    percentile(r, m.score(x))
                    for m, r in zip(self.members, self.references, strict=True)
                ],
                0,
            ),
            dtype=float,
        )

    def score(self, x: F64) -> F64:
        return percentile(self.combined, self.raw(x))
