"""The clustering families: k-means (k by silhouette), HDBSCAN, a Gaussian mixture (by BIC).

Every fitted family answers the same question for new rows: a dissimilarity to each
cluster, ``(n, k)``, whose row minimum is the row's cluster. What the number means is
the family's ``measure``:

- ``kmeans``: the Euclidean distance to each centroid in the scaled feature space;
- ``hdbscan``: the Euclidean distance to each cluster's medoid (HDBSCAN has no
  out-of-sample rule of its own; the nearest medoid is the documented equivalent, and a
  training row HDBSCAN called noise is reported as such in the profile);
- ``gmm``: ``-log`` of each component's membership probability (so the minimum is the
  most probable component and ``exp(-d)`` its probability).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lepton.errors import DataError

Matrix = NDArray[np.float64]
Labels = NDArray[np.int64]
SILHOUETTE_SAMPLE = 2000  # rows silhouette is computed on (it is quadratic in rows)
MAX_K = 10
HDBSCAN_ROWS = 5000  # rows HDBSCAN is fitted on (quadratic in rows); the rest: nearest medoid
MEASURES = {
    "kmeans": "euclidean distance to the centroid (scaled feature space)",
    "hdbscan": "euclidean distance to the cluster medoid (scaled feature space)",
    "gmm": "-log membership probability of the mixture component",
}


@dataclass
class FittedClusters:
    """One family's fit: what serving needs (``centers``, ``dissimilarity``) and its scores."""

    family: str
    estimator: Any
    centers: Matrix  # (k, d): centroids, medoids, or component means
    train_labels: Labels  # training rows' clusters (HDBSCAN: -1 = noise)
    params: dict[str, Any] = field(default_factory=dict)
    tried: list[dict[str, Any]] = field(default_factory=list)  # k → score of the inner search

    @property
    def k(self) -> int:
        return int(self.centers.shape[0])

    @property
    def measure(self) -> str:
        return MEASURES[self.family]

    def dissimilarity(self, x: Matrix) -> Matrix:
        if self.family == "gmm":
            proba = np.asarray(self.estimator.predict_proba(x), dtype=np.float64)
            return np.asarray(-np.log(np.clip(proba, 1e-300, 1.0)), dtype=np.float64)
        return euclidean(x, self.centers)


def euclidean(x: Matrix, centers: Matrix) -> Matrix:
    squared = (x * x).sum(axis=1)[:, None] - 2.0 * x @ centers.T + (centers * centers).sum(axis=1)
    return np.asarray(np.sqrt(np.clip(squared, 0.0, None)), dtype=np.float64)


def k_range(n: int, k: int | None) -> list[int]:
    """Told k: just k. Otherwise 2..min(10, sqrt(n))."""
    if k is not None:
        return [k]
    return list(range(2, max(2, min(MAX_K, math.isqrt(n))) + 1))


def silhouette(x: Matrix, labels: Labels, seed: int) -> float:
    """Silhouette on a sample of the clustered (non-noise) rows; -1 when undefined."""
    from sklearn.metrics import silhouette_score

    keep = labels >= 0
    xs, ls = x[keep], labels[keep]
    if len(set(ls.tolist())) < 2 or len(set(ls.tolist())) >= len(ls):
        return -1.0
    size = min(SILHOUETTE_SAMPLE, len(ls))
    return float(silhouette_score(xs, ls, sample_size=size, random_state=seed))


def fit_kmeans(
    x: Matrix, ks: list[int], seed: int, deadline: Callable[[float], bool]
) -> FittedClusters:
    """k-means for each k (n_init 10), keeping the k with the best silhouette."""
    from sklearn.cluster import KMeans

    best: FittedClusters | None = None
    best_score = -math.inf
    tried: list[dict[str, Any]] = []
    last = 0.0
    for k in ks:
        if best is not None and deadline(last):
            break
        started = time.monotonic()
        model = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(x)
        labels = np.asarray(model.labels_, dtype=np.int64)
        score = silhouette(x, labels, seed)
        last = time.monotonic() - started
        tried.append({"k": k, "silhouette": round(score, 4), "inertia": float(model.inertia_)})
        if score > best_score:
            best_score = score
            best = FittedClusters(
                "kmeans", model, np.asarray(model.cluster_centers_, float), labels, {"k": k}
            )
    assert best is not None
    best.tried = tried
    return best


def fit_gmm(
    x: Matrix, ks: list[int], seed: int, deadline: Callable[[float], bool]
) -> FittedClusters:
    """A full-covariance Gaussian mixture for each k, keeping the lowest BIC."""
    from sklearn.mixture import GaussianMixture

    best: FittedClusters | None = None
    best_bic = math.inf
    tried: list[dict[str, Any]] = []
    last = 0.0
    for k in ks:
        if best is not None and deadline(last):
            break
        started = time.monotonic()
        model = GaussianMixture(
            n_components=k, covariance_type="full", n_init=2, reg_covar=1e-4, random_state=seed
        ).fit(x)
        bic = float(model.bic(x))
        labels = np.asarray(model.predict(x), dtype=np.int64)
        empty = k - len(set(labels.tolist()))
        last = time.monotonic() - started
        tried.append({"k": k, "bic": round(bic, 2), "empty_components": empty})
        if bic < best_bic and empty == 0:  # an empty component is not a cluster
            best_bic = bic
            best = FittedClusters(
                "gmm", model, np.asarray(model.means_, float), labels, {"k": k, "bic": bic}
            )
    if best is None:
        raise DataError("every Gaussian mixture left components no row belongs to")
    best.tried = tried
    return best


def fit_hdbscan(x: Matrix, seed: int) -> FittedClusters:
    """scikit-learn's HDBSCAN (min cluster size 1 % of rows, at least 5), with medoids.

    HDBSCAN's time and its medoids' memory grow with the square of the rows (10k rows:
    1 s; 200k rows: minutes and gigabytes), so it runs on a sample of ``HDBSCAN_ROWS``;
    the other rows take their nearest medoid, the rule serving uses anyway.
    """
    from sklearn.cluster import HDBSCAN

    rows = np.arange(len(x))
    if len(x) > HDBSCAN_ROWS:
        rows = np.sort(np.random.default_rng(seed).choice(len(x), HDBSCAN_ROWS, replace=False))
    size = max(5, len(rows) // 100)
    model = HDBSCAN(min_cluster_size=size, store_centers="medoid", copy=True).fit(x[rows])
    sampled = np.asarray(model.labels_, dtype=np.int64)
    found = sorted(set(sampled.tolist()) - {-1})
    if not found:
        raise DataError("HDBSCAN found no cluster (every row is noise)")
    centers = np.asarray(model.medoids_, dtype=np.float64)
    labels = np.asarray(euclidean(x, centers).argmin(axis=1), dtype=np.int64)
    labels[rows] = sampled
    noise = float(np.mean(sampled < 0))
    params = {"k": len(found), "min_cluster_size": size, "noise": noise}
    if len(rows) < len(x):
        params["fitted_rows"] = len(rows)
    return FittedClusters("hdbscan", model, centers, labels, params)
