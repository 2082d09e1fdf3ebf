"""The clustering kind's training entry point: decide k, fit each family, choose one, profile it.

How many clusters is one decision, made once, before families compete: k-means over the
k range, k by the Krzanowski-Lai index of its dispersion curve (see ``fit_kmeans``), or
the user's ``--k``. The mixture is then fitted at that k (without k-means in the run it
picks its own k by BIC), and HDBSCAN, which finds its own count, is eligible only when it
agrees. Families are then compared at the same k, by the silhouette of each training
assignment on a sample of up to 2,000 rows in the scaled feature space; comparing
silhouettes across different k would undo the decision, since the silhouette favours
the coarsest split. HDBSCAN's silhouette is taken on the rows it clustered and
multiplied by the share it clustered, so calling most rows noise does not pay. Guards
against degenerate solutions: a candidate with fewer than two clusters, or with one
cluster holding more than 95 % of the rows, is not eligible; if none is, training fails
with the reason instead of shipping one cluster. The time limit is checked between fits
(every family's first fit runs; the k-means search stops early when the budget is spent).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lepton.errors import DataError
from lepton.learn.clustering.families import (
    FittedClusters,
    fit_gmm,
    fit_hdbscan,
    fit_kmeans,
    k_range,
    silhouette,
)
from lepton.learn.clustering.model import ClusterModel
from lepton.learn.clustering.profile import profile_clusters
from lepton.learn.clustering.space import ClusterSpace, Matrix

if TYPE_CHECKING:
    from lepton.learn.automl import AutoML

FAMILIES = ("kmeans", "gmm", "hdbscan")
MIN_ROWS = 10
MAX_SHARE = 0.95  # one cluster holding more of the rows than this is no clustering
PROJECTION_POINTS = 600  # training rows kept for the report's 2-D plot
PACKAGING_RESERVE = 0.15  # of the budget: profile, projection, packaging


@dataclass
class ClusterTrial:
    family: str
    ok: bool
    seconds: float
    score: float | None = None
    note: str = ""


@dataclass
class ClusterSearch:
    trials: list[ClusterTrial] = field(default_factory=list)


def settings(
    options: dict[str, Any] | None, families: list[str] | None
) -> tuple[int | None, list[str]]:
    """The ``k`` and ``families`` options, checked (clear errors before anything runs)."""
    options = options or {}
    k = options.get("k")
    if k is not None:
        if isinstance(k, bool) or (not isinstance(k, int | np.integer) and not str(k).isdigit()):
            raise DataError(f"--k must be a whole number of clusters (got {k!r})", field="k")
        k = int(k)
        if k < 2:
            raise DataError(
                f"--k must be at least 2 (got {k}): one cluster is no clustering", field="k"
            )
    chosen = options.get("families") or families
    if isinstance(chosen, str):
        chosen = [f.strip() for f in chosen.split(",") if f.strip()]
    names = list(chosen or FAMILIES)
    unknown = [f for f in names if f not in FAMILIES]
    if unknown:
        raise DataError(
            f"unknown clustering famil(ies) {', '.join(unknown)}; choose from {', '.join(FAMILIES)}",
            field="families",
        )
    return k, names


def fit_clustering(automl: AutoML, frame: pd.DataFrame, column_kinds: dict[str, str]) -> AutoML:
    """``AutoML.fit`` for ``task="clustering"`` (named by ``lepton.runtime.kinds.clustering``)."""
    from lepton.learn.automl import LeaderboardRow

    k, families = settings(automl.options, automl.families)
    budget = float(automl.time_limit)
    deadline_at = automl.started_ + budget * (1 - PACKAGING_RESERVE)
    notes = automl.notes_
    labels = frame[automl.target] if automl.target is not None else None
    inputs = frame.drop(columns=[automl.target]) if automl.target is not None else frame
    if labels is not None:
        notes.append(f"column {automl.target!r} withheld from clustering (used only to score)")
    n = len(inputs)
    if n < MIN_ROWS:
        raise DataError(f"only {n} rows; clustering needs at least {MIN_ROWS}")
    if k is not None and k > n // 2:
        raise DataError(
            f"--k {k} is more than half the {n} rows; ask for at most {n // 2} clusters", field="k"
        )
    space = ClusterSpace.fit(inputs, {c: v for c, v in column_kinds.items() if c != automl.target})
    notes += space.encoder.describe_drops()
    x = space.transform(inputs)
    if float(np.ptp(x, axis=0).max(initial=0.0)) == 0.0:
        raise DataError("every feature is constant across the rows; there is nothing to cluster")
    chosen = bool((automl.options or {}).get("families") or automl.families)
    if k is not None and "hdbscan" in families and not chosen:
        families = [f for f in families if f != "hdbscan"]
        notes.append("HDBSCAN skipped: it finds its own number of clusters and --k was given")
    ks = k_range(n, k)
    seed = automl.seed
    search = ClusterSearch()
    candidates: list[tuple[float, FittedClusters]] = []

    def over(seconds: float) -> bool:
        """Would a fit taking ``seconds`` (the last one's time) end past the search deadline?"""
        return time.time() + seconds > deadline_at

    interrupted = False
    decided: int | None = None  # k from the k-means dispersion curve, when it was asked
    for family in families:
        if candidates and over(0.0):
            interrupted = True
            note = f"skipped {family}: the time limit is spent"
            notes.append(note)
            search.trials.append(ClusterTrial(family, False, 0.0, None, note))
            continue
        started = time.time()
        try:
            fitted = _fit(family, x, [decided] if decided else ks, seed, over)
        except DataError as exc:
            notes.append(f"{family}: {exc}")
            search.trials.append(ClusterTrial(family, False, time.time() - started, None, str(exc)))
            continue
        seconds = time.time() - started
        if family == "kmeans" and k is None:
            decided = fitted.k
        score, why = _criterion(x, fitted, seed, n)
        if not why and decided and family == "hdbscan" and fitted.k != decided:
            why = f"found {fitted.k} clusters where the k-means dispersion curve says {decided}"
        if why:
            notes.append(f"{family} (k={fitted.k}) not eligible: {why}")
        search.trials.append(ClusterTrial(family, not why, seconds, score, why))
        if not why:
            candidates.append((score, fitted))
    if not candidates:
        reasons = "; ".join(f"{t.family}: {t.note}" for t in search.trials)
        raise DataError(f"no family found more than one real cluster ({reasons})")
    candidates.sort(key=lambda c: -c[0])
    best_score, best = candidates[0]
    model = ClusterModel(space, best)
    served = model.predict_raw(inputs).argmax(axis=1)
    shares = np.bincount(served, minlength=best.k) / n
    numeric = [c for c in space.encoder.numeric_ + space.encoder.boolean_]
    details: dict[str, Any] = {
        "silhouette": round(best_score, 4),
        "n_rows": n,
        "shares": [round(float(s), 6) for s in shares],
        "profile": profile_clusters(
            inputs, best.train_labels, numeric, list(space.encoder.categorical_)
        ),
        "selection": [
            {"family": t.family, "eligible": t.ok, "score": t.score, "note": t.note}
            for t in search.trials
        ],
        "tried_k": best.tried,
        "projection": _projection(x, served, seed),
    }
    if labels is not None:
        details["label_column"] = automl.target
        details["label_agreement"] = _agreement(labels, best.train_labels)
    model.details = details
    automl.task_, automl.metric_, automl.n_folds_ = "clustering", "silhouette", 0
    how_k = (
        "k given"
        if k is not None
        else "k by the Krzanowski-Lai index of the k-means dispersion curve"
        if decided
        else "each family's own k"
    )
    automl.validation_how_ = (
        f"{how_k}; then the silhouette of the training assignment on up to 2,000 of {n} rows "
        f"in the scaled feature space; {best.family} chosen among "
        f"{', '.join(t.family for t in search.trials)}"
    )
    automl.model_ = model
    automl.search_ = search
    automl.interrupted_ = interrupted
    automl.leaderboard_ = [
        LeaderboardRow(
            model=fitted.family,
            family=fitted.family,
            origin=f"k={fitted.k}",
            score=score,
            score_std=0.0,
            fit_seconds=next(t.seconds for t in search.trials if t.family == fitted.family),
            predict_ms_per_row=0.0,
            weight=1.0 if fitted is best else 0.0,
            params=fitted.params,
        )
        for score, fitted in candidates
    ]
    automl.fit_seconds_ = time.time() - automl.started_
    return automl


def _fit(
    family: str, x: Matrix, ks: list[int], seed: int, over: Callable[[float], bool]
) -> FittedClusters:
    if family == "kmeans":
        return fit_kmeans(x, ks, seed, over)
    if family == "gmm":
        return fit_gmm(x, ks, seed, over)
    return fit_hdbscan(x, seed)


def _criterion(x: Matrix, fitted: FittedClusters, seed: int, n: int) -> tuple[float, str]:
    """(silhouette, "") or (score, why the candidate is degenerate)."""
    labels = fitted.train_labels
    clustered = labels[labels >= 0]
    found = len(set(clustered.tolist()))
    if found < 2:
        return -1.0, "found a single cluster"
    largest = float(np.bincount(clustered).max()) / n
    if largest > MAX_SHARE:
        return -1.0, f"one cluster holds {100 * largest:.0f}% of the rows"
    score = silhouette(x, labels, seed) * (len(clustered) / n)
    return float(score), ""


def _projection(x: Matrix, clusters: np.ndarray[Any, Any], seed: int) -> dict[str, Any]:
    """A 2-D PCA of up to ``PROJECTION_POINTS`` training rows, for the report's plot."""
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(seed)
    rows = rng.choice(len(x), size=min(PROJECTION_POINTS, len(x)), replace=False)
    dims = min(2, x.shape[1])
    pca = PCA(n_components=dims, random_state=seed).fit(x)
    points = pca.transform(x[rows])
    if dims == 1:
        points = np.column_stack([points, np.zeros(len(points))])
    return {
        "x": np.round(points[:, 0], 4).tolist(),
        "y": np.round(points[:, 1], 4).tolist(),
        "cluster": clusters[rows].astype(int).tolist(),
        "explained": [round(float(v), 4) for v in pca.explained_variance_ratio_],
    }


def _agreement(labels: pd.Series, clusters: np.ndarray[Any, Any]) -> dict[str, float]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    known = labels.notna().to_numpy()
    truth = labels[known].astype(str).to_numpy()
    return {
        "ari": round(float(adjusted_rand_score(truth, clusters[known])), 4),
        "nmi": round(float(normalized_mutual_info_score(truth, clusters[known])), 4),
    }
