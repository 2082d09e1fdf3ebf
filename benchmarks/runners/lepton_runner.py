"""Lepton: ``AutoML(target, time_limit=…).fit(train)`` then class probabilities or values."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from common import run, timed


def fit_predict(
    train: pd.DataFrame, test: pd.DataFrame, target: str, task: str, time_limit: float, seed: int
) -> tuple[pd.DataFrame, dict[str, Any]]:
    import lepton
    from lepton.learn import AutoML

    automl, fit_s = timed(
        lambda: AutoML(target, task=task, time_limit=time_limit, seed=seed).fit(train)
    )
    if task == "regression":
        preds, pred_s = timed(lambda: automl.predict(test).to_frame("prediction"))
    else:
        preds, pred_s = timed(lambda: automl.predict_proba(test))
    best = automl.leaderboard().iloc[0].to_dict()
    return preds, {
        "framework": "lepton",
        "version": getattr(lepton, "__version__", "dev"),
        "fit_seconds": fit_s,
        "predict_seconds": pred_s,
        "n_trials": len(automl.search_.trials),
        "best_model": best.get("model"),
    }


if __name__ == "__main__":
    run(fit_predict)
