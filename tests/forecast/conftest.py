"""Generated series for the forecasting tests: seasonal, trending, noisy, reproducible."""

from __future__ import annotations

import numpy as np
import pandas as pd


def seasonal_series(
    n_series: int = 4,
    length: int = 72,
    *,
    season: int = 12,
    freq: str = "MS",
    seed: int = 0,
    noise: float = 0.5,
    with_price: bool = False,
) -> pd.DataFrame:
    """Monthly series ``store, month, sales`` (+ ``price`` whose effect is known)."""
    rng = np.random.default_rng(seed)
    rows = []
    stamps = pd.date_range("2015-01-01", periods=length, freq=freq)
    for s in range(n_series):
        level = 20.0 + 10.0 * s
        t = np.arange(length)
        price = rng.uniform(0.0, 1.0, size=length)
        y = (
            level
            + 0.2 * t
            + 4.0 * np.sin(2 * np.pi * t / season + s)
            + rng.normal(0, noise, size=length)
        )
        if with_price:
            y = y - 8.0 * price
        for i in range(length):
            row = {"store": f"s{s}", "month": stamps[i], "sales": float(y[i])}
            if with_price:
                row["price"] = float(price[i])
            rows.append(row)
    return pd.DataFrame(rows)
