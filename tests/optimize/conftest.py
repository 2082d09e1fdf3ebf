"""Small generated tables and models trained on them once per session (few folds, short budgets)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lepton.learn.automl import AutoML
from lepton.learn.model import TrainedModel


def make_frame(task: str, n: int = 360, seed: int = 0) -> pd.DataFrame:
    """Numbers with missing values, a categorical with signal, a rare category in later rows."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    color = rng.choice(["red", "green", "blue", "grey"], size=n)
    size = rng.choice(["s", "m", "l"], size=n)
    signal = 1.5 * x1 - x2 + np.where(color == "red", 1.0, -0.5) + np.where(size == "l", 0.7, 0)
    frame = pd.DataFrame({"x1": x1, "x2": x2, "color": color, "size": size})
    if task == "binary":
        frame["y"] = np.where(rng.random(n) < 1 / (1 + np.exp(-signal)), "yes", "no")
    elif task == "multiclass":
        frame["y"] = np.digitize(signal + rng.normal(scale=0.5, size=n), [-1.0, 1.0]).astype(str)
        frame["y"] = frame["y"].map({"0": "low", "1": "mid", "2": "high"})
    else:
        frame["y"] = signal + rng.normal(scale=0.3, size=n)
    frame.loc[rng.choice(n, 30, replace=False), "x2"] = np.nan
    frame.loc[rng.choice(n, 20, replace=False), "color"] = None
    return frame


def heldout(task: str) -> pd.DataFrame:
    """Fresh rows, including an unseen category and rows missing most inputs (the hedge)."""
    frame = make_frame(task, n=200, seed=7)
    frame.loc[:4, "color"] = "purple"
    frame.loc[5:9, ["x1", "x2", "color"]] = None
    return frame


_CACHE: dict[tuple[str, str], TrainedModel] = {}


def trained(task: str, family: str) -> TrainedModel:
    key = (task, family)
    if key not in _CACHE:
        budget = 20.0 if family == "mlp" else 10.0  # an upper bound: max_trials ends it sooner
        automl = AutoML(
            "y",
            task=task,
            time_limit=budget,
            n_folds=2,
            families=[family],
            seed=0,
            max_trials=3,
        )
        _CACHE[key] = automl.fit(make_frame(task)).model_
    return _CACHE[key]


@pytest.fixture()
def binary_train() -> pd.DataFrame:
    return make_frame("binary")
