"""Default LightGBM: ``LGBMClassifier()`` / ``LGBMRegressor()``, no tuning (runs in Lepton's venv).

The floor an AutoML run should clear: string columns become pandas ``category`` (the
test's categories are the training ones, unseen values missing), timestamps their
integer nanoseconds, and the default model is fitted once. It has no time limit:
``fit_seconds`` is what that preparation and the fit took.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from common import run, timed


def fit_predict(
    train: pd.DataFrame, test: pd.DataFrame, target: str, task: str, time_limit: float, seed: int
) -> tuple[pd.DataFrame, dict[str, Any], Callable[[pd.DataFrame], Any]]:
    import lightgbm

    X, y = train.drop(columns=[target]), train[target]
    categories: dict[str, pd.Index] = {}

    def prepare(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        for column in frame.columns:
            values = frame[column]
            if pd.api.types.is_datetime64_any_dtype(values):
                frame[column] = values.astype("int64").where(values.notna())
            elif not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
                if column not in categories:  # the training frame fixes the categories
                    categories[column] = pd.Index(
                        values.dropna().astype(str).unique()
                    ).sort_values()
                frame[column] = pd.Categorical(
                    values.astype("string"), categories=categories[column]
                )
        return frame

    if task == "regression":
        model = lightgbm.LGBMRegressor(random_state=seed, verbose=-1)
        _, fit_s = timed(lambda: model.fit(prepare(X), y.astype(float)))
        preds, pred_s = timed(lambda: pd.DataFrame({"prediction": model.predict(prepare(test))}))
    else:
        model = lightgbm.LGBMClassifier(random_state=seed, verbose=-1)
        _, fit_s = timed(lambda: model.fit(prepare(X), y))
        preds, pred_s = timed(
            lambda: pd.DataFrame(model.predict_proba(prepare(test)), columns=model.classes_)
        )
    info = {
        "framework": "lightgbm",
        "version": lightgbm.__version__,
        "fit_seconds": fit_s,
        "predict_seconds": pred_s,
        "best_model": type(model).__name__,
        "categorical": sorted(categories),
    }

    def predict(frame: pd.DataFrame) -> Any:
        prepared = prepare(frame)
        return model.predict(prepared) if task == "regression" else model.predict_proba(prepared)

    return preds, info, predict


if __name__ == "__main__":
    run(fit_predict)
