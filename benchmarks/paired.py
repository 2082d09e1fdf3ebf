"""Paired per-round ratios of ABBA benchmark rounds (shared by the serving benchmarks)."""

from __future__ import annotations

from typing import Any


def paired_ratios(base: list[float], new: list[float]) -> dict[str, Any]:
    """Per-round new/base ratios, their geometric mean and a 95 % bootstrap interval.

    Why paired: a round's two servers run back to back, so the neighbours' load, which
    swings req/s by tens of percent between minutes, mostly cancels in their ratio; the
    ratio of the two medians throws that pairing away. "Within noise" means the interval
    holds 1.0.
    """
    import numpy as np

    logs = np.log(np.asarray(new) / np.asarray(base))
    rng = np.random.default_rng(0)
    boots = rng.choice(logs, size=(10_000, len(logs)), replace=True).mean(axis=1)
    low, high = np.exp(np.percentile(boots, [2.5, 97.5]))
    return {
        "per_round": [round(float(r), 4) for r in np.exp(logs)],
        "geomean": float(np.exp(logs.mean())),
        "ci95": [float(low), float(high)],
        "within_noise": bool(low <= 1.0 <= high),
    }
