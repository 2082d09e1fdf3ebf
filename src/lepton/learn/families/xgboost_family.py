"""XGBoost (hist, native categoricals), early stopping on the validation fold."""

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
    predict_threads,
    tree_matrix,
)
from lepton.learn.families.registry import FamilySpec
from lepton.learn.features import Encoded

if TYPE_CHECKING:
    import xgboost as xgb

_OBJECTIVE = {
    "binary": "binary:logistic",
    "multiclass": "multi:softprob",
    "regression": "reg:squarederror",
}
_METRIC = {"roc_auc": "auc", "rmse": "rmse", "mae": "mae"}


def dmatrix(data: Encoded, label: NDArray[Any] | None = None) -> xgb.DMatrix:
    """The booster's input for ``data``: numbers, then categories as native categoricals.

    Public because the ONNX exporter probes a fitted booster with it.
    """
    import xgboost as xgb

    types = ["q"] * data.num.shape[1] + ["c"] * data.cat.shape[1]
    return xgb.DMatrix(tree_matrix(data), label=label, feature_types=types, enable_categorical=True)


@dataclass
class XGBoostModel:
    booster: xgb.Booster
    info: TaskInfo

    def predict(self, data: Encoded) -> FloatArray:
        threads = predict_threads()
        if getattr(self, "_threads", None) != threads:  # trained with nthread=1
            self.booster.set_param({"nthread": threads})
            self._threads = threads
        raw = self.booster.predict(dmatrix(data))
        if self.info.is_classification:
            return as_proba(raw, self.info.n_classes)
        return np.asarray(raw, dtype=np.float64)


def _deadline_callback(deadline: float) -> Any:
    """A callback ending training at ``deadline``; ``.hit`` tells whether it did."""
    import xgboost as xgb

    class Deadline(xgb.callback.TrainingCallback):
        hit = False

        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            self.hit = time.monotonic() > deadline
            return self.hit

    return Deadline()


class XGBoostFamily:
    name = "xgboost"

    def default_params(self, info: TaskInfo, n_rows: int) -> dict[str, Any]:
        return {
            "eta": 0.05,
            "max_depth": 6,
            "min_child_weight": 1.0,
            "subsample": 0.8,
            "colsample_bytree": 0.8,
            "lambda": 1.0,
            "max_cat_to_onehot": 8,
        }

    def suggest(self, trial: Any, info: TaskInfo, n_rows: int) -> dict[str, Any]:
        return {
            "eta": trial.suggest_float("eta", 0.01, 0.1, log=True),
            "max_depth": trial.suggest_int("max_depth", 3, 10),
            "min_child_weight": trial.suggest_float("min_child_weight", 0.5, 20.0, log=True),
            "subsample": trial.suggest_float("subsample", 0.6, 1.0),
            "colsample_bytree": trial.suggest_float("colsample_bytree", 0.4, 1.0),
            "lambda": trial.suggest_float("lambda", 1e-3, 10.0, log=True),
            "max_cat_to_onehot": trial.suggest_int("max_cat_to_onehot", 1, 16, log=True),
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
        import xgboost as xgb

        metric = _METRIC.get(info.metric, "mlogloss" if info.task == "multiclass" else "logloss")
        if info.task == "regression" and info.metric not in _METRIC:
            metric = "rmse"
        full = {
            "objective": _OBJECTIVE[info.task],
            "eval_metric": metric,
            "tree_method": "hist",
            "nthread": info.threads,
            "seed": info.seed,
            **params,
        }
        if info.task == "multiclass":
            full["num_class"] = info.n_classes
        timer = _deadline_callback(deadline)
        dvalid = dmatrix(valid, y_valid)
        booster = xgb.train(
            full,
            dmatrix(train, y),
            num_boost_round=10_000,
            evals=[(dvalid, "valid")],
            early_stopping_rounds=100,
            callbacks=[timer],
            verbose_eval=False,
        )
        best = int(getattr(booster, "best_iteration", booster.num_boosted_rounds() - 1)) + 1
        booster = booster[:best]
        return FitResult(XGBoostModel(booster, info), best, timer.hit)


FAMILIES = (
    FamilySpec(
        "xgboost",
        XGBoostFamily,
        default=4,
        exporter="lepton.optimize.trees:xgboost_member",
    ),
)
