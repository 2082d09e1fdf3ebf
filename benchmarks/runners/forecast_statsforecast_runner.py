"""statsforecast alone: ``SeasonalNaive`` or ``AutoETS`` per series, 80% model intervals.

Neither takes a time limit: each fits once on the whole training part (all cores) and the
harness reports its wall time. The 80% interval gives q0.1/q0.9; q0.5 is the mean.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from forecast_common import run, timed

MODELS = ("seasonal_naive", "auto_ets")


def fit_forecast(
    train: pd.DataFrame, args: argparse.Namespace
) -> tuple[pd.DataFrame, dict[str, Any]]:
    import statsforecast
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, SeasonalNaive

    model = (
        SeasonalNaive(season_length=args.season, alias="model")
        if args.model == "seasonal_naive"
        else AutoETS(season_length=args.season, alias="model")
    )
    engine = StatsForecast(models=[model], freq=args.freq, n_jobs=-1)
    out, fit_s = timed(lambda: engine.forecast(df=train, h=args.horizon, level=[80]))
    out = out.reset_index() if "unique_id" not in out.columns else out
    frame = pd.DataFrame(
        {
            "unique_id": out["unique_id"].astype(str),
            "ds": pd.to_datetime(out["ds"]),
            "mean": out["model"].to_numpy(float),
            "q0.1": out["model-lo-80"].to_numpy(float),
            "q0.5": out["model"].to_numpy(float),
            "q0.9": out["model-hi-80"].to_numpy(float),
        }
    )
    return frame, {
        "framework": args.model,
        "version": f"statsforecast {statsforecast.__version__}",
        "fit_seconds": fit_s,
        "best_model": type(model).__name__,
    }


def _extra(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", choices=MODELS, required=True)


if __name__ == "__main__":
    run(fit_forecast, _extra)
