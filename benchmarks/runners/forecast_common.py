"""What every forecasting runner shares: its arguments and how it reports back.

A runner trains one system on one data set's training part, in its own process (and, for
AutoGluon, its own virtual environment), and writes its forecast of the ``horizon`` steps
after the training data as ``forecasts.parquet`` (``unique_id, ds, mean, q0.1, q0.5,
q0.9``) plus ``info.json`` (timings and what the system chose). The harness, not the
runner, scores every forecast against the held-out actuals, so all systems are scored alike.

The training file is long form: ``unique_id, ds, y`` (one row per series and step).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

QUANTILES = (0.1, 0.5, 0.9)
COLUMNS = ["unique_id", "ds", "mean", *(f"q{q:g}" for q in QUANTILES)]

FitForecast = Callable[[pd.DataFrame, argparse.Namespace], tuple[pd.DataFrame, dict[str, Any]]]


def run(fit_forecast: FitForecast, extra: Callable[[argparse.ArgumentParser], None] | None = None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", required=True)
    parser.add_argument("--horizon", type=int, required=True)
    parser.add_argument("--freq", required=True)
    parser.add_argument("--season", type=int, required=True)
    parser.add_argument("--time-limit", type=float, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True)
    if extra is not None:
        extra(parser)
    args = parser.parse_args()
    train = pd.read_parquet(args.train)
    train["unique_id"] = train["unique_id"].astype(str)
    train["ds"] = pd.to_datetime(train["ds"])
    started = time.perf_counter()
    forecasts, info = fit_forecast(train, args)
    info["total_seconds"] = time.perf_counter() - started
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    forecasts = forecasts[COLUMNS].reset_index(drop=True)
    forecasts["unique_id"] = forecasts["unique_id"].astype(str)
    forecasts.to_parquet(out / "forecasts.parquet")
    (out / "info.json").write_text(json.dumps(info, default=str))


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started
