"""LightGBM: native categorical splits, early stopping on the validation fold."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from lepton.learn.families.base import (
    FitResult,
    FloatArray,
    TaskInfo,
    as_proba,
    categorical_indices,
    predict_threads,
    tree_matrix,
)
from lepton.learn.families.registry import FamilySpec
from lepton.learn.features import Encoded

if TYPE_CHECKING:
    import lightgbm as lgb

_METRIC = {"roc_auc": "auc", "log_loss": "binary_logloss", "rmse": "rmse", "mae": "l1"}


@dataclass
class LightGBMModel:
    booster: lgb.Booster
    info: TaskInfo

    def predict(self, data: Encoded) -> FloatArray:
        raw = self.booster.predict(tree_matrix(data), num_threads=predict_threads())
        if self.info.is_classification:
            return as_proba(np.asarray(raw), self.info.n_classes)
        return np.asarray(raw, dtype=np.float64)


class LightGBMFamily:
    name = "lightgbm"

    def default_params(self, info: TaskInfo, n_rows: int) -> dict[str, Any]:
        return {
            "learning_rate": 0.05,
            "num_leaves": 31,
            "min_data_in_leaf": 20,
            "feature_fraction": 0.9,
            "bagging_fraction": 1.0,
            "lambda_l2": 0.0,
            "cat_smooth": 10.0,
            "max_cat_to_onehot": 4,
        }

    def portfolio(self, info: TaskInfo, n_rows: int) -> list[dict[str, Any]]:
        """A second, slower-learning, more regularised config that often generalises better."""
        return [
            self.default_params(info, n_rows),
            {
                "learning_rate": 0.03,
                "num_leaves": 64,
                "min_data_in_leaf": 50,
                "feature_fraction": 0.5,
                "bagging_fraction": 1.0,
                "lambda_l2": 1.0,
                "cat_smooth": 10.0,
                "max_cat_to_onehot": 64,
            },
        ]

    def suggest(self, trial: Any, info: TaskInfo, n_rows: int) -> dict[str, Any]:
        return {
            "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.1, log=True),
            "num_leaves": trial.suggest_int("num_leaves", 8, 128, log=True),
            "min_data_in_leaf": trial.suggest_int("min_data_in_leaf", 5, 100, log=True),
            "feature_fraction": trial.suggest_float("feature_fraction", 0.4, 1.0),
            "bagging_fraction": trial.suggest_float("bagging_fraction", 0.6, 1.0),
            "lambda_l2": trial.suggest_float("lambda_l2", 1e-3, 10.0, log=True),
            "cat_smooth": trial.suggest_float("cat_smooth", 1.0, 50.0, log=True),
            "max_cat_to_onehot": trial.suggest_int("max_cat_to_onehot", 4, 32, log=True),
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
        import lightgbm as lgb

        objective = {"binary": "binary", "multiclass": "multiclass", "regression": "regression"}
        metric = _METRIC.get(info.metric, "multi_logloss" if info.task == "multiclass" else None)
        if info.task == "multiclass":
            metric = "multi_logloss"
        full = {
            "objective": objective[info.task],
            "metric": metric or ("binary_logloss" if info.task == "binary" else "rmse"),
            "num_threads": info.threads,
            "seed": info.seed,
            "verbosity": -1,
            "bagging_freq": 1 if params.get("bagging_fraction", 1.0) < 1.0 else 0,
            **params,
        }
        if info.task == "multiclass":
            full["num_class"] = info.n_classes
        cats = categorical_indices(train)
        dtrain = lgb.Dataset(tree_matrix(train), y, categorical_feature=cats, free_raw_data=False)
        dvalid = lgb.Dataset(tree_matrix(valid), y_valid, reference=dtrain)
        stopped = {"deadline": False}

        def stop_at_deadline(env: Any) -> None:
            if time.monotonic() > deadline:
                stopped["deadline"] = True
                raise lgb.callback.EarlyStopException(env.iteration, env.evaluation_result_list)

        booster = lgb.train(
            full,
            dtrain,
            num_boost_round=int(params.get("n_estimators", 10_000)),
            valid_sets=[dvalid],
            callbacks=[lgb.early_stopping(100, verbose=False), stop_at_deadline],
        )
        best = booster.best_iteration or booster.current_iteration()
        booster = booster if best <= 0 else _trim(booster, best)
        return FitResult(LightGBMModel(booster, info), best, stopped["deadline"])


def _trim(booster: lgb.Booster, best: int) -> lgb.Booster:
    """Keep only the best iterations so prediction never pays for the overfit tail."""
    import lightgbm as lgb

    return lgb.Booster(model_str=booster.model_to_string(num_iteration=best))


FAMILIES = (
    FamilySpec(
        "lightgbm",
        LightGBMFamily,
        default=2,
        exporter="lepton.optimize.trees:lightgbm_member",
    ),
)
