"""Score a forecaster on actuals that came after its training data (``--test``).

The held-out frame holds the next steps of the training series (same columns). The
model forecasts from the end of its training data, exactly as it would serve, and each
actual is matched to the forecast for its series and timestamp.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lepton.errors import DataError
from lepton.learn.forecast.metrics import report
from lepton.learn.forecast.model import ForecastModel, quantile_name
from lepton.learn.forecast.series import SINGLE_SERIES


def evaluate_forecast(model: ForecastModel, frame: pd.DataFrame) -> dict[str, Any]:
    """MASE, sMAPE, RMSE, wQL and coverage of the forecasts for the actuals in ``frame``."""
    settings = model.settings
    id_column = settings.id_column or "series"
    actual = frame.copy()
    if settings.id_column is None:
        actual[id_column] = SINGLE_SERIES
    for column in (settings.time_column, model.target_name):
        if column not in actual.columns:
            raise DataError(f"test data has no column {column!r}", field=column)
    actual[id_column] = actual[id_column].astype(str)
    actual[settings.time_column] = pd.to_datetime(actual[settings.time_column])
    wanted = sorted(set(actual[id_column]) & set(model.series_ids))
    if not wanted:
        raise DataError("test data holds none of the series the model was trained on")
    future = actual if settings.known_covariates else None
    forecast = model.forecast(series=wanted, future=future)
    merged = forecast.merge(
        actual[[id_column, settings.time_column, model.target_name]],
        on=[id_column, settings.time_column],
        how="inner",
    )
    if merged.empty:
        raise DataError(
            "no test row falls within the forecast horizon after the training data "
            f"({settings.horizon} steps)"
        )
    horizon = int(merged["step"].max())
    complete = merged.groupby(id_column)["step"].transform("count") == horizon
    merged = merged[complete].sort_values([id_column, "step"])
    shape = (-1, horizon)
    truth = merged[model.target_name].to_numpy(float).reshape(shape)
    mean = merged["mean"].to_numpy(float).reshape(shape)
    ids = list(pd.unique(merged[id_column]))
    scales = dict(zip(model.details["scale_ids"], model.details["scales"], strict=True))
    scale = np.asarray([scales[i] for i in ids], dtype=float)
    quantiles = {
        q: merged[quantile_name(q)].to_numpy(float).reshape(shape) for q in settings.quantiles
    }
    return {
        "n_rows": int(truth.size),
        "n_series": len(ids),
        "horizon": horizon,
        "metrics": report(truth, mean, scale, quantiles),
    }
