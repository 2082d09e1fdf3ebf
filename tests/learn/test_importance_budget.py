"""Permutation importance fits in what is left of the user's budget (issue 18)."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
from tests.learn.test_automl import quick

from lepton.learn.evaluation import MIN_IMPORTANCE_ROWS, permutation_importance

SECONDS_PER_ROW = 0.002


class SlowModel:
    """The fitted model, made slower per row so the budget arithmetic shows (a big
    ensemble on a wide table costs this much per row)."""

    def __init__(self, model: Any) -> None:
        self._model = model

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def predict_raw(self, frame: pd.DataFrame) -> Any:
        time.sleep(SECONDS_PER_ROW * len(frame))
        return self._model.predict_raw(frame)


def test_importance_shrinks_its_rows_and_repeats_to_the_time_left(
    binary_frame: pd.DataFrame,
) -> None:
    model = SlowModel(quick("y", max_trials=2).fit(binary_frame).model_)
    columns = len(model.input_columns)
    # the base predict, then time for 1.5 shuffled passes over every column
    budget_s = SECONDS_PER_ROW * len(binary_frame) * (1 + 1.5 * columns)
    measured = permutation_importance(
        model,
        binary_frame,
        repeats=3,
        deadline=time.time() + budget_s,  # type: ignore[arg-type]
    )
    assert measured.skipped is None
    assert measured.repeats == 1  # not the 3 asked for: they would not fit
    assert MIN_IMPORTANCE_ROWS <= measured.n_rows <= len(binary_frame)
    assert {r["feature"] for r in measured.rows} == set(model.input_columns)


def test_importance_is_skipped_with_the_reason_when_no_time_is_left(
    binary_frame: pd.DataFrame,
) -> None:
    model = quick("y", max_trials=2).fit(binary_frame).model_
    spent = permutation_importance(model, binary_frame, deadline=time.time() - 1.0)
    assert spent.rows == [] and spent.skipped is not None
    assert "found the budget spent" in spent.skipped  # not even the first predict is run
    # a deadline a few milliseconds away: the first (timed) predict uses them up
    measured = permutation_importance(model, binary_frame, deadline=time.time() + 0.002)
    assert measured.rows == [] and measured.skipped is not None
    assert "needs" in measured.skipped


def test_without_a_deadline_every_row_and_repeat_is_used(binary_frame: pd.DataFrame) -> None:
    model = quick("y", max_trials=2).fit(binary_frame).model_
    measured = permutation_importance(model, binary_frame, repeats=2)
    assert (measured.n_rows, measured.repeats, measured.skipped) == (len(binary_frame), 2, None)
