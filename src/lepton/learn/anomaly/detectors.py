"""The detectors: each fits on a float matrix and scores rows, higher = more anomalous.

Why ECOD is written here rather than taken from pyod: pyod pulls in a large dependency
tree (numba, and optional torch/tensorflow paths) for what is a few dozen lines of
empirical-CDF tail probabilities (Li et al., "ECOD", TKDE 2022); the rest of the
detectors are scikit-learn's.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from sklearn.covariance import MinCovDet
from sklearn.ensemble import IsolationForest
from sklearn.neighbors import LocalOutlierFactor

F64 = NDArray[np.float64]
MCD_ROWS = 1000
LOF_ROWS = 5000


class Detector(Protocol):
    name: str

    def fit(self, x: F64) -> Detector: ...

    def score(self, x: F64) -> F64: ...


class IForest:
    """Isolation forest (Liu et al. 2008): short average path length = anomalous."""

    name = "isolation_forest"

    def __init__(self, seed: int = 0, n_estimators: int = 100) -> None:
        self.seed, self.n_estimators = seed, n_estimators

    def fit(self, x: F64) -> IForest:
        self.model_ = IsolationForest(n_estimators=self.n_estimators, random_state=self.seed)
        self.model_.fit(x)
        return self

    def score(self, x: F64) -> F64:
        return np.asarray(-self.model_.score_samples(x), dtype=float)


class LOF:
    """Local outlier factor in novelty mode, so it scores rows it was not fitted on."""

    name = "lof"

    def __init__(self, n_neighbors: int = 20) -> None:
        self.n_neighbors = n_neighbors

    def fit(self, x: F64) -> LOF:
        k = max(2, min(self.n_neighbors, len(x) - 1))
        if len(x) > LOF_ROWS:  # neighbours among a sample: the query cost is per fitted row
            x = x[np.random.default_rng(0).choice(len(x), LOF_ROWS, replace=False)]
        self.model_ = LocalOutlierFactor(n_neighbors=k, novelty=True).fit(x)
        return self

    def score(self, x: F64) -> F64:
        return np.asarray(-self.model_.score_samples(x), dtype=float)


class Mahalanobis:
    """Robust Mahalanobis distance from the minimum-covariance-determinant fit."""

    name = "mahalanobis"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def fit(self, x: F64) -> Mahalanobis:
        self.keep_ = np.nanstd(x, axis=0) > 0
        data = x[:, self.keep_]
        if len(data) > MCD_ROWS:  # MCD's cost grows fast with rows; its estimate does not need them
            rows = np.random.default_rng(self.seed).choice(len(data), MCD_ROWS, replace=False)
            data = data[rows]
        try:
            self.mcd_: MinCovDet | None = MinCovDet(random_state=self.seed).fit(data)
        except ValueError:  # singular: fall back to robust z-scores
            self.mcd_ = None
        self.center_ = np.median(data, axis=0)
        self.scale_ = np.median(np.abs(data - self.center_), axis=0) * 1.4826 + 1e-9
        return self

    def score(self, x: F64) -> F64:
        data = x[:, self.keep_]
        if self.mcd_ is not None:
            return np.asarray(self.mcd_.mahalanobis(data), dtype=float)
        return np.asarray((((data - self.center_) / self.scale_) ** 2).sum(axis=1), dtype=float)


class ECOD:
    """Empirical-CDF outlier detection: per-feature tail probabilities, summed in -log.

    Each feature's left and right tail probability comes from the training ECDF; the
    skewness of the feature picks which tail counts for the "auto" score. Per feature the
    row takes the larger of the skew-chosen tail and the mean of both tails, summed over
    features: the aggregation of the authors' reference implementation (pyod's ``ECOD``),
    which is what the published benchmarks (ADBench) measured.
    """

    name = "ecod"

    def fit(self, x: F64) -> ECOD:
        self.sorted_ = np.sort(x, axis=0)
        centred = x - x.mean(axis=0)
        std = x.std(axis=0) + 1e-12
        self.skew_ = np.sign((centred**3).mean(axis=0) / std**3)
        return self

    def score(self, x: F64) -> F64:
        n = self.sorted_.shape[0]
        left = np.empty_like(x, dtype=float)
        right = np.empty_like(x, dtype=float)
        for j in range(x.shape[1]):
            column = self.sorted_[:, j]
            left[:, j] = (np.searchsorted(column, x[:, j], side="right") + 1) / (n + 2)
            right[:, j] = (n - np.searchsorted(column, x[:, j], side="left") + 1) / (n + 2)
        u_left, u_right = -np.log(left), -np.log(right)
        u_auto = np.where(self.skew_ < 0, u_left, u_right)
        return np.asarray(np.maximum(u_auto, (u_left + u_right) / 2).sum(axis=1), dtype=float)


def make(name: str, seed: int = 0) -> Detector:
    """A fresh detector by name (``DETECTORS``)."""
    if name == "isolation_forest":
        return IForest(seed)
    if name == "lof":
        return LOF()
    if name == "mahalanobis":
        return Mahalanobis(seed)
    if name == "ecod":
        return ECOD()
    raise ValueError(name)


DETECTORS = ("isolation_forest", "ecod", "mahalanobis", "lof")
