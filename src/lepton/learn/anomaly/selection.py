"""Choosing a detector: stability across bootstrap resamples, or ROC-AUC when labelled.

Why stability without labels: with no anomalies to check against, the one thing a
detector's answers can be judged by is whether they survive resampling the training
rows (Perini et al., "A ranking stability measure for quantifying the robustness of
anomaly detection methods", 2020). A detector whose top flags change with every
resample is fitting noise. The score is the mean of the pairwise Spearman correlation
of the resamples' scores and the Jaccard overlap of their top-``contamination`` flags,
multiplied by the candidate's centrality (its agreement with the detectors' consensus).
"""

from __future__ import annotations

import itertools
import time

import numpy as np
from numpy.typing import NDArray
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from lepton.learn.anomaly.scoring import ScoredDetector

F64 = NDArray[np.float64]
SELECTION_ROWS = 3000  # rows scored per resample (bounds LOF and MCD cost)
RESAMPLES = 4
CV_ROWS = 20_000  # rows the labelled selection's folds are cut from


def stratified_sample(x: F64, y: NDArray[np.int64], seed: int) -> tuple[F64, NDArray[np.int64]]:
    """At most ``CV_ROWS`` rows with the label's anomaly rate kept (the rows as they are)."""
    if len(x) <= CV_ROWS:
        return x, y
    from sklearn.model_selection import train_test_split

    rows = train_test_split(np.arange(len(x)), train_size=CV_ROWS, stratify=y, random_state=seed)[0]
    return x[rows], y[rows]


def sample(x: F64, seed: int) -> F64:
    """The rows every candidate's resamples are scored on (at most ``SELECTION_ROWS``)."""
    if len(x) <= SELECTION_ROWS:
        return x
    return x[np.random.default_rng(seed).choice(len(x), SELECTION_ROWS, replace=False)]


def resample_scores(name: str, x: F64, seed: int, deadline: float) -> list[F64]:
    """One detector fitted on each of ``RESAMPLES`` bootstraps of ``x``, scored on ``x``.

    Every detector sees the same bootstraps (the same seed), so an ensemble's resample
    scores are the mean of its members' (``ScoredDetector.raw`` averages percentiles).
    """
    rng = np.random.default_rng(seed)
    runs: list[F64] = []
    for r in range(RESAMPLES):
        rows = np.unique(rng.choice(len(x), len(x), replace=True))
        started = time.monotonic()
        runs.append(ScoredDetector.fit((name,), x[rows], seed + r).raw(x))
        if time.monotonic() + (time.monotonic() - started) > deadline:
            break  # the next resample would overrun; fewer than 2 runs: no stability
    return runs


def pair_stability(runs: list[F64], contamination: float) -> list[float]:
    """Per resample pair: (Spearman rho + Jaccard overlap of the top flags) / 2."""
    k = max(1, round(contamination * len(runs[0])))
    values = []
    for a, b in itertools.combinations(runs, 2):
        rho = float(np.nan_to_num(spearmanr(a, b).statistic))
        top_a, top_b = set(np.argsort(-a)[:k]), set(np.argsort(-b)[:k])
        values.append(0.5 * (rho + len(top_a & top_b) / len(top_a | top_b)))
    return values


def one_standard_error_choice(
    scored: list[tuple[tuple[str, ...], list[float]]], preferred: tuple[str, ...]
) -> tuple[str, ...]:
    """The best mean score, unless ``preferred`` is within one standard error of it.

    Breiman's one-standard-error rule, with the ensemble as the robust default: the
    stability proxy is noisy (a handful of resample pairs), and ADBench (Han et al.,
    2022) finds no single detector best across data sets, so a single detector replaces
    the rank-averaged ensemble only when it is more stable by more than the noise.
    """
    best_names, best_values = max(scored, key=lambda s: float(np.mean(s[1])))
    for names, values in scored:
        if names == preferred and names != best_names:
            spread = float(np.std(best_values, ddof=1)) if len(best_values) > 1 else 0.0
            error = spread / np.sqrt(len(best_values))
            if float(np.mean(values)) >= float(np.mean(best_values)) - error:
                return names
    return best_names


def centrality(runs: list[F64], consensus: list[F64]) -> float:
    """Mean Spearman rho of a candidate's resample scores with the detectors' consensus.

    Model centrality (Ma, Zhao & Akoglu, "The need for unsupervised outlier model
    selection", 2023): a detector that agrees with the others' consensus is more likely
    to see the shared signal than an idiosyncratic one. Stability alone rewards a
    detector that is merely rigid (a robust covariance on three columns barely moves).
    """
    pairs = list(zip(runs, consensus, strict=False))
    return float(np.mean([np.nan_to_num(spearmanr(a, b).statistic) for a, b in pairs]))


def cv_auc(
    names: tuple[str, ...], x: F64, y: NDArray[np.int64], n_folds: int, seed: int, deadline: float
) -> list[float]:
    """ROC-AUC of each fold's held-out rows, the detector fitted (unsupervised) on the rest.

    On more than ``CV_ROWS`` rows the folds are cut from a stratified sample of that
    size: choosing between detectors does not need every row, the final fit does.
    """
    x, y = stratified_sample(x, y, seed)
    folds = min(n_folds, int(np.bincount(y, minlength=2).min()))
    folds = max(2, folds)
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    values = []
    for i, (train, test) in enumerate(splitter.split(x, y)):
        if i >= 2 and time.monotonic() > deadline:
            break
        fitted = ScoredDetector.fit(names, x[train], seed)
        values.append(float(roc_auc_score(y[test], fitted.raw(x[test]))))
    return values
