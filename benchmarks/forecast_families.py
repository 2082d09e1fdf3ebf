"""Held-out MASE of each Lepton forecasting family alone, per series (a diagnosis aid).

``benchmarks/forecast.py`` scores Lepton's ensemble; this fits every family once on the
same training part of a real set and scores its forecast of the same held-out horizon,
so a loss to a peer can be traced to the families the ensemble weighted. No time limit,
no backtest: a few seconds per set.

    .venv/bin/python benchmarks/forecast_families.py --datasets macrodata
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from forecast import DATASETS

FAMILIES = (
    "seasonal_naive",
    "drift",
    "gbm_global",
    "gbm_global+log",
    "auto_theta",
    "auto_theta+log",
    "mstl",
    "mstl+log",
    "auto_ets",
    "auto_ets+log",
    "auto_arima",
    "auto_arima+log",
)


def main() -> int:
    from lepton.learn.forecast.families import forecaster_spec
    from lepton.learn.forecast.metrics import naive_scale
    from lepton.learn.forecast.series import prepare
    from lepton.learn.forecast.settings import ForecastSettings

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--datasets", nargs="*", default=["air_passengers", "macrodata"], choices=list(DATASETS)
    )
    args = parser.parse_args()
    console = Console(width=160)
    for name in args.datasets:
        data = DATASETS[name]()
        settings = ForecastSettings(time_column="ds", horizon=data.horizon, id_column="unique_id")
        series = prepare(data.train.rename(columns={"y": "value"}), "value", settings)
        ids = series.ids
        test = data.test.sort_values(["unique_id", "ds"])
        truth = np.vstack([test[test["unique_id"] == i]["y"].to_numpy(float) for i in ids])
        values = series.values()
        scale = np.array([naive_scale(values[i], series.season) for i in ids])
        table = Table(
            title=f"{name}: held-out MASE of each family fitted once on the training part"
        )
        table.add_column("family")
        table.add_column("MASE", justify="right")
        table.add_column("s", justify="right")
        shown = ids if len(ids) <= 10 else []
        for uid in shown:
            table.add_column(uid, justify="right")
        for family in FAMILIES:
            started = time.perf_counter()
            forecaster = forecaster_spec(family).build().fit(series, data.horizon)
            mean = forecaster.predict(series, data.horizon, None, ()).take(ids).mean
            per = np.mean(np.abs(truth - mean), axis=1) / scale
            cells = [f"{p:.2f}" for p, uid in zip(per, ids, strict=True) if uid in shown]
            seconds = time.perf_counter() - started
            table.add_row(family, f"{per.mean():.3f}", f"{seconds:.1f}", *cells)
        console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
