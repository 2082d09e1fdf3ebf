"""The trained forecaster a forecast package holds, and what serving asks of it.

A ``ForecastModel`` is a weighted ensemble of fitted forecaster families, the intervals'
calibration, and each training series' recent history. Asked for a known series with no
new data, it answers from the forecast it made past the end of training (no refit);
given recent history (or future covariates) it forecasts from that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.errors import DataError, LeptonError, NotFoundError
from lepton.learn.forecast.base import Forecaster
from lepton.learn.forecast.blocks import Array, ForecastBlock, levels_for, quantile_from_interval
from lepton.learn.forecast.intervals import Conformal
from lepton.learn.forecast.metrics import naive_scale
from lepton.learn.forecast.series import ID, SINGLE_SERIES, TIME, SeriesSet, prepare
from lepton.learn.forecast.settings import ForecastSettings
from lepton.runtime.manifest import ColumnSpec, MemberSpec

REQUEST_FIELDS = {"series", "history", "future", "horizon"}  # a validated /forecast body
KEEP_HISTORY = 1024  # steps of each series kept in the package (enough for every family)


@dataclass
class FittedMember:
    name: str
    family: str
    weight: float
    forecaster: Forecaster


class _NumericTarget:
    """The identity ``LabelCodec``: a forecast target is a number, not a class."""

    def encode(self, y: pd.Series) -> NDArray[Any]:
        return np.asarray(pd.to_numeric(y, errors="coerce"), dtype=float)

    def decode(self, codes: NDArray[np.int64]) -> NDArray[Any]:
        return np.asarray(codes, dtype=float)


def quantile_name(q: float) -> str:
    return f"q{q:g}"


class ForecastModel:
    """Forecast any trained series, or new history, up to ``settings.horizon`` steps ahead."""

    kind = "forecast"
    task = "forecast"
    temperature = 1.0

    @property
    def dropped_columns(self) -> dict[str, str]:
        return {}

    def __init__(
        self,
        settings: ForecastSettings,
        target_name: str,
        members: list[FittedMember],
        history: SeriesSet,
        final: ForecastBlock,
        *,
        conformal: Conformal,
        interval_source: str,
        details: dict[str, Any],
    ) -> None:
        self.settings = settings
        self.target_name = target_name
        self.members = members
        self.history = history.tail(KEEP_HISTORY)
        self.final = final
        self.conformal = conformal
        self.interval_source = interval_source  # "conformal" or "model"
        self.details = details
        self.target = _NumericTarget()

    # -- the forecasting API ---------------------------------------------------------------
    @property
    def quantiles(self) -> tuple[float, ...]:
        return self.settings.quantiles

    @property
    def output_columns(self) -> list[str]:
        return ["mean", *(quantile_name(q) for q in self.quantiles)]

    @property
    def series_ids(self) -> list[str]:
        return self.history.ids

    def forecast(
        self,
        history: pd.DataFrame | None = None,
        *,
        horizon: int | None = None,
        series: list[str] | None = None,
        future: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Quantile forecasts, one row per series and step (the user's column names)."""
        steps = self._horizon(horizon)
        if history is not None and len(history):
            known = self._prepare_history(history)
        else:
            known = self._stored(series)
        needs_future = bool(self.settings.known_covariates)
        if history is None and not needs_future:
            block, quantiles = self._from_final(known.ids, steps)
        else:
            aligned = self._align_future(known, steps, future) if needs_future else None
            block, quantiles = self._run(known, steps, aligned)
        return self._frame(known, block, quantiles, steps)

    def _horizon(self, horizon: int | None) -> int:
        trained = self.settings.horizon
        steps = trained if horizon is None else int(horizon)
        if not 1 <= steps <= trained:
            raise DataError(
                f"horizon {steps} is outside 1..{trained}: this model was trained and "
                f"backtested for at most {trained} steps",
                field="horizon",
            )
        return steps

    def _stored(self, series: list[str] | None) -> SeriesSet:
        ids = self.series_ids
        if series is None:
            wanted = ids
        else:
            unknown = [s for s in series if s not in set(ids)]
            if unknown:
                raise NotFoundError(
                    f"series {unknown[:3]} not in the training data; send its recent history",
                    field="series",
                )
            wanted = list(series)
        frame = self.history.frame
        chosen = frame[frame[ID].isin(set(wanted))]
        order = {uid: i for i, uid in enumerate(wanted)}
        chosen = chosen.sort_values(ID, key=lambda s: s.map(order), kind="mergesort")
        return SeriesSet(
            chosen.reset_index(drop=True),
            self.history.freq,
            self.history.season,
            self.history.static,
            self.history.known,
        )

    def _prepare_history(self, history: pd.DataFrame) -> SeriesSet:
        settings = self.settings
        frame = history.copy()
        if settings.id_column is None:
            frame = frame.assign(**{"__series": SINGLE_SERIES})
            settings = _with_id(settings, "__series")
        if self.target_name not in frame.columns:
            raise DataError(
                f"history needs the target column {self.target_name!r}", field=self.target_name
            )
        static = self.history.static
        new_ids = set(frame[settings.id_column].astype(str)) - set(static.index)
        if settings.static_covariates and new_ids:
            missing = [c for c in settings.static_covariates if c not in frame.columns]
            if missing:
                raise DataError(
                    f"new series {sorted(new_ids)[:3]} need their static covariates {missing}",
                    field=missing[0],
                )
            extra = frame.assign(**{ID: frame[settings.id_column].astype(str)})
            extra = extra.groupby(ID)[list(settings.static_covariates)].first()
            static = pd.concat([static, extra.loc[sorted(new_ids)]])
        prepared = prepare(
            frame,
            self.target_name,
            _without_statics(settings),
            freq=self.history.freq,
            static=static,
        )
        short = prepared.lengths()
        too_short = short[short < 3]
        if len(too_short):
            raise DataError(
                f"series {list(too_short.index)[:3]} have fewer than 3 points of history",
                field="history",
            )
        prepared.season = self.history.season
        return prepared

    def _align_future(
        self, history: SeriesSet, steps: int, future: pd.DataFrame | None
    ) -> pd.DataFrame:
        known = list(self.settings.known_covariates)
        if future is None or future.empty:
            raise DataError(
                f"this model uses known covariates {known}: pass their values for the "
                f"{steps} forecast step(s)",
                field="future",
            )
        time_column = self.settings.time_column
        missing = [c for c in (time_column, *known) if c not in future.columns]
        if missing:
            raise DataError(f"future rows lack column(s) {missing}", field=missing[0])
        ids = (
            future[self.settings.id_column].astype(str)
            if self.settings.id_column and self.settings.id_column in future.columns
            else pd.Series(
                history.ids[0] if len(history.ids) == 1 else SINGLE_SERIES, index=future.index
            )
        )
        given = pd.DataFrame(
            {ID: ids.to_numpy(), TIME: pd.to_datetime(future[time_column]).to_numpy()}
        )
        for column in known:
            given[column] = pd.to_numeric(future[column], errors="coerce").to_numpy(float)
        index = history.future_index(steps)
        merged = index.merge(given.drop_duplicates([ID, TIME]), on=[ID, TIME], how="left")
        gaps = merged[known].isna().any(axis=1)
        if gaps.any():
            example = merged.loc[gaps].iloc[0]
            raise DataError(
                f"future covariates missing for series {example[ID]!r} at {example[TIME]}: "
                f"each of the {steps} steps needs {', '.join(known)}",
                field="future",
            )
        return merged

    def _run(
        self, history: SeriesSet, steps: int, future: pd.DataFrame | None
    ) -> tuple[ForecastBlock, dict[float, Array]]:
        levels = levels_for(self.quantiles) if self.interval_source == "model" else ()
        total = np.zeros((len(history.ids), steps))
        blocks = []
        for member in self.members:
            block = member.forecaster.predict(history, steps, future, levels).take(history.ids)
            total += member.weight * block.mean
            blocks.append(block)
        combined = ForecastBlock(
            history.ids, total, blocks[0].intervals if len(blocks) == 1 else {}
        )
        scale = np.array([naive_scale(v, history.season) for v in history.values().values()])
        return combined, self._quantiles(combined, scale)

    def _from_final(self, ids: list[str], steps: int) -> tuple[ForecastBlock, dict[float, Array]]:
        block = self.final.take(ids)
        block = ForecastBlock(
            ids,
            block.mean[:, :steps],
            {lvl: (lo[:, :steps], hi[:, :steps]) for lvl, (lo, hi) in block.intervals.items()},
        )
        scale = np.asarray(self.details["scales"], dtype=float)
        where = {uid: i for i, uid in enumerate(self.details["scale_ids"])}
        return block, self._quantiles(block, scale[[where[u] for u in ids]])

    def _quantiles(self, block: ForecastBlock, scale: Array) -> dict[float, Array]:
        if self.interval_source == "model" and block.intervals:
            values = np.stack([quantile_from_interval(block, q) for q in self.quantiles])
            values.sort(axis=0)
            return {q: values[i] for i, q in enumerate(self.quantiles)}
        return self.conformal.quantiles(block.mean, scale)

    def _frame(
        self, history: SeriesSet, block: ForecastBlock, quantiles: dict[float, Array], steps: int
    ) -> pd.DataFrame:
        index = history.future_index(steps)
        out = pd.DataFrame(
            {
                self.settings.id_column or "series": index[ID].to_numpy(),
                self.settings.time_column: index[TIME].to_numpy(),
                "step": np.tile(np.arange(1, steps + 1), len(block.ids)),
                "mean": block.mean.ravel(),
            }
        )
        for q in self.quantiles:
            out[quantile_name(q)] = quantiles[q].ravel()
        return out

    # -- the package contract (lepton.runtime.package.NativeModel) ---------------------------
    @property
    def input_columns(self) -> list[str]:
        return [*self.settings.columns, self.target_name]

    @property
    def labels(self) -> list[Any]:
        return self.output_columns

    def predict_raw(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        """Forecast values ``(rows, 1 + quantiles)`` for the history in ``frame``."""
        return self.forecast(frame)[self.output_columns].to_numpy(dtype=float)

    def predict_records(self, records: list[dict[str, Any]]) -> NDArray[np.float64]:
        """Forecast values for a request the forecast codec validated, or for history rows."""
        if len(records) == 1 and set(records[0]) == REQUEST_FIELDS:
            request = records[0]
            history = pd.DataFrame.from_records(request["history"]) if request["history"] else None
            future = pd.DataFrame.from_records(request["future"]) if request["future"] else None
            frame = self.forecast(
                history, horizon=request["horizon"], series=request["series"], future=future
            )
            return frame[self.output_columns].to_numpy(dtype=float)
        return self.predict_raw(pd.DataFrame.from_records(records))

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        return self.forecast(frame)["mean"].rename(self.target_name)

    def predict_proba(self, frame: pd.DataFrame) -> pd.DataFrame:
        raise LeptonError("predict_proba is for classifiers; this model forecasts values")

    def input_schema(self, frame: pd.DataFrame | None = None) -> tuple[ColumnSpec, ...]:
        settings = self.settings
        columns = [ColumnSpec(settings.time_column, "datetime", nullable=False)]
        if settings.id_column:
            columns.append(ColumnSpec(settings.id_column, "categorical", nullable=False))
        columns.append(ColumnSpec(self.target_name, "numeric", nullable=False))
        columns += [ColumnSpec(c, "numeric", nullable=False) for c in settings.known_covariates]
        for column in settings.static_covariates:
            values = self.history.static[column]
            kind = "numeric" if pd.api.types.is_numeric_dtype(values) else "categorical"
            columns.append(ColumnSpec(column, kind))
        return tuple(columns)

    def ensemble_specs(self) -> tuple[MemberSpec, ...]:
        return tuple(MemberSpec(m.name, m.family, m.weight, {}, 1) for m in self.members)

    def manifest_extra(self) -> dict[str, Any]:
        return {
            "forecast": {
                **self.settings.to_dict(),
                "freq": self.history.freq,
                "season_length": self.history.season,
                "n_series": len(self.series_ids),
                "interval_source": self.interval_source,
                "outputs": self.output_columns,
                "backtest": self.details.get("backtest", {}),
            }
        }


def _with_id(settings: ForecastSettings, column: str) -> ForecastSettings:
    values = settings.to_dict()
    values["id_column"] = column
    return ForecastSettings.from_options({k: v for k, v in values.items() if v is not None})


def _without_statics(settings: ForecastSettings) -> ForecastSettings:
    values = settings.to_dict()
    values["static_covariates"] = []
    return ForecastSettings.from_options({k: v for k, v in values.items() if v is not None})
