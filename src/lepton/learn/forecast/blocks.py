"""What every forecaster returns: point forecasts and optional intervals, one row per series."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


@dataclass
class ForecastBlock:
    """``mean`` is ``(n_series, horizon)`` in ``ids`` order; ``intervals[level] = (lo, hi)``."""

    ids: list[str]
    mean: Array
    intervals: dict[int, tuple[Array, Array]] = field(default_factory=dict)

    def take(self, ids: list[str]) -> ForecastBlock:
        """The rows of ``ids``, in that order."""
        where = {uid: i for i, uid in enumerate(self.ids)}
        rows = [where[uid] for uid in ids]
        return ForecastBlock(
            list(ids),
            self.mean[rows],
            {lvl: (lo[rows], hi[rows]) for lvl, (lo, hi) in self.intervals.items()},
        )

    @staticmethod
    def concat(blocks: list[ForecastBlock]) -> ForecastBlock:
        ids = [uid for b in blocks for uid in b.ids]
        mean = np.concatenate([b.mean for b in blocks], axis=0)
        levels = set.intersection(*(set(b.intervals) for b in blocks)) if blocks else set()
        intervals = {
            lvl: (
                np.concatenate([b.intervals[lvl][0] for b in blocks]),
                np.concatenate([b.intervals[lvl][1] for b in blocks]),
            )
            for lvl in levels
        }
        return ForecastBlock(ids, mean, intervals)


def levels_for(quantiles: tuple[float, ...]) -> tuple[int, ...]:
    """The central-interval levels (in %) that give these quantiles (0.1 and 0.9 → 80)."""
    out = {round(abs(1.0 - 2.0 * q) * 100) for q in quantiles if abs(q - 0.5) > 1e-9}
    return tuple(sorted(lvl for lvl in out if 0 < lvl < 100))


def quantile_from_interval(block: ForecastBlock, q: float) -> Array:
    """The q-quantile read off a model's central intervals (q = 0.5 is the point forecast)."""
    if abs(q - 0.5) < 1e-9:
        return block.mean
    level = round(abs(1.0 - 2.0 * q) * 100)
    low, high = block.intervals[level]
    return low if q < 0.5 else high
