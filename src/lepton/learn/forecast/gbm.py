"""A global gradient-boosted forecaster: one LightGBM over all series, recursive.

Why written here rather than taken from ``mlforecast``: the features must be the same in
training, in the backtest, in the server (from a request's history) and in the ONNX
export, and the target must be normalised per series so one model spans series of any
size. That is ~200 lines we control; mlforecast would add its own frame conventions,
a second feature pipeline and no export path.

Each row predicts ``(y_t - level_t) / scale`` from lags ``(y_{t-k} - level_t) / scale``,
where ``level_t`` is the mean of the last window and ``scale`` the series' naive error:
the model learns shape and local trend, not size, so it extrapolates a trend one step
at a time. Calendar fields, known covariates at ``t`` and static covariates ride along.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from lepton.learn.forecast.blocks import Array, ForecastBlock
from lepton.learn.forecast.forecaster import Forecaster
from lepton.learn.forecast.metrics import naive_scale
from lepton.learn.forecast.series import ID, TARGET, TIME, SeriesSet

CALENDAR = ("month", "quarter", "dayofweek", "hour", "dayofmonth", "weekofyear")
MAX_TRAIN_ROWS = 400_000
MAX_LAGS = 24


def calendar_fields(stamps: pd.DatetimeIndex) -> dict[str, Array]:
    return {
        "month": stamps.month.to_numpy(float),
        "quarter": stamps.quarter.to_numpy(float),
        "dayofweek": stamps.dayofweek.to_numpy(float),
        "hour": stamps.hour.to_numpy(float),
        "dayofmonth": stamps.day.to_numpy(float),
        "weekofyear": stamps.isocalendar().week.to_numpy(float),
    }


class GlobalGBMForecaster(Forecaster):
    name = "gbm_global"
    is_global: ClassVar[bool] = True

    def __init__(self, *, n_estimators: int = 300, learning_rate: float = 0.05, threads: int = 1):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.threads = threads

    # -- features --------------------------------------------------------------------------
    def _plan(self, series: SeriesSet, horizon: int) -> None:
        """Lags and window from the season and the shortest series (so every series trains)."""
        shortest = int(series.lengths().min())
        season = series.season
        self.window_ = max(2, min(season if season > 1 else 4, 52, shortest // 3))
        lags = set(range(1, min(max(season, 4), MAX_LAGS) + 1))
        lags |= {k for k in (season, 2 * season) if 1 < k <= shortest // 2}
        self.lags_ = sorted(k for k in lags if k <= max(1, shortest // 2))
        self.reach_ = max(max(self.lags_), self.window_)
        self.known_ = list(series.known)
        self.static_columns_ = list(series.static.columns)
        self.static_codes_: dict[str, dict[str, int]] = {}
        for column in self.static_columns_:
            values = series.static[column]
            if not pd.api.types.is_numeric_dtype(values):
                levels = sorted(values.astype(str).unique())
                self.static_codes_[column] = {v: i for i, v in enumerate(levels)}

    def _static_row(self, static: pd.DataFrame, uid: str) -> list[float]:
        row = []
        for column in self.static_columns_:
            value = static[column].get(uid, np.nan) if column in static else np.nan
            codes = self.static_codes_.get(column)
            if codes is not None:
                row.append(float(codes.get(str(value), -1)))
            else:
                row.append(float(value) if value is not None else np.nan)
        return row

    def feature_names(self) -> list[str]:
        return [
            *(f"lag_{k}" for k in self.lags_),
            "window_std",
            *self.calendar_,
            *self.known_,
            *self.static_columns_,
        ]

    def _rows(
        self,
        values: Array,
        scale: float,
        stamps: pd.DatetimeIndex,
        known: Array,
        static: list[float],
    ) -> tuple[Array, Array]:
        """Every trainable position of one series: features and normalised targets."""
        positions = np.arange(self.reach_, len(values))
        if len(positions) == 0:
            return np.empty((0, len(self.feature_names()))), np.empty(0)
        windows = np.lib.stride_tricks.sliding_window_view(values, self.window_)
        level = windows[positions - self.window_].mean(axis=1)
        spread = windows[positions - self.window_].std(axis=1) / scale
        lags = np.column_stack([values[positions - k] for k in self.lags_])
        cal = calendar_fields(stamps[positions])
        columns = [
            (lags - level[:, None]) / scale,
            spread[:, None],
            *(cal[c][:, None] for c in self.calendar_),
        ]
        if self.known_:
            columns.append(known[positions])
        if static:
            columns.append(np.tile(static, (len(positions), 1)))
        target = (values[positions] - level) / scale
        return np.hstack(columns), target

    # -- fit / predict ---------------------------------------------------------------------
    def fit(self, series: SeriesSet, horizon: int) -> GlobalGBMForecaster:
        import lightgbm as lgb

        self.season_ = series.season
        self._plan(series, horizon)
        stamps_all = pd.DatetimeIndex(series.frame[TIME])
        fields = calendar_fields(stamps_all)
        self.calendar_ = [c for c in CALENDAR if np.unique(fields[c]).size > 1]
        xs, ys = [], []
        for uid, group in series.frame.groupby(ID, sort=False):
            values = group[TARGET].to_numpy(dtype=float)
            scale = naive_scale(values, series.season)
            known = group[self.known_].to_numpy(dtype=float) if self.known_ else np.empty((0, 0))
            x, y = self._rows(
                values,
                scale,
                pd.DatetimeIndex(group[TIME]),
                known,
                self._static_row(series.static, str(uid)),
            )
            xs.append(x)
            ys.append(y)
        x_all, y_all = np.vstack(xs), np.concatenate(ys)
        if len(y_all) > MAX_TRAIN_ROWS:  # keep the most recent rows of every series evenly
            keep = np.random.default_rng(0).choice(len(y_all), MAX_TRAIN_ROWS, replace=False)
            x_all, y_all = x_all[np.sort(keep)], y_all[np.sort(keep)]
        self.model_ = lgb.LGBMRegressor(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=31,
            min_child_samples=max(3, min(20, len(y_all) // 50)),
            subsample=0.8,
            subsample_freq=1,
            colsample_bytree=0.9,
            n_jobs=self.threads,
            random_state=0,
            verbose=-1,
        )
        self.model_.fit(x_all, y_all)
        self.n_train_rows_ = len(y_all)
        return self

    def predict_rows(self, features: Array) -> Array:
        """The booster on feature rows (the part ``lepton optimize`` can swap for ONNX)."""
        return np.asarray(self.model_.predict(features), dtype=float)

    def predict(
        self,
        history: SeriesSet,
        horizon: int,
        future: pd.DataFrame | None,
        levels: tuple[int, ...],
        *,
        runner: Any = None,
    ) -> ForecastBlock:
        """Recursive: each step's forecast becomes the next step's lag 1, for all series at once."""
        run = runner or self.predict_rows
        groups = list(history.frame.groupby(ID, sort=False))
        ids = [str(uid) for uid, _ in groups]
        values = [g[TARGET].to_numpy(dtype=float).copy() for _, g in groups]
        scales = np.array([naive_scale(v, history.season) for v in values])
        statics = [self._static_row(history.static, uid) for uid in ids]
        futures = history.future_index(horizon)
        future_known = _future_known(futures, future, self.known_)
        out = np.empty((len(ids), horizon))
        for step in range(horizon):
            rows = []
            for i, v in enumerate(values):
                window = v[-self.window_ :]
                level = window.mean()
                lags = (v[-np.asarray(self.lags_)] - level) / scales[i]
                stamp = pd.DatetimeIndex([futures[TIME].iloc[i * horizon + step]])
                cal = calendar_fields(stamp)
                row = [*lags, window.std() / scales[i], *(cal[c][0] for c in self.calendar_)]
                if self.known_:
                    row.extend(future_known[i * horizon + step])
                row.extend(statics[i])
                rows.append(row)
            features = np.asarray(rows, dtype=float)
            levels_now = np.array([v[-self.window_ :].mean() for v in values])
            step_values = levels_now + run(features) * scales
            out[:, step] = step_values
            values = [np.append(v, step_values[i]) for i, v in enumerate(values)]
        return ForecastBlock(ids, out)


def _future_known(index: pd.DataFrame, future: pd.DataFrame | None, known: list[str]) -> Array:
    """Known covariates for each future step, aligned with ``index`` (a clear error if absent)."""
    if not known:
        return np.empty((len(index), 0))
    from lepton.errors import DataError

    if future is None:
        raise DataError(
            f"known covariates {known} are needed for the forecast horizon: pass their future values"
        )
    merged = index.merge(future[[ID, TIME, *known]], on=[ID, TIME], how="left")
    missing = merged[known].isna().any(axis=1)
    if missing.any():
        example = merged.loc[missing].iloc[0]
        raise DataError(
            f"future values of known covariates are missing for series {example[ID]!r} at "
            f"{example[TIME]}; every forecast step needs {', '.join(known)}",
            field=known[0],
        )
    return merged[known].to_numpy(dtype=float)
