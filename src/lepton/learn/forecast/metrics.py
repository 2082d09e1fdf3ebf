"""Forecast accuracy: MASE, sMAPE, RMSE, weighted quantile loss and interval coverage.

Arrays are ``(n_series, horizon)``. MASE divides each series' error by its in-sample
seasonal-naive error (``scale``), so series of different sizes weigh the same and 1.0
means "as good as repeating last season".
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
EPSILON = 1e-8


def naive_scale(values: Array, season: int) -> float:
    """Mean absolute seasonal difference of a training series (MASE's denominator)."""
    lag = season if len(values) > season else 1
    if len(values) <= lag:
        return 1.0
    diffs = np.abs(values[lag:] - values[:-lag])
    scale = float(np.mean(diffs))
    if scale > EPSILON:
        return scale
    level = float(np.mean(np.abs(values)))
    return max(level * 1e-3, 1e-3)  # a constant series: any error is large against it


def mase(truth: Array, pred: Array, scale: Array) -> float:
    per_series = np.mean(np.abs(truth - pred), axis=1) / scale
    return float(np.mean(per_series))


def smape(truth: Array, pred: Array) -> float:
    return float(np.mean(smape_terms(truth, pred)) * 100.0)


def smape_terms(truth: Array, pred: Array) -> Array:
    """Each point's 2·|y - ŷ| / (|y| + |ŷ|), 0 where both are 0 (sMAPE before its mean)."""
    denominator = np.abs(truth) + np.abs(pred)
    return np.asarray(
        np.where(
            denominator > EPSILON,
            2.0 * np.abs(truth - pred) / np.maximum(denominator, EPSILON),
            0.0,
        )
    )


def rmse(truth: Array, pred: Array) -> float:
    return float(np.sqrt(np.mean((truth - pred) ** 2)))


def weighted_quantile_loss(truth: Array, quantiles: Mapping[float, Array]) -> float:
    """Mean over levels of 2·Σ pinball loss / Σ|y| (GluonTS's and AutoGluon's wQL)."""
    total = float(np.sum(np.abs(truth)))
    losses = []
    for q, pred in quantiles.items():
        diff = truth - pred
        losses.append(2.0 * float(np.sum(np.maximum(q * diff, (q - 1.0) * diff))))
    return float(np.mean(losses) / max(total, EPSILON)) if losses else float("nan")


def coverage(truth: Array, lower: Array, upper: Array) -> float:
    return float(np.mean((truth >= lower) & (truth <= upper)))


def interval_pairs(quantiles: tuple[float, ...]) -> list[tuple[float, float]]:
    """Symmetric (lower, upper) quantile pairs among the requested ones, e.g. (0.1, 0.9)."""
    levels = sorted(quantiles)
    pairs = []
    for q in levels:
        partner = round(1.0 - q, 10)
        if q < 0.5 and any(abs(p - partner) < 1e-9 for p in levels):
            pairs.append((q, partner))
    return pairs


def report(
    truth: Array,
    pred: Array,
    scale: Array,
    quantiles: Mapping[float, Array] | None = None,
) -> dict[str, float]:
    """Every metric for one backtest window (or for live actuals)."""
    out = {"mase": mase(truth, pred, scale), "smape": smape(truth, pred), "rmse": rmse(truth, pred)}
    if quantiles:
        out["wql"] = weighted_quantile_loss(truth, quantiles)
        for low, high in interval_pairs(tuple(quantiles)):
            level = round((high - low) * 100)
            out[f"coverage_{level}"] = coverage(truth, quantiles[low], quantiles[high])
    return out
