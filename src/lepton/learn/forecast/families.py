"""Forecaster families and their registry: baselines, statsforecast's models, a global GBM.

Why a registry of its own: a forecaster is not a row model (it reads whole series and
answers with steps), so it cannot take the table families' ``Encoded`` contract. Each
family still declares itself once, in ``FORECASTERS``: its name, its place in the
default order, what it can use (known / static covariates), whether it has model-based
intervals and whether it exports to ONNX. Adding a family is one class plus one spec.

Local families (one model per series) run per chunk of series, so the backtest can
spread chunks over ``lepton.compute`` workers; global families fit once on all series.
"""

from __future__ import annotations

import warnings
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from lepton.errors import LeptonError
from lepton.learn.forecast.base import Forecaster
from lepton.learn.forecast.blocks import Array, ForecastBlock
from lepton.learn.forecast.series import ID, TARGET, SeriesSet


class LocalForecaster(Forecaster):
    """One statistical model per series, fitted on that series' history at each call."""

    uses_known: ClassVar[bool] = False

    @abstractmethod
    def model(self, season: int, length: int) -> Any:
        """A fresh statsforecast model for one series of ``length`` points."""

    def predict(
        self,
        history: SeriesSet,
        horizon: int,
        future: pd.DataFrame | None,
        levels: tuple[int, ...],
    ) -> ForecastBlock:
        ids, means = [], []
        lows: dict[int, list[Array]] = {lvl: [] for lvl in levels}
        highs: dict[int, list[Array]] = {lvl: [] for lvl in levels}
        known = list(history.known) if self.uses_known else []
        futures = (
            dict(tuple(future.groupby(ID, sort=False))) if future is not None and known else {}
        )
        for uid, group in history.frame.groupby(ID, sort=False):
            y = group[TARGET].to_numpy(dtype=float)
            x = x_future = None
            if known and uid in futures:
                x = group[known].to_numpy(dtype=float)
                x_future = futures[uid][known].to_numpy(dtype=float)[:horizon]
            out = _forecast_one(self, y, horizon, x, x_future, levels, history.season)
            ids.append(str(uid))
            means.append(out["mean"])
            for lvl in levels:
                lows[lvl].append(out[f"lo-{lvl}"])
                highs[lvl].append(out[f"hi-{lvl}"])
        intervals = {lvl: (np.vstack(lows[lvl]), np.vstack(highs[lvl])) for lvl in levels}
        return ForecastBlock(ids, np.vstack(means), intervals)


def _forecast_one(
    family: LocalForecaster,
    y: Array,
    horizon: int,
    x: Array | None,
    x_future: Array | None,
    levels: tuple[int, ...],
    season: int,
) -> dict[str, Array]:
    """One series' forecast; a series the model cannot fit falls back to seasonal naive."""
    level_list = list(levels) or None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = family.model(season, len(y))
            out = model.forecast(y=y, h=horizon, X=x, X_future=x_future, level=level_list)
            result = {k: np.asarray(v, dtype=float) for k, v in out.items()}
            if np.isfinite(result["mean"]).all():
                return result
        except Exception:
            pass
        from statsforecast.models import SeasonalNaive

        fallback = SeasonalNaive(season_length=season if len(y) > season else 1)
        out = fallback.forecast(y=y, h=horizon, level=level_list)
        return {k: np.asarray(v, dtype=float) for k, v in out.items()}


class SeasonalNaiveForecaster(LocalForecaster):
    """Repeat the last season: the baseline every forecaster must beat (MASE's yardstick)."""

    name = "seasonal_naive"

    def model(self, season: int, length: int) -> Any:
        from statsforecast.models import SeasonalNaive

        return SeasonalNaive(season_length=season if length > season else 1)


class NaiveForecaster(LocalForecaster):
    """The last value, held flat: hard to beat when a level shifts or a trend turns."""

    name = "naive"

    def model(self, season: int, length: int) -> Any:
        from statsforecast.models import Naive

        return Naive()


class DriftForecaster(LocalForecaster):
    """The last value plus the average step so far: the trend baseline."""

    name = "drift"

    def model(self, season: int, length: int) -> Any:
        from statsforecast.models import RandomWalkWithDrift

        return RandomWalkWithDrift()


def _seasonal(season: int, length: int) -> int:
    return season if length >= 2 * season else 1


class SeasonalStatsForecaster(LocalForecaster):
    """A statsforecast ``Auto*`` model, seasonal when the series holds two full seasons."""

    statsforecast_model: ClassVar[str]
    model_options: ClassVar[dict[str, Any]] = {}

    def model(self, season: int, length: int) -> Any:
        import statsforecast.models

        model_class = getattr(statsforecast.models, self.statsforecast_model)
        return model_class(season_length=_seasonal(season, length), **self.model_options)


class AutoETSForecaster(SeasonalStatsForecaster):
    name = "auto_ets"
    statsforecast_model = "AutoETS"


class AutoARIMAForecaster(SeasonalStatsForecaster):
    """Seasonal ARIMA with known covariates as regressors (the one local model that takes them)."""

    name = "auto_arima"
    statsforecast_model = "AutoARIMA"
    uses_known = True


class AutoThetaForecaster(SeasonalStatsForecaster):
    name = "auto_theta"
    statsforecast_model = "AutoTheta"


class DampedETSForecaster(SeasonalStatsForecaster):
    """AutoETS restricted to damped trends: growth that flattens instead of compounding."""

    name = "damped_ets"
    statsforecast_model = "AutoETS"
    model_options: ClassVar[dict[str, Any]] = {"damped": True}


class AutoCESForecaster(SeasonalStatsForecaster):
    """Complex exponential smoothing: level and trend-like drift in one complex state."""

    name = "auto_ces"
    statsforecast_model = "AutoCES"


class DynamicThetaForecaster(SeasonalStatsForecaster):
    """The dynamic optimised Theta model (Fiorucci et al. 2016), strong on the M4 data."""

    name = "dynamic_theta"
    statsforecast_model = "DynamicOptimizedTheta"


class MSTLForecaster(LocalForecaster):
    """Seasonal-trend decomposition by Loess with an ETS trend; needs two full seasons."""

    name = "mstl"

    def model(self, season: int, length: int) -> Any:
        from statsforecast.models import MSTL, AutoETS

        if _seasonal(season, length) == 1:
            return AutoETS(season_length=1)
        return MSTL(season_length=season, trend_forecaster=AutoETS(model="ZZN"))


class LogForecaster(Forecaster):
    """Any family on log(y): multiplicative seasonality and growth become additive.

    Searched beside the plain family whenever every training value is positive; the
    forecast is exp of the log-scale forecast (its median), intervals mapped the same way.
    """

    def __init__(self, inner: Forecaster) -> None:
        self.inner = inner
        self.name = f"{inner.name}{LOG_SUFFIX}"  # type: ignore[misc]
        self.is_global = inner.is_global  # type: ignore[misc]

    def fit(self, series: SeriesSet, horizon: int) -> Forecaster:
        self.season_ = series.season
        self.inner = self.inner.fit(_logged(series), horizon)
        return self

    def predict(
        self,
        history: SeriesSet,
        horizon: int,
        future: pd.DataFrame | None,
        levels: tuple[int, ...],
    ) -> ForecastBlock:
        if (history.frame[TARGET] <= 0).any():
            raise LeptonError(
                f"{self.name} forecasts positive series only; the history has values ≤ 0"
            )
        block = self.inner.predict(_logged(history), horizon, future, levels)
        return ForecastBlock(
            block.ids,
            np.exp(block.mean),
            {lvl: (np.exp(lo), np.exp(hi)) for lvl, (lo, hi) in block.intervals.items()},
        )


LOG_SUFFIX = "+log"


def _logged(series: SeriesSet) -> SeriesSet:
    frame = series.frame.assign(**{TARGET: np.log(series.frame[TARGET].to_numpy(dtype=float))})
    return SeriesSet(frame, series.freq, series.season, series.static, series.known, series.notes)


@dataclass(frozen=True)
class ForecasterSpec:
    """What a forecaster family is and what it can use."""

    name: str
    factory: Callable[[], Forecaster]
    default: int | None  # place in the default order (cheapest first); None: on request
    uses_known: bool = False
    uses_static: bool = False
    model_intervals: bool = True  # statsforecast gives central intervals; else conformal only
    onnx: bool = False  # its fitted part exports to ONNX (lepton optimize)

    def build(self) -> Forecaster:
        return self.factory()


def _gbm() -> Forecaster:
    from lepton.learn.forecast.gbm import GlobalGBMForecaster

    return GlobalGBMForecaster()


FORECASTERS: tuple[ForecasterSpec, ...] = (
    # the baselines' own intervals cost a scipy distribution per series; conformal is as good
    ForecasterSpec("seasonal_naive", SeasonalNaiveForecaster, 0, model_intervals=False),
    ForecasterSpec("naive", NaiveForecaster, 1, model_intervals=False),
    ForecasterSpec("drift", DriftForecaster, 1, model_intervals=False),
    ForecasterSpec(
        "gbm_global", _gbm, 2, uses_known=True, uses_static=True, model_intervals=False, onnx=True
    ),
    ForecasterSpec("auto_theta", AutoThetaForecaster, 3),
    ForecasterSpec("mstl", MSTLForecaster, 4),
    ForecasterSpec("auto_ets", AutoETSForecaster, 5),
    ForecasterSpec("auto_arima", AutoARIMAForecaster, 6, uses_known=True),
    ForecasterSpec("damped_ets", DampedETSForecaster, None),
    ForecasterSpec("auto_ces", AutoCESForecaster, None),
    ForecasterSpec("dynamic_theta", DynamicThetaForecaster, None),
)
_BY_NAME = {spec.name: spec for spec in FORECASTERS}


def warm_up() -> bool:
    """Import statsforecast's models (seconds, once per process) before anything is timed."""
    import statsforecast.models  # noqa: F401

    return True


def _log_of(name: str) -> Forecaster:
    return LogForecaster(_BY_NAME[name].build())


def forecaster_names(*, default: bool | None = None) -> list[str]:
    specs = sorted(FORECASTERS, key=lambda s: (s.default is None, s.default or 0))
    return [s.name for s in specs if default is None or (s.default is not None) == default]


def forecaster_spec(name: str) -> ForecasterSpec:
    """The spec of ``name``; ``family+log`` is that family on log(y) (see ``LogForecaster``)."""
    if name.endswith(LOG_SUFFIX) and name[: -len(LOG_SUFFIX)] in _BY_NAME:
        base = _BY_NAME[name[: -len(LOG_SUFFIX)]]
        return replace(base, name=name, factory=partial(_log_of, base.name), default=None)
    spec = _BY_NAME.get(name)
    if spec is None:
        raise LeptonError(
            f"unknown forecasting family {name!r}; choose from {', '.join(forecaster_names())}"
        )
    return spec
