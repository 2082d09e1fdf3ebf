"""AutoGluon ``TabularPredictor(label=…).fit(train, time_limit=…)``, default preset (in .venv-peers)."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from common import run, timed

METRICS = {"binary": "roc_auc", "multiclass": "log_loss", "regression": "root_mean_squared_error"}


def fit_predict(
    train: pd.DataFrame, test: pd.DataFrame, target: str, task: str, time_limit: float, seed: int
) -> tuple[pd.DataFrame, dict[str, Any], Callable[[pd.DataFrame], Any]]:
    import autogluon.tabular
    from autogluon.tabular import TabularPredictor

    # a folder that outlives this call: the batch timing after it loads models from it
    tmp = tempfile.mkdtemp(prefix="ag-bench-")
    predictor = TabularPredictor(
        label=target, problem_type=task, eval_metric=METRICS[task], path=tmp, verbosity=0
    )
    _, fit_s = timed(lambda: predictor.fit(train, time_limit=time_limit))
    if task == "regression":
        preds, pred_s = timed(lambda: predictor.predict(test).to_frame("prediction"))
    else:
        preds, pred_s = timed(lambda: predictor.predict_proba(test))
    best = predictor.model_best
    info = {
        "framework": "autogluon",
        "version": autogluon.tabular.__version__,
        "fit_seconds": fit_s,
        "predict_seconds": pred_s,
        "best_model": best,
    }

    def predict(frame: pd.DataFrame) -> Any:
        return predictor.predict(frame) if task == "regression" else predictor.predict_proba(frame)

    return preds, info, predict


if __name__ == "__main__":
    run(fit_predict)
