"""Conformal prediction intervals from backtest residuals, and their honest coverage.

Residuals are scaled by each series' naive error, so one calibration serves series of
any size: the q-quantile forecast is ``mean + scale · offset_q[step]``, each offset the
split-conformal rank of the residuals, not their plain empirical quantile. With many
series each step gets its own offsets; with few, residuals are pooled across steps with a
√step widening. Coverage is measured leave-one-window-out: each window is scored with
offsets calibrated on the other windows only, so the reported coverage is out of sample.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from lepton.learn.forecast.blocks import Array
from lepton.learn.forecast.metrics import interval_pairs

PER_STEP_MIN = 40  # residuals per step needed before each step is calibrated on its own


@dataclass(frozen=True)
class Conformal:
    """Scaled-residual quantiles per forecast step, for each requested quantile."""

    offsets: dict[float, list[float]]  # q → one offset per step (1..horizon)

    def quantiles(self, mean: Array, scale: Array) -> dict[float, Array]:
        """q → ``(n_series, h)`` forecasts, monotone in q."""
        h = mean.shape[1]
        levels = sorted(self.offsets)
        stacked = np.stack(
            [mean + scale[:, None] * np.asarray(self.offsets[q][:h])[None, :] for q in levels]
        )
        stacked.sort(axis=0)  # no crossing quantiles
        return {q: stacked[i] for i, q in enumerate(levels)}


def calibrate(residuals: list[Array], quantiles: tuple[float, ...]) -> Conformal:
    """Offsets from scaled residuals (one ``(n_series, h)`` array per window)."""
    stacked = np.concatenate(residuals, axis=0)  # (n_rows, h)
    h = stacked.shape[1]
    steps = np.arange(1, h + 1, dtype=float)
    offsets: dict[float, list[float]] = {}
    for q in quantiles:
        if stacked.shape[0] >= PER_STEP_MIN:
            per_step = conformal_quantile(stacked, q)
        else:
            pooled = (stacked / np.sqrt(steps)[None, :]).reshape(-1, 1)
            per_step = conformal_quantile(pooled, q)[0] * np.sqrt(steps)
        offsets[float(q)] = [float(v) for v in per_step]
    return Conformal(offsets)


def conformal_quantile(values: Array, q: float) -> Array:
    """Per column, the split-conformal bound for quantile ``q`` of ``n`` residuals.

    Why not ``np.quantile``: the empirical q-quantile of n calibration residuals covers a
    new one with probability below q when n is small. The split-conformal bound takes the
    ⌈(n+1)q⌉-th smallest residual for an upper quantile and the ⌊(n+1)q⌋-th for a lower
    one (Lei et al. 2018), which covers at least q, whatever n. The median is left plain.
    """
    if q == 0.5:
        return np.asarray(np.quantile(values, 0.5, axis=0, method="lower"))
    ordered = np.sort(values, axis=0)
    n = ordered.shape[0]
    rank = math.ceil((n + 1) * q) if q > 0.5 else math.floor((n + 1) * q)
    return np.asarray(ordered[min(max(rank, 1), n) - 1])


def scaled_residuals(truth: Array, mean: Array, scale: Array) -> Array:
    return (truth - mean) / scale[:, None]


def out_of_window_coverage(
    truths: list[Array], means: list[Array], scales: list[Array], quantiles: tuple[float, ...]
) -> dict[str, float]:
    """Each central interval's coverage, each window scored by the others' calibration."""
    pairs = interval_pairs(quantiles)
    if not pairs or len(truths) < 2:
        return {}
    residuals = [scaled_residuals(t, m, s) for t, m, s in zip(truths, means, scales, strict=True)]
    hits: dict[str, list[float]] = {f"coverage_{round((hi - lo) * 100)}": [] for lo, hi in pairs}
    for w in range(len(truths)):
        others = [r for i, r in enumerate(residuals) if i != w]
        conformal = calibrate(others, quantiles)
        q = conformal.quantiles(means[w], scales[w])
        for lo, hi in pairs:
            inside = (truths[w] >= q[lo]) & (truths[w] <= q[hi])
            hits[f"coverage_{round((hi - lo) * 100)}"].append(float(inside.mean()))
    return {k: float(np.mean(v)) for k, v in hits.items()}


def model_coverage(
    truths: list[Array], bounds: Sequence[Mapping[float, Array]], quantiles: tuple[float, ...]
) -> dict[str, float]:
    """Coverage of a family's own intervals over the backtest windows."""
    out: dict[str, list[float]] = {}
    for truth, q in zip(truths, bounds, strict=True):
        for lo, hi in interval_pairs(quantiles):
            key = f"coverage_{round((hi - lo) * 100)}"
            out.setdefault(key, []).append(float(((truth >= q[lo]) & (truth <= q[hi])).mean()))
    return {k: float(np.mean(v)) for k, v in out.items()}


def coverage_error(coverage: Mapping[str, float]) -> float:
    """Mean distance of measured from nominal coverage (0 is perfectly calibrated)."""
    if not coverage:
        return float("inf")
    return float(np.mean([abs(v - int(k.split("_")[1]) / 100) for k, v in coverage.items()]))
