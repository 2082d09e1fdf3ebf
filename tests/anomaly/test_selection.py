"""The no-label choice: the ensemble unless a single detector is clearly more stable."""

from __future__ import annotations

from lepton.learn.anomaly.selection import one_standard_error_choice

ENSEMBLE = ("isolation_forest", "ecod", "mahalanobis")


def test_the_ensemble_wins_a_near_tie() -> None:
    scored = [(("mahalanobis",), [0.84, 0.85, 0.86, 0.83]), (ENSEMBLE, [0.83, 0.84, 0.85, 0.84])]
    assert one_standard_error_choice(scored, ENSEMBLE) == ENSEMBLE


def test_a_detector_clearly_more_stable_replaces_the_ensemble() -> None:
    scored = [(("ecod",), [0.95, 0.96, 0.94, 0.95]), (ENSEMBLE, [0.80, 0.82, 0.81, 0.80])]
    assert one_standard_error_choice(scored, ENSEMBLE) == ("ecod",)


def test_without_an_ensemble_the_best_mean_wins() -> None:
    scored = [(("lof",), [0.7, 0.71]), (("ecod",), [0.72, 0.73])]
    assert one_standard_error_choice(scored, ENSEMBLE) == ("ecod",)
