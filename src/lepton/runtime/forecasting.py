"""What serving, the CLI and the monitor ask of a forecasting model, without importing it.

Why a Protocol here: the server may import only the runtime and the store, never
``lepton.learn`` where ``ForecastModel`` lives, so it talks to a loaded forecast package
through these public methods (duck typing, checked by mypy where it is used).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import pandas as pd


@runtime_checkable
class Forecasting(Protocol):
    """A model that forecasts series: ``lepton.learn.forecast.model.ForecastModel``."""

    @property
    def quantiles(self) -> tuple[float, ...]: ...

    @property
    def output_columns(self) -> list[str]: ...

    @property
    def series_ids(self) -> list[str]: ...

    def forecast(
        self,
        history: pd.DataFrame | None = None,
        *,
        horizon: int | None = None,
        series: list[str] | None = None,
        future: pd.DataFrame | None = None,
    ) -> pd.DataFrame: ...


def forecaster_of(predictor: Any) -> Forecasting | None:
    """The forecasting model behind a loaded predictor (native or not), or None."""
    for candidate in (predictor, getattr(predictor, "model", None)):
        if candidate is not None and isinstance(candidate, Forecasting):
            return candidate
    return None
