"""scikit-learn families: linear models, random forest / extra trees, k-NN.

Each fits on the dense (imputed, scaled, one-hot) view of the data.
Forests grow in chunks with ``warm_start`` so a deadline stops them cleanly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from numpy.typing import NDArray

from lepton.learn.families.base import (
    DenseEncoder,
    FitResult,
    FloatArray,
    TaskInfo,
    estimator_outputs,
)
from lepton.learn.families.registry import FamilySpec
from lepton.learn.features import Encoded

DENSE_EXPORTER = "lepton.optimize.members:dense_member"


@dataclass
class DenseModel:
    """A scikit-learn estimator behind its dense encoder."""

    encoder: DenseEncoder
    estimator: Any
    info: TaskInfo

    def predict(self, data: Encoded) -> FloatArray:
        matrix = self.encoder.transform(data)
        return estimator_outputs(self.estimator, matrix, self.info)


class LinearFamily:
    name = "linear"

    def default_params(self, info: TaskInfo, n_rows: int) -> dict[str, Any]:
        return {"C": 1.0} if info.is_classification else {"alpha": 1.0}

    def suggest(self, trial: Any, info: TaskInfo, n_rows: int) -> dict[str, Any]:
        if info.is_classification:
            return {"C": trial.suggest_float("C", 1e-3, 100.0, log=True)}
        return {"alpha": trial.suggest_float("alpha", 1e-3, 100.0, log=True)}

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
        from sklearn.linear_model import LogisticRegression, Ridge

        encoder = DenseEncoder().fit(train)
        matrix = encoder.transform(train)
        if info.is_classification:
            estimator: Any = LogisticRegression(max_iter=500, C=params["C"])
        else:
            estimator = Ridge(alpha=params["alpha"])
        estimator.fit(matrix, y)
        return FitResult(DenseModel(encoder, estimator, info))


def forest_size(n_rows: int) -> int:
    """Trees per fold model: 300 on small data, fewer on big data.

    Five bagged fold models of full-depth trees grow with rows x trees; past ~10k rows
    the extra trees add little accuracy but seconds of fitting and of shipping the
    model back from its worker, which a fixed time budget cannot afford.
    """
    return int(min(300, max(50, 50 * round(3_000_000 / max(n_rows, 1) / 50))))


class _ForestFamily:
    name = "forest"
    extra = False

    def default_params(self, info: TaskInfo, n_rows: int) -> dict[str, Any]:
        return {
            "max_features": 0.5 if info.is_classification else 0.7,
            "min_samples_leaf": 2,
            "n_estimators": forest_size(n_rows),
        }

    def suggest(self, trial: Any, info: TaskInfo, n_rows: int) -> dict[str, Any]:
        return {
            "max_features": trial.suggest_float("max_features", 0.2, 1.0),
            "min_samples_leaf": trial.suggest_int("min_samples_leaf", 1, 20, log=True),
            "n_estimators": forest_size(n_rows),
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
        from sklearn.ensemble import (
            ExtraTreesClassifier,
            ExtraTreesRegressor,
            RandomForestClassifier,
            RandomForestRegressor,
        )

        encoder = DenseEncoder(max_levels=64).fit(train)
        matrix = encoder.transform(train)
        if info.is_classification:
            cls: Any = ExtraTreesClassifier if self.extra else RandomForestClassifier
        else:
            cls = ExtraTreesRegressor if self.extra else RandomForestRegressor
        estimator = cls(
            n_estimators=0,
            warm_start=True,
            n_jobs=info.threads,
            random_state=info.seed,
            max_features=params["max_features"],
            min_samples_leaf=params["min_samples_leaf"],
        )
        hit = False
        target_trees = int(params.get("n_estimators", 300))
        while estimator.n_estimators < target_trees:
            estimator.n_estimators += 50
            estimator.fit(matrix, y)
            if time.monotonic() > deadline:
                hit = True
                break
        return FitResult(DenseModel(encoder, estimator, info), estimator.n_estimators, hit)


class RandomForestFamily(_ForestFamily):
    name = "random_forest"
    extra = False


class ExtraTreesFamily(_ForestFamily):
    name = "extra_trees"
    extra = True


class KNNFamily:
    name = "knn"

    def default_params(self, info: TaskInfo, n_rows: int) -> dict[str, Any]:
        return {"n_neighbors": 15, "weights": "distance"}

    def suggest(self, trial: Any, info: TaskInfo, n_rows: int) -> dict[str, Any]:
        return {
            "n_neighbors": trial.suggest_int("n_neighbors", 3, 100, log=True),
            "weights": trial.suggest_categorical("weights", ["uniform", "distance"]),
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
        from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

        encoder = DenseEncoder(max_levels=16).fit(train)
        k = min(int(params["n_neighbors"]), max(1, len(train) - 1))
        cls: Any = KNeighborsClassifier if info.is_classification else KNeighborsRegressor
        estimator = cls(n_neighbors=k, weights=params["weights"], n_jobs=info.threads)
        estimator.fit(encoder.transform(train), y)
        return FitResult(DenseModel(encoder, estimator, info))


FAMILIES = (
    FamilySpec("extra_trees", ExtraTreesFamily, default=5, exporter=DENSE_EXPORTER),
    FamilySpec("linear", LinearFamily, default=6, exporter=DENSE_EXPORTER, interruptible=False),
    FamilySpec(
        "knn",
        KNNFamily,
        default=8,
        no_export_reason=(
            "skl2onnx's k-NN graph disagrees with scikit-learn by up to 0.1 in probability "
            "(distance weighting, ties); k-NN stays native"
        ),
        interruptible=False,
    ),
    FamilySpec("random_forest", RandomForestFamily, default=9, exporter=DENSE_EXPORTER),
)
