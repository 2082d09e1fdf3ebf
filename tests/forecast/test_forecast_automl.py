"""Forecasting AutoML end to end: backtests, ensemble, intervals, covariates, bad input."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from lepton.errors import DataError, LeptonError, NotFoundError
from lepton.learn.automl import AutoML
from lepton.learn.forecast.evaluation import evaluate_forecast
from lepton.learn.forecast.families import FORECASTERS, forecaster_spec
from lepton.learn.forecast.model import ForecastModel
from tests.forecast.conftest import seasonal_series

OPTIONS = {"time_column": "month", "horizon": 6, "id_column": "store"}
FAST = ["seasonal_naive", "drift", "gbm_global"]


def fit(frame: pd.DataFrame, families: list[str] | None = FAST, **options: object) -> AutoML:
    return AutoML(
        "sales",
        task="forecast",
        # generous: these tests are about what the search finds, so the budget must never
        # bind, not even on a loaded machine compiling statsforecast's numba code first
        time_limit=120,
        families=families,
        n_workers=1,
        options={**OPTIONS, **options},
    ).fit(frame)


def test_backtest_leaderboard_shows_every_family_per_window() -> None:
    automl = fit(seasonal_series(4, 60))
    board = automl.leaderboard()
    assert set(FAST) <= set(board["model"])
    assert {"w1", "w2", "w3"} <= set(board.columns)
    assert board[["w1", "w2", "w3"]].notna().all().all()
    assert automl.task_ == "forecast" and automl.metric_ == "mase" and automl.n_folds_ == 3
    # every family's score is the mean of its windows
    row = board[board["model"] == "drift"].iloc[0]
    assert row["score"] == pytest.approx(np.mean([row["w1"], row["w2"], row["w3"]]))


def test_the_global_model_beats_the_naive_baselines_on_trend_and_season() -> None:
    automl = fit(seasonal_series(6, 72, noise=0.3))
    scores = dict(zip(automl.leaderboard()["model"], automl.leaderboard()["score"], strict=True))
    assert scores["gbm_global"] < scores["seasonal_naive"]
    assert scores["gbm_global"] < scores["drift"]


def test_forecasts_have_one_row_per_series_and_step_with_ordered_quantiles() -> None:
    automl = fit(seasonal_series(3, 48))
    model = automl.model_
    assert isinstance(model, ForecastModel)
    out = model.forecast()
    assert len(out) == 3 * 6
    assert list(out.columns) == ["store", "month", "step", "mean", "q0.1", "q0.5", "q0.9"]
    assert (out["q0.1"] <= out["q0.5"]).all() and (out["q0.5"] <= out["q0.9"]).all()
    assert out.groupby("store")["month"].min().eq(pd.Timestamp("2019-01-01")).all()
    short = model.forecast(horizon=2, series=["s1"])
    assert len(short) == 2 and set(short["store"]) == {"s1"}
    np.testing.assert_allclose(short["mean"], out[out["store"] == "s1"]["mean"][:2])


def test_new_history_is_forecast_from_its_own_end() -> None:
    model = fit(seasonal_series(3, 48)).model_
    fresh = seasonal_series(1, 30, seed=9).assign(store="new")
    out = model.forecast(fresh, horizon=3)
    assert list(out["store"]) == ["new"] * 3
    assert out["month"].iloc[0] == pd.Timestamp("2017-07-01")
    assert np.isfinite(out["mean"]).all()


def test_horizon_beyond_training_and_unknown_series_are_refused() -> None:
    model = fit(seasonal_series(2, 48)).model_
    with pytest.raises(DataError, match=r"outside 1\.\.6") as err:
        model.forecast(horizon=7)
    assert err.value.field == "horizon"
    with pytest.raises(NotFoundError, match="not in the training data"):
        model.forecast(series=["nope"])


def test_known_covariates_are_used_and_required_in_the_future() -> None:
    frame = seasonal_series(4, 60, with_price=True, noise=0.2)
    noted = fit(frame, families=["seasonal_naive", "drift"], known_covariates="price")
    assert any("ignored by seasonal_naive, drift" in n for n in noted.notes_)
    automl = fit(frame, families=["gbm_global"], known_covariates="price")
    model = automl.model_
    history = frame[frame["store"] == "s0"]
    with pytest.raises(DataError, match="known covariates"):
        model.forecast(history)
    future_index = pd.date_range("2020-01-01", periods=6, freq="MS")
    cheap = pd.DataFrame({"store": "s0", "month": future_index, "price": 0.0})
    dear = cheap.assign(price=1.0)
    low = model.forecast(history, future=cheap)["mean"].to_numpy()
    high = model.forecast(history, future=dear)["mean"].to_numpy()
    assert (low - high).mean() > 2.0, "a higher price must lower the forecast"
    with pytest.raises(DataError, match="future covariates missing"):
        model.forecast(history, future=cheap.iloc[:3])


def test_a_horizon_longer_than_the_history_allows_is_a_clear_error() -> None:
    with pytest.raises(DataError, match="too few for a 40-step horizon"):
        fit(seasonal_series(2, 30), horizon=40)


def test_few_points_mean_fewer_windows_with_a_note() -> None:
    automl = fit(seasonal_series(2, 30), families=["seasonal_naive", "drift"])
    assert automl.n_folds_ < 3
    assert any("backtest window(s) instead of 3" in n for n in automl.notes_)


def test_constant_series_are_noted_and_forecast_flat() -> None:
    frame = seasonal_series(2, 40)
    frame.loc[frame["store"] == "s1", "sales"] = 7.0
    automl = fit(frame, families=["seasonal_naive", "drift"])
    assert any("constant series" in n for n in automl.notes_)
    out = automl.model_.forecast(series=["s1"])
    np.testing.assert_allclose(out["mean"], 7.0)


def _planned(automl: AutoML) -> list[str]:
    """Every family the search took up: backtested, or skipped with a note (a slow machine)."""
    return [trial.family for trial in automl.search_.trials]


def test_log_variants_are_searched_only_for_positive_series() -> None:
    positive = fit(seasonal_series(2, 48), families=None)
    assert any(m.endswith("+log") for m in _planned(positive)), positive.notes_
    negative = seasonal_series(2, 48).assign(sales=lambda f: f["sales"] - 60)
    mixed = fit(negative, families=None)
    assert not any(m.endswith("+log") for m in _planned(mixed))


def test_unknown_family_and_metric_are_refused() -> None:
    with pytest.raises(LeptonError, match="unknown forecasting family"):
        fit(seasonal_series(2, 40), families=["prophet"])
    with pytest.raises(LeptonError, match="forecast metric"):
        AutoML("sales", task="forecast", metric="roc_auc", options=OPTIONS).fit(
            seasonal_series(2, 40)
        )


def test_held_out_actuals_are_scored_and_the_model_pickles() -> None:
    full = seasonal_series(3, 54)
    train = full.groupby("store").head(48)
    test = full.groupby("store").tail(6)
    model = fit(train).model_
    report = evaluate_forecast(model, test)
    assert report["n_series"] == 3 and report["horizon"] == 6
    assert report["metrics"]["mase"] < 3.0
    clone = pickle.loads(pickle.dumps(model))
    pd.testing.assert_frame_equal(clone.forecast(), model.forecast())


@pytest.mark.parametrize("name", [s.name for s in FORECASTERS])
def test_every_family_forecasts_every_series_with_its_intervals(name: str) -> None:
    """The forecaster contract, for every registered family (and its log variant)."""
    from lepton.learn.forecast.series import prepare
    from lepton.learn.forecast.settings import ForecastSettings

    settings = ForecastSettings("month", 4, "store")
    series = prepare(seasonal_series(3, 40), "sales", settings)
    for family in (name, f"{name}+log"):
        spec = forecaster_spec(family)
        levels = (80,) if spec.model_intervals else ()
        block = spec.build().fit(series, 4).predict(series, 4, None, levels)
        assert block.ids == series.ids and block.mean.shape == (3, 4)
        assert np.isfinite(block.mean).all()
        for low, high in block.intervals.values():
            assert (low <= block.mean + 1e-9).all() and (block.mean <= high + 1e-9).all()
