"""CatBoost: ordered target statistics for categoricals, strong defaults, early stopping.

CatBoost's wheel is ~100 MB, acceptable next to what it buys: on categorical-heavy
tables it is often the best single model at default settings.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.learn.families.base import FitResult, FloatArray, TaskInfo, as_proba, predict_threads
from lepton.learn.families.registry import FamilySpec
from lepton.learn.features import Encoded

if TYPE_CHECKING:
    from catboost import CatBoost, Pool

_LOSS = {"binary": "Logloss", "multiclass": "MultiClass", "regression": "RMSE"}


def pool(data: Encoded, label: NDArray[Any] | None = None) -> Pool:
    """The model's input for ``data``: numbers, then category codes as categorical features.

    Public because the ONNX exporter probes a fitted model's CTRs with it.
    """
    from catboost import Pool

    frame = pd.DataFrame(data.num, columns=[f"n{i}" for i in range(data.num.shape[1])])
    for j in range(data.cat.shape[1]):
        frame[f"c{j}"] = data.cat[:, j]
    cats = [f"c{j}" for j in range(data.cat.shape[1])]
    return Pool(frame, label=label, cat_features=cats)


@dataclass
class CatBoostModel:
    model: CatBoost
    info: TaskInfo

    def predict(self, data: Encoded) -> FloatArray:
        if self.info.is_classification:
            raw = self.model.predict(
                pool(data), prediction_type="Probability", thread_count=predict_threads()
            )
            return as_proba(raw, self.info.n_classes)
        raw = self.model.predict(pool(data), thread_count=predict_threads())
        return np.asarray(raw, dtype=np.float64)


class _Deadline:
    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.hit = False

    def after_iteration(self, info: Any) -> bool:
        self.hit = time.monotonic() > self.deadline
        return not self.hit


class CatBoostFamily:
    name = "catboost"

    def default_params(self, info: TaskInfo, n_rows: int) -> dict[str, Any]:
        # max_ctr_complexity=1: no feature-combination CTRs, several times faster per tree on
        # data with many categoricals, at no loss of accuracy within a short budget
        return {"learning_rate": 0.1, "depth": 6, "l2_leaf_reg": 3.0, "max_ctr_complexity": 1}

    def suggest(self, trial: Any, info: TaskInfo, n_rows: int) -> dict[str, Any]:
        return {
            "learning_rate": trial.suggest_float("learning_rate", 0.02, 0.15, log=True),
            "depth": trial.suggest_int("depth", 4, 8),
            "l2_leaf_reg": trial.suggest_float("l2_leaf_reg", 1.0, 10.0, log=True),
            "random_strength": trial.suggest_float("random_strength", 0.5, 5.0, log=True),
            "max_ctr_complexity": trial.suggest_int("max_ctr_complexity", 1, 2),
        }

    def fit(
        self,
        train: Encoded,
        y: NDArray[Any],
        valid: Encoded,
        y_valid: NDArray[Any],
        params: dict[str, Any],
        info: TaskInfo,
        deadline: float,
    ) -> FitResult:
        from catboost import CatBoost

        eval_metric = {"roc_auc": "AUC", "mae": "MAE"}.get(info.metric, _LOSS[info.task])
        model = CatBoost(
            {
                "loss_function": _LOSS[info.task],
                "eval_metric": eval_metric,
                "iterations": 5_000,
                "od_type": "Iter",
                "od_wait": 100,
                "use_best_model": True,
                "thread_count": info.threads,
                "random_seed": info.seed,
                "verbose": False,
                "allow_writing_files": False,
                **params,
            }
        )
        timer = _Deadline(deadline)
        model.fit(pool(train, y), eval_set=pool(valid, y_valid), callbacks=[timer])
        return FitResult(CatBoostModel(model, info), int(model.tree_count_), timer.hit)


FAMILIES = (
    FamilySpec(
        "catboost",
        CatBoostFamily,
        default=3,
        exporter="lepton.optimize.trees:catboost_member",
    ),
)
