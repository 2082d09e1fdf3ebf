"""Forecast metrics and conformal intervals on cases whose answer is known."""

from __future__ import annotations

import numpy as np

from lepton.learn.forecast.intervals import calibrate, conformal_quantile, out_of_window_coverage
from lepton.learn.forecast.metrics import coverage, mase, naive_scale, report, smape


def test_mase_is_one_for_the_seasonal_naive_of_a_repeating_ramp() -> None:
    history = np.concatenate([np.arange(12.0), np.arange(12.0) + 12.0])  # +12 each season
    scale = naive_scale(history, 12)
    assert scale == 12.0
    truth = (np.arange(12.0) + 24.0)[None, :]
    naive = history[-12:][None, :]  # repeats last season: off by 12 everywhere
    assert mase(truth, naive, np.array([scale])) == 1.0
    assert mase(truth, truth, np.array([scale])) == 0.0


def test_constant_history_still_has_a_positive_scale() -> None:
    assert naive_scale(np.full(30, 5.0), 12) > 0


def test_smape_and_coverage_bounds() -> None:
    truth = np.array([[1.0, 2.0, 3.0, 4.0]])
    assert smape(truth, truth) == 0.0
    assert smape(truth, -truth) == 200.0
    assert coverage(truth, truth - 1, truth + 1) == 1.0
    assert coverage(truth, truth + 1, truth + 2) == 0.0
    out = report(truth, truth, np.ones(1), {0.1: truth - 1, 0.9: truth + 1})
    assert out["coverage_80"] == 1.0 and out["wql"] > 0


def test_conformal_intervals_reach_their_nominal_coverage_out_of_window() -> None:
    rng = np.random.default_rng(0)
    n_series, horizon, n_windows = 60, 6, 4
    scale = rng.uniform(1, 10, size=n_series)
    means, truths, scales = [], [], []
    for _ in range(n_windows):
        mean = rng.normal(100, 5, size=(n_series, horizon))
        noise = rng.normal(0, 1, size=(n_series, horizon)) * np.sqrt(np.arange(1, horizon + 1))
        means.append(mean)
        truths.append(mean + scale[:, None] * noise)
        scales.append(scale)
    measured = out_of_window_coverage(truths, means, scales, (0.1, 0.5, 0.9))
    assert 0.75 <= measured["coverage_80"] <= 0.85
    # the offsets widen with the step, as the noise does
    offsets = calibrate(
        [(t - m) / s[:, None] for t, m, s in zip(truths, means, scales, strict=False)], (0.9,)
    )
    assert offsets.offsets[0.9][-1] > offsets.offsets[0.9][0]


def test_quantiles_never_cross() -> None:
    rng = np.random.default_rng(1)
    residuals = [rng.normal(size=(3, 4)) for _ in range(2)]
    conformal = calibrate(residuals, (0.1, 0.5, 0.9))
    q = conformal.quantiles(np.zeros((2, 4)), np.ones(2))
    assert (q[0.1] <= q[0.5]).all() and (q[0.5] <= q[0.9]).all()


def test_conformal_bounds_cover_their_level_even_from_few_residuals() -> None:
    """From 48 residuals even the rounded-up empirical 0.9-quantile covers a new one only
    44/49 = 89.8% of the time; the split-conformal rank covers 45/49 = 91.8%."""
    rng = np.random.default_rng(0)
    calibration = rng.normal(size=(48, 20_000))  # 20,000 independent trials of 48 residuals
    new = rng.normal(size=20_000)
    upper = conformal_quantile(calibration, 0.9)
    lower = conformal_quantile(calibration, 0.1)
    assert np.mean(new <= upper) >= 0.905
    assert np.mean(new >= lower) >= 0.905
    assert np.all(lower <= conformal_quantile(calibration, 0.5)) and np.all(
        conformal_quantile(calibration, 0.5) <= upper
    )
