"""Lepton: ``lepton.fit(train, target=…, time_limit=…)`` then class probabilities or values.

The whole call a user makes is timed, not the search alone: ingest (the dataset
version), search, ensembling, calibration, importance, packaging and registration, into
a fresh project home (issue 18: the limit is the user's wall clock).
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
    train: pd.DataFrame,
    test: pd.DataFrame,
    target: str,
    task: str,
    time_limit: float,
    seed: int,
    infer_limit: float | None = None,
) -> tuple[pd.DataFrame, dict[str, Any], Callable[[pd.DataFrame], Any]]:
    import os
    import tempfile

    os.environ.setdefault("LEPTON_HOME", tempfile.mkdtemp(prefix="lepton-bench-home-"))
    import lepton

    model, fit_s = timed(
        lambda: lepton.fit(
            train,
            target=target,
            task=task,
            time_limit=time_limit,
            seed=seed,
            infer_limit=infer_limit,
        )
    )
    if task == "regression":
        preds, pred_s = timed(lambda: model.predict(test).to_frame("prediction"))
    else:
        preds, pred_s = timed(lambda: model.predict_proba(test))
    automl = model.automl
    best = automl.leaderboard().iloc[0].to_dict()
    info = {
        "framework": "lepton",
        "version": getattr(lepton, "__version__", "dev"),
        "fit_seconds": fit_s,
        "predict_seconds": pred_s,
        "n_trials": len(automl.search_.trials),
        "best_model": best.get("model"),
        "phases": model.timings,
    }

    def predict(frame: pd.DataFrame) -> Any:
        return model.predict(frame) if task == "regression" else model.predict_proba(frame)

    return preds, info, predict


if __name__ == "__main__":
    run(fit_predict)
