"""Greedy ensemble selection (Caruana et al., 2004) over out-of-fold predictions.

Models are added with replacement, each step picking the member that lowers the
ensemble's loss most; the weights are the pick counts. Cheap, and robust to
overfitting the validation data because it only mixes existing predictions.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    costs: Sequence[float] | None = None,
    budget: float | None = None,
) -> tuple[NDArray[np.float64], float]:
    """Return (weights over ``oofs``, ensemble loss).

    ``init_top``: start from an equal blend of the first (best) ``init_top`` candidates
    (Caruana et al.'s sorted initialisation), which keeps greedy steps from chasing the
    noise of one set of out-of-fold predictions.

    ``costs`` and ``budget``: each candidate's prediction cost and a cap on the summed cost
    of the distinct members picked (picking a member again is free). A candidate that would
    break the cap is never picked; when none fits, the weights are all zero and the loss
    infinite, and the caller decides (``AutoML``'s ``infer_limit``).
    """
    counts = np.zeros(len(oofs), dtype=np.int64)
    total = np.zeros_like(oofs[0])
    best_loss, best_counts, stale = float("inf"), counts.copy(), 0
    cost = np.zeros(len(oofs)) if costs is None else np.asarray(costs, dtype=np.float64)
    cap = float("inf") if budget is None else float(budget)
    start = min(init_top, len(oofs)) if budget is None else 0
    if start > 1:
        counts[:start] = 1
        total = np.sum(oofs[:start], axis=0)
        best_loss, best_counts = metric.loss(y, total / start), counts.copy()
    for round_ in range(start + 1, max_rounds + 1):
        spent = float(cost[counts > 0].sum())
        allowed = (counts > 0) | (spent + cost <= cap)
        if not allowed.any():
            break
        losses = [
            metric.loss(y, (total + p) / round_) if ok else float("inf")
            for p, ok in zip(oofs, allowed, strict=True)
        ]
        pick = int(np.argmin(losses))
        counts[pick] += 1
        total += oofs[pick]
        if losses[pick] < best_loss - 1e-12:
            best_loss, best_counts, stale = losses[pick], counts.copy(), 0
        else:
            stale += 1
            if stale >= patience:
                break
    if not best_counts.any():
        return np.zeros(len(oofs), dtype=np.float64), float("inf")
    weights = best_counts / best_counts.sum()
    return weights.astype(np.float64), float(best_loss)


TEMPERATURE_PRIOR_SIGMA = 0.5  # prior sd of log T: T within about [0.37, 2.7] at two sigma


def fit_temperature(
    oof: NDArray[np.float64], y: NDArray[Any], *, prior_sigma: float = TEMPERATURE_PRIOR_SIGMA
) -> float:
    """Temperature T for ``softmax(log p / T)``: the MAP estimate on out-of-fold predictions.

    Scaling by one positive number never changes the ranking or the argmax, so
    AUC and accuracy are untouched while probabilities become honest.

    The summed out-of-fold log loss is the likelihood and ``log T ~ N(0, prior_sigma²)``
    the prior. On large data the likelihood dominates and this is plain temperature
    scaling; on small, nearly separable data the plain fit would sharpen without bound
    (every out-of-fold row is right, and the winning trial's out-of-fold loss is the
    luckiest of many), turning the first test error into a ruinous log loss. The prior
    lets the evidence of a few hundred rows move T only as far as it supports.
    """
    logp = np.log(np.clip(oof, 1e-12, 1.0))
    rows = np.arange(len(y))

    def objective(log_t: float) -> float:
        z = logp / np.exp(log_t)
        z -= z.max(axis=1, keepdims=True)
        log_softmax = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-log_softmax[rows, y].sum() + log_t**2 / (2 * prior_sigma**2))

    grid = np.linspace(np.log(0.25), np.log(4.0), 81)
    best = float(grid[int(np.argmin([objective(g) for g in grid]))])
    fine = np.linspace(best - 0.04, best + 0.04, 21)
    return float(np.exp(fine[int(np.argmin([objective(g) for g in fine]))]))


def apply_temperature(proba: NDArray[np.float64], temperature: float) -> NDArray[np.float64]:
    if temperature == 1.0:
        return proba
    z = np.log(np.clip(proba, 1e-12, 1.0)) / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float64)
