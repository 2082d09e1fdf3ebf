"""FLAML ``AutoML().fit(X, y, time_budget=…)`` with its defaults (runs in .venv-peers)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from common import run, timed

METRICS = {"binary": "roc_auc", "multiclass": "log_loss", "regression": "rmse"}


def fit_predict(
    train: pd.DataFrame, test: pd.DataFrame, target: str, task: str, time_limit: float, seed: int
) -> tuple[pd.DataFrame, dict[str, Any], Callable[[pd.DataFrame], Any]]:
    import flaml
    from flaml import AutoML

    X, y = train.drop(columns=[target]), train[target]
    automl = AutoML()
    flaml_task = "regression" if task == "regression" else "classification"
    _, fit_s = timed(
        lambda: automl.fit(
            X,
            y,
            task=flaml_task,
            time_budget=time_limit,
            metric=METRICS[task],
            seed=seed,
            n_jobs=-1,
            verbose=0,
        )
    )
    if task == "regression":
        preds, pred_s = timed(lambda: pd.DataFrame({"prediction": automl.predict(test)}))
    else:
        preds, pred_s = timed(
            lambda: pd.DataFrame(automl.predict_proba(test), columns=automl.classes_)
        )
    info = {
        "framework": "flaml",
        "version": flaml.__version__,
        "fit_seconds": fit_s,
        "predict_seconds": pred_s,
        "best_model": automl.best_estimator,
    }

    def predict(frame: pd.DataFrame) -> Any:
        return automl.predict(frame) if task == "regression" else automl.predict_proba(frame)

    return preds, info, predict


if __name__ == "__main__":
    run(fit_predict)
