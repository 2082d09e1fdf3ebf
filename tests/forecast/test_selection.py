"""Ensemble weights from backtests: bagged greedy selection over (window, series) cells."""

from __future__ import annotations

import numpy as np
import pytest

from lepton.learn.forecast.backtest import Backtest, Window
from lepton.learn.forecast.blocks import ForecastBlock
from lepton.learn.forecast.selection import bagged_weights, ensemble_weights

WINDOWS, SERIES, H = 3, 10, 4


def _truth() -> np.ndarray:
    return np.random.default_rng(1).normal(100.0, 5.0, (WINDOWS, SERIES, H))


def _with_errors(truth: np.ndarray, per_series: np.ndarray) -> np.ndarray:
    return truth + per_series[None, :, None]


def test_a_family_that_is_exact_everywhere_takes_all_the_weight() -> None:
    truth = _truth()
    exact = truth.copy()
    off = _with_errors(truth, np.full(SERIES, 2.0))
    weights = bagged_weights(np.stack([off, exact]), truth, np.ones((WINDOWS, SERIES)), "mase")
    assert weights.tolist() == [0.0, 1.0]


@pytest.mark.parametrize("metric", ["mase", "smape", "rmse"])
def test_a_family_best_on_a_share_of_the_series_keeps_a_share_of_the_weight(metric: str) -> None:
    """Plain greedy would keep A alone here (blending A and B is worse than A); bagging keeps
    B too, in proportion to the cells it wins."""
    truth = _truth()
    errors_a = np.where(np.arange(SERIES) < 6, 1.0, 3.0)
    errors_b = np.where(np.arange(SERIES) < 6, 3.0, 1.0)
    a, b = _with_errors(truth, errors_a), _with_errors(truth, errors_b)
    weights = bagged_weights(np.stack([a, b]), truth, np.ones((WINDOWS, SERIES)), metric)
    assert weights.sum() == pytest.approx(1.0)
    assert weights[0] > weights[1] > 0.0


def test_weights_are_the_same_on_every_call() -> None:
    truth = _truth()
    rng = np.random.default_rng(2)
    candidates = np.stack([truth + rng.normal(0, s, truth.shape) for s in (1.0, 1.5, 2.0)])
    scale = np.ones((WINDOWS, SERIES))
    first = bagged_weights(candidates, truth, scale, "mase")
    assert np.array_equal(first, bagged_weights(candidates, truth, scale, "mase"))


def test_ensemble_weights_name_each_family() -> None:
    truth = _truth()
    ids = [f"s{i}" for i in range(SERIES)]

    def backtest(name: str, forecasts: np.ndarray) -> Backtest:
        windows = [
            Window(cut, truth[w], np.ones(SERIES), ForecastBlock(ids, forecasts[w]))
            for w, cut in enumerate((12, 8, 4))
        ]
        return Backtest(name, windows, None, 0.0, fitted=None)  # type: ignore[arg-type]

    weights = ensemble_weights(
        [backtest("off", truth + 2.0), backtest("exact", truth.copy())], "mase"
    )
    assert weights == {"off": 0.0, "exact": 1.0}
