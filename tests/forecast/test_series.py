"""Series preparation: frequency, season, gaps, duplicates and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lepton.errors import DataError
from lepton.learn.forecast.series import ID, TARGET, prepare, season_for
from lepton.learn.forecast.settings import ForecastSettings
from tests.forecast.conftest import seasonal_series

SETTINGS = ForecastSettings(time_column="month", horizon=6, id_column="store")


@pytest.mark.parametrize(
    ("freq", "season"),
    [("MS", 12), ("ME", 12), ("QS-OCT", 4), ("D", 7), ("h", 24), ("W-SUN", 52), ("YS", 1)],
)
def test_season_follows_the_frequency(freq: str, season: int) -> None:
    assert season_for(freq) == season


def test_monthly_series_are_recognised_and_sorted() -> None:
    frame = seasonal_series(3, 30).sample(frac=1.0, random_state=1)
    series = prepare(frame, "sales", SETTINGS)
    assert series.freq == "MS" and series.season == 12
    assert series.lengths().tolist() == [30, 30, 30]
    first = series.frame[series.frame[ID] == "s0"]
    assert first["ds"].is_monotonic_increasing
    assert not series.notes


def test_gaps_are_filled_and_recorded() -> None:
    frame = seasonal_series(1, 40)
    holed = frame.drop(index=[10, 11]).reset_index(drop=True)
    holed.loc[20, "sales"] = np.nan
    series = prepare(holed, "sales", SETTINGS)
    assert len(series.frame) == 40
    assert series.frame[TARGET].notna().all()
    assert any("filled 2 missing time step" in n for n in series.notes)
    assert any("interpolated 1 missing target" in n for n in series.notes)


def test_mostly_missing_series_are_refused() -> None:
    frame = seasonal_series(1, 40)
    dropped = [3, 5, 8, 12, 15, 17, 22, 25, 29, 33]  # 10 of 40 months: more than 20% invented
    frame = frame.drop(index=dropped)
    with pytest.raises(DataError, match="would be invented"):
        prepare(frame, "sales", SETTINGS)


def test_duplicated_timestamps_are_an_error_naming_the_series() -> None:
    frame = seasonal_series(2, 24)
    frame = pd.concat([frame, frame.iloc[[30]]])
    with pytest.raises(DataError, match=r"duplicated timestamp.*'s1'") as err:
        prepare(frame, "sales", SETTINGS)
    assert err.value.field == "month"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.assign(month=["not a date", *list(f["month"][1:])]), "unparsable"),
        (lambda f: f.assign(sales=["many", *list(f["sales"][1:])]), "not numbers"),
        (lambda f: f.drop(columns=["month"]), "not found"),
    ],
)
def test_bad_columns_get_a_clear_error(change, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DataError, match=message):
        prepare(change(seasonal_series(1, 24)), "sales", SETTINGS)


def test_static_covariates_must_not_vary_within_a_series() -> None:
    frame = seasonal_series(2, 24).assign(region=lambda f: np.where(f.index % 2, "n", "s"))
    settings = ForecastSettings("month", 6, "store", static_covariates=("region",))
    with pytest.raises(DataError, match="change within a series"):
        prepare(frame, "sales", settings)


def test_settings_refuse_nonsense() -> None:
    with pytest.raises(DataError, match="horizon"):
        ForecastSettings.from_options({"time_column": "t", "horizon": 0})
    with pytest.raises(DataError, match="between 0 and 1"):
        ForecastSettings.from_options({"time_column": "t", "horizon": 3, "quantiles": "0.1,1.5"})
    with pytest.raises(DataError, match="unknown forecasting option"):
        ForecastSettings.from_options({"time_column": "t", "horizon": 3, "horizn": 4})
    parsed = ForecastSettings.from_options(
        {"time_column": "t", "horizon": "3", "quantiles": "0.9,0.1", "known_covariates": "a,b"}
    )
    assert parsed.horizon == 3 and parsed.quantiles == (0.1, 0.9)
    assert parsed.known_covariates == ("a", "b")
