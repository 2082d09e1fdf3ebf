"""Greedy ensemble selection (Caruana et al., 2004) over out-of-fold predictions.

Models are added with replacement, each step picking the member that lowers the
ensemble's loss most; the weights are the pick counts. Cheap, and robust to
overfitting the validation data because it only mixes existing predictions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from lepton.learn.metrics import Metric


def greedy_ensemble(
    oofs: list[NDArray[np.float64]],
    y: NDArray[Any],
    metric: Metric,
    *,
    max_rounds: int = 60,
    patience: int = 8,
    init_top: int = 0,
) -> tuple[NDArray[np.float64], float]:
    """Return (weights over ``oofs``, ensemble loss).

    ``init_top``: start from an equal blend of the first (best) ``init_top`` candidates
    (Caruana et al.'s sorted initialisation), which keeps greedy steps from chasing the
    noise of one set of out-of-fold predictions.
    """
    counts = np.zeros(len(oofs), dtype=np.int64)
    total = np.zeros_like(oofs[0])
    best_loss, best_counts, stale = float("inf"), counts.copy(), 0
    start = min(init_top, len(oofs))
    if start > 1:
        counts[:start] = 1
        total = np.sum(oofs[:start], axis=0)
        best_loss, best_counts = metric.loss(y, total / start), counts.copy()
    for round_ in range(start + 1, max_rounds + 1):
        losses = [metric.loss(y, (total + p) / round_) for p in oofs]
        pick = int(np.argmin(losses))
        counts[pick] += 1
        total += oofs[pick]
        if losses[pick] < best_loss - 1e-12:
            best_loss, best_counts, stale = losses[pick], counts.copy(), 0
        else:
            stale += 1
            if stale >= patience:
                break
    weights = best_counts / best_counts.sum()
    return weights.astype(np.float64), float(best_loss)


def fit_temperature(oof: NDArray[np.float64], y: NDArray[Any]) -> float:
    """Temperature T for ``softmax(log p / T)`` minimising log loss on out-of-fold predictions.

    Scaling by one positive number never changes the ranking or the argmax, so
    AUC and accuracy are untouched while probabilities become honest.
    """
    logp = np.log(np.clip(oof, 1e-12, 1.0))
    rows = np.arange(len(y))

    def nll(t: float) -> float:
        z = logp / t
        z -= z.max(axis=1, keepdims=True)
        log_softmax = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-log_softmax[rows, y].mean())

    grid = np.exp(np.linspace(np.log(0.25), np.log(4.0), 81))
    losses = [nll(t) for t in grid]
    best = float(grid[int(np.argmin(losses))])
    fine = np.linspace(best * 0.95, best * 1.05, 21)
    return float(fine[int(np.argmin([nll(t) for t in fine]))])


def apply_temperature(proba: NDArray[np.float64], temperature: float) -> NDArray[np.float64]:
    if temperature == 1.0:
        return proba
    z = np.log(np.clip(proba, 1e-12, 1.0)) / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float64)
