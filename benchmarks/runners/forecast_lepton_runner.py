"""Lepton: ``lepton.fit(frame, task="forecast", time_limit=…)`` then ``model.forecast()``.

The fit runs in a fresh ``LEPTON_HOME`` (a temporary project), so cataloguing the frame,
training and packaging are all inside the timed call, as a user would run it. With
``--test`` the runner also scores the model with Lepton's own ``evaluate_forecast`` (a
cross-check of the harness's scoring) and records the backtest's interval coverage.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from forecast_common import QUANTILES, run, timed


def fit_forecast(
    train: pd.DataFrame, args: argparse.Namespace
) -> tuple[pd.DataFrame, dict[str, Any]]:
    home = tempfile.mkdtemp(prefix="lepton-forecast-home-")
    os.environ["LEPTON_HOME"] = home
    os.chdir(home)
    import lepton
    from lepton.learn.forecast.evaluation import evaluate_forecast

    single = train["unique_id"].nunique() == 1
    frame = train.rename(columns={"ds": args.time_column, "y": args.target})
    if single:
        frame = frame.drop(columns=["unique_id"])
    id_column = None if single else "unique_id"
    options: dict[str, Any] = {"time_column": args.time_column, "horizon": args.horizon}
    if id_column:
        options["id_column"] = id_column
    model, fit_s = timed(
        lambda: lepton.fit(
            frame,
            target=args.target,
            task="forecast",
            time_limit=args.time_limit,
            quantiles=list(QUANTILES),
            name=args.name,
            seed=args.seed,
            **options,
        )
    )
    raw, forecast_s = timed(lambda: model.forecast())
    out = raw.rename(columns={args.time_column: "ds"})
    out["unique_id"] = out[id_column] if id_column else "series"
    automl = model.automl
    board = automl.leaderboard()
    keep = [
        c for c in ("model", "score", "score_std", "fit_seconds", "weight", "params") if c in board
    ]
    info: dict[str, Any] = {
        "framework": "lepton",
        "version": getattr(lepton, "__version__", "dev"),
        "fit_seconds": fit_s,
        "automl_fit_seconds": float(automl.fit_seconds_),
        "forecast_seconds": forecast_s,
        "best_model": str(board.iloc[0]["model"]),
        "leaderboard": board[keep].to_dict(orient="records"),
        "backtest_coverage": automl.backtest_["coverage"],
        "backtest_windows": automl.backtest_["n_windows"],
        "interval_source": automl.backtest_["interval_source"],
        "trials": [vars(t) for t in automl.search_.trials],
        "notes": list(automl.notes_),
    }
    if args.test:
        test = pd.read_parquet(args.test).rename(columns={"ds": args.time_column, "y": args.target})
        test["unique_id"] = test["unique_id"].astype(str)
        if single:
            test = test.drop(columns=["unique_id"])
        info["self_evaluation"] = evaluate_forecast(automl.model_, test)["metrics"]
    return out, info


def _extra(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--time-column", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--name", default="forecast-bench")
    parser.add_argument("--test", default=None)


if __name__ == "__main__":
    run(fit_forecast, _extra)
