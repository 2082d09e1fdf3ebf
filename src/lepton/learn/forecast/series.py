"""From a user's table to regular series: parse time, infer frequency, fill or refuse gaps.

Every forecaster works on the same ``SeriesSet``: one long frame ``unique_id, ds, y`` plus
the known covariates, sorted, one row per step of a regular grid per series. What was
filled on the user's behalf is recorded as a note; what cannot be repaired (unparsable
times, duplicated timestamps, irregular spacing) is a clear error before anything trains.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.errors import DataError
from lepton.learn.forecast.settings import ForecastSettings

ID = "unique_id"
TIME = "ds"
TARGET = "y"
SINGLE_SERIES = "series"  # the id of the one series when the table has no id column
MAX_FILL_SHARE = 0.2  # above this share of missing steps, refuse rather than invent data

_SEASONS = {  # pandas offset prefix → steps per natural cycle
    "s": 60,
    "min": 60,
    "T": 60,
    "h": 24,
    "H": 24,
    "B": 5,
    "D": 7,
    "W": 52,
    "M": 12,
    "MS": 12,
    "ME": 12,
    "SM": 24,
    "SMS": 24,
    "Q": 4,
    "QS": 4,
    "QE": 4,
    "BQ": 4,
    "BQS": 4,
    "BM": 12,
    "BMS": 12,
    "Y": 1,
    "YS": 1,
    "YE": 1,
    "A": 1,
    "AS": 1,
}


@dataclass
class SeriesSet:
    """Regular series in long form, with what describes them."""

    frame: pd.DataFrame  # unique_id, ds, y, *known covariates; sorted by (unique_id, ds)
    freq: str
    season: int
    static: pd.DataFrame  # one row per unique_id (index), the static covariates
    known: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        return list(pd.unique(self.frame[ID]))

    def lengths(self) -> pd.Series:
        return self.frame.groupby(ID, sort=False).size()

    def values(self) -> dict[str, NDArray[np.float64]]:
        """Each series' target values, oldest first."""
        return {
            str(k): g[TARGET].to_numpy(dtype=float) for k, g in self.frame.groupby(ID, sort=False)
        }

    def truncate(self, cut: int) -> SeriesSet:
        """Each series without its last ``cut`` steps (the backtest's training part)."""
        if cut <= 0:
            return self
        position = self.frame.groupby(ID, sort=False).cumcount(ascending=False)
        kept = self.frame[position >= cut].reset_index(drop=True)
        return SeriesSet(kept, self.freq, self.season, self.static, self.known, self.notes)

    def tail(self, steps: int) -> SeriesSet:
        """Each series' last ``steps`` steps."""
        position = self.frame.groupby(ID, sort=False).cumcount(ascending=False)
        kept = self.frame[position < steps].reset_index(drop=True)
        return SeriesSet(kept, self.freq, self.season, self.static, self.known, self.notes)

    def future_index(self, horizon: int) -> pd.DataFrame:
        """``unique_id, ds`` of the next ``horizon`` steps of every series."""
        last = self.frame.groupby(ID, sort=False)[TIME].max()
        offset = pd.tseries.frequencies.to_offset(self.freq)
        parts = [
            pd.DataFrame(
                {ID: uid, TIME: pd.date_range(end + offset, periods=horizon, freq=self.freq)}
            )
            for uid, end in last.items()
        ]
        return pd.concat(parts, ignore_index=True)


def season_for(freq: str) -> int:
    """Steps per natural cycle of a frequency (12 for monthly, 7 for daily, 24 for hourly)."""
    offset = pd.tseries.frequencies.to_offset(freq)
    name = offset.name.split("-")[0]
    prefix = "".join(ch for ch in name if not ch.isdigit())
    season = _SEASONS.get(prefix, _SEASONS.get(prefix.rstrip("SE"), 1))
    multiple = getattr(offset, "n", 1) or 1
    return max(1, season // multiple) if multiple > 1 and season % multiple == 0 else season


def prepare(
    frame: pd.DataFrame,
    target: str,
    settings: ForecastSettings,
    *,
    freq: str | None = None,
    static: pd.DataFrame | None = None,
) -> SeriesSet:
    """Validate and regularise a user table into a ``SeriesSet`` (or say what is wrong)."""
    notes: list[str] = []
    needed = [target, *settings.columns]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise DataError(
            f"column(s) {', '.join(map(repr, missing))} not found; columns: "
            f"{', '.join(map(str, frame.columns))}",
            field=missing[0],
        )
    ds = _parse_time(frame[settings.time_column], settings.time_column)
    ids = (
        frame[settings.id_column].astype(str)
        if settings.id_column
        else pd.Series(SINGLE_SERIES, index=frame.index)
    )
    y = pd.to_numeric(frame[target], errors="coerce")
    unparsable = int(y.isna().sum() - frame[target].isna().sum())
    if unparsable:
        raise DataError(
            f"target {target!r} has {unparsable} value(s) that are not numbers; "
            "forecasting needs a numeric target",
            field=target,
        )
    long = pd.DataFrame({ID: ids.to_numpy(), TIME: ds.to_numpy(), TARGET: y.to_numpy(float)})
    for column in settings.known_covariates:
        long[column] = _numeric_covariate(frame[column], column)
    duplicated = long.duplicated([ID, TIME])
    if duplicated.any():
        example = long.loc[duplicated, [ID, TIME]].iloc[0]
        where = f" in series {example[ID]!r}" if settings.id_column else ""
        raise DataError(
            f"{int(duplicated.sum())} duplicated timestamp(s){where}, e.g. {example[TIME]}; "
            "aggregate them first (one row per series and time)",
            field=settings.time_column,
        )
    long = long.sort_values([ID, TIME], kind="mergesort").reset_index(drop=True)
    freq = freq or infer_frequency(long, settings.time_column)
    long = _regularise(long, freq, settings, notes)
    statics = static if static is not None else _statics(frame, ids, settings)
    season = settings.season_length or season_for(freq)
    return SeriesSet(long, freq, season, statics, tuple(settings.known_covariates), notes)


def _parse_time(column: pd.Series, name: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(column):
        parsed = column
    else:
        try:
            parsed = pd.to_datetime(column, errors="coerce", format="mixed")
        except (TypeError, ValueError):
            parsed = pd.Series(pd.NaT, index=column.index)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    bad = int(parsed.isna().sum())
    if bad:
        example = column[parsed.isna()].iloc[0]
        raise DataError(
            f"time column {name!r} has {bad} missing or unparsable value(s), e.g. {example!r}",
            field=name,
        )
    return parsed.astype("datetime64[ns]")


def _numeric_covariate(column: pd.Series, name: str) -> pd.Series:
    if column.dtype == bool or pd.api.types.is_bool_dtype(column):
        return column.astype(float)
    values = pd.to_numeric(column, errors="coerce")
    if int(values.isna().sum() - column.isna().sum()):
        raise DataError(f"known covariate {name!r} must be numeric (or a 0/1 flag)", field=name)
    return values.astype(float)


def infer_frequency(long: pd.DataFrame, time_column: str = TIME) -> str:
    """The series' common step, as a pandas frequency string, or a clear error."""
    votes: dict[str, int] = {}
    for _, group in long.groupby(ID, sort=False):
        stamps = pd.DatetimeIndex(group[TIME])
        if len(stamps) < 3:
            continue
        guess = pd.infer_freq(stamps[: min(len(stamps), 200)])
        if guess is None:
            guess = _modal_step(stamps)
        if guess:
            votes[guess] = votes.get(guess, 0) + len(stamps)
    if not votes:
        raise DataError(
            f"cannot infer a frequency from {time_column!r}: each series needs at least 3 "
            "regularly spaced timestamps",
            field=time_column,
        )
    return max(votes, key=lambda k: votes[k])


def _modal_step(stamps: pd.DatetimeIndex) -> str | None:
    """Frequency of the most common step, for series with gaps (infer_freq then says None)."""
    steps = pd.Series(stamps[1:] - stamps[:-1])
    if steps.empty:
        return None
    step = steps.mode().iloc[0]
    probe = pd.DatetimeIndex([stamps[0], stamps[0] + step, stamps[0] + 2 * step])
    calendar = pd.infer_freq(probe)
    if calendar and pd.Timedelta(days=27) <= step <= pd.Timedelta(days=31):
        return "MS" if stamps[0].day == 1 else "ME" if stamps[0].is_month_end else calendar
    return calendar or pd.tseries.frequencies.to_offset(step).freqstr


def _regularise(
    long: pd.DataFrame, freq: str, settings: ForecastSettings, notes: list[str]
) -> pd.DataFrame:
    """One row per step per series; short gaps and NaN targets interpolated, with a note."""
    parts = []
    filled_steps = 0
    missing_targets = 0
    for uid, group in long.groupby(ID, sort=False):
        grid = pd.date_range(group[TIME].iloc[0], group[TIME].iloc[-1], freq=freq)
        if (
            len(grid) == len(group)
            and (grid.to_numpy() == group[TIME].to_numpy()).all()
            and not group[[TARGET, *settings.known_covariates]].isna().any().any()
        ):  # already regular and complete: the common case, kept cheap
            parts.append(group)
            continue
        off_grid = ~group[TIME].isin(grid)
        if off_grid.any():
            raise DataError(
                f"series {uid!r} has timestamps off the {freq!r} grid "
                f"(e.g. {group.loc[off_grid, TIME].iloc[0]}); resample it to one frequency",
                field=settings.time_column,
            )
        series = group.set_index(TIME).reindex(grid)
        gaps = len(grid) - len(group)
        nan_targets = int(series[TARGET].isna().sum()) - gaps
        if (gaps + nan_targets) > MAX_FILL_SHARE * len(grid):
            raise DataError(
                f"series {uid!r} misses {gaps + nan_targets} of {len(grid)} steps; "
                f"more than {MAX_FILL_SHARE:.0%} would be invented by filling",
                field=settings.time_column,
            )
        filled_steps += gaps
        missing_targets += nan_targets
        series[TARGET] = series[TARGET].interpolate(limit_direction="both")
        for column in settings.known_covariates:
            series[column] = series[column].ffill().bfill()
        series[ID] = uid
        parts.append(series.rename_axis(TIME).reset_index())
    if filled_steps:
        notes.append(f"filled {filled_steps} missing time step(s) by linear interpolation")
    if missing_targets:
        notes.append(f"interpolated {missing_targets} missing target value(s)")
    frame = pd.concat(parts, ignore_index=True)
    return frame[[ID, TIME, TARGET, *settings.known_covariates]]


def _statics(frame: pd.DataFrame, ids: pd.Series, settings: ForecastSettings) -> pd.DataFrame:
    """Per-series static covariates (first value per series; must not vary within one)."""
    columns = list(settings.static_covariates)
    if not columns:
        return pd.DataFrame(index=pd.Index(pd.unique(ids), name=ID))
    table = frame[columns].assign(**{ID: ids.to_numpy()})
    varying = [c for c in columns if (table.groupby(ID)[c].nunique(dropna=False) > 1).any()]
    if varying:
        raise DataError(
            f"static covariate(s) {varying} change within a series; pass them as "
            "--known-covariates instead",
            field=varying[0],
        )
    return table.groupby(ID, sort=False).first()


def history_ready(values: NDArray[np.float64]) -> bool:
    """Whether a series has anything a forecaster can learn from."""
    return bool(len(values) >= 2 and np.isfinite(values).all())


def describe(series: SeriesSet) -> dict[str, Any]:
    lengths = series.lengths()
    return {
        "n_series": len(lengths),
        "freq": series.freq,
        "season_length": series.season,
        "min_length": int(lengths.min()),
        "max_length": int(lengths.max()),
    }
