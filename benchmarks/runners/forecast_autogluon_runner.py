"""AutoGluon-TimeSeries, local statistical models only (runs in benchmarks/.venv-agts).

``TimeSeriesPredictor(prediction_length=H, eval_metric="MASE", quantile_levels=…)
.fit(train, presets=None, hyperparameters=LOCAL_MODELS, time_limit=T)``: its usual
validation on the last window plus a weighted ensemble. The hub-based models (Chronos and
friends) are left out: their weights cannot be downloaded on this machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from forecast_common import QUANTILES, run, timed

LOCAL_MODELS: dict[str, dict[str, Any]] = {
    "Naive": {},
    "SeasonalNaive": {},
    "ETS": {},
    "Theta": {},
    "AutoARIMA": {},
}


def fit_forecast(
    train: pd.DataFrame, args: argparse.Namespace
) -> tuple[pd.DataFrame, dict[str, Any]]:
    import autogluon.timeseries
    from autogluon.timeseries import TimeSeriesDataFrame, TimeSeriesPredictor

    data = TimeSeriesDataFrame.from_data_frame(
        train.rename(columns={"unique_id": "item_id", "ds": "timestamp", "y": "target"}),
        id_column="item_id",
        timestamp_column="timestamp",
    )
    with tempfile.TemporaryDirectory() as tmp:
        predictor = TimeSeriesPredictor(
            prediction_length=args.horizon,
            freq=args.freq,
            eval_metric="MASE",
            eval_metric_seasonal_period=args.season,
            quantile_levels=list(QUANTILES),
            path=tmp,
            verbosity=0,
        )
        _, fit_s = timed(
            lambda: predictor.fit(
                data,
                presets=None,
                hyperparameters=LOCAL_MODELS,
                time_limit=args.time_limit,
                random_seed=args.seed,
            )
        )
        predictions, predict_s = timed(lambda: predictor.predict(data))
        board = predictor.leaderboard(silent=True)
        best = predictor.model_best
    frame = predictions.reset_index()
    out = pd.DataFrame(
        {
            "unique_id": frame["item_id"].astype(str),
            "ds": pd.to_datetime(frame["timestamp"]),
            "mean": frame["mean"].to_numpy(float),
            **{f"q{q:g}": frame[str(q)].to_numpy(float) for q in QUANTILES},
        }
    )
    keep = [c for c in ("model", "score_val", "fit_time_marginal", "pred_time_val") if c in board]
    return out, {
        "framework": "autogluon",
        "version": autogluon.timeseries.__version__,
        "fit_seconds": fit_s,
        "predict_seconds": predict_s,
        "best_model": best,
        "leaderboard": board[keep].to_dict(orient="records"),
        "models": list(LOCAL_MODELS),
    }


if __name__ == "__main__":
    run(fit_forecast)
