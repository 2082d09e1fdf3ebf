"""The public Python API: the same verbs as the CLI, for notebooks and scripts.

>>> import lepton
>>> ds = lepton.Dataset.add("adult.csv", name="adult", target="income")
>>> ds.profile.n_rows, ds.to_pandas().shape
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from lepton.config import Settings, load_settings
from lepton.data.catalog import DataCatalog, DatasetVersion
from lepton.data.recipe import Recipe
from lepton.store.metadata.records import DatasetSummary
from lepton.store.project import Project

_projects: dict[tuple[str, str, str], Project] = {}


def project(settings: Settings | None = None) -> Project:
    """The project for ``settings`` (default: resolved from env and lepton.toml), opened once."""
    settings = settings or load_settings()
    key = (str(settings.home), settings.store_url, settings.artifacts_url)
    if key not in _projects:
        _projects[key] = Project.open(settings)
    return _projects[key]


def catalog(settings: Settings | None = None) -> DataCatalog:
    return DataCatalog(project(settings))


def as_recipe(recipe: Recipe | str | Path | list[dict[str, Any]]) -> Recipe:
    """Accept a recipe object, a recipe file path, or a list of step dicts."""
    if isinstance(recipe, Recipe):
        return recipe
    if isinstance(recipe, list):
        return Recipe.from_list(recipe)
    return Recipe.from_file(Path(recipe))


class Dataset:
    """Entry points for dataset versions; each returns a ``DatasetVersion``."""

    @staticmethod
    def add(
        path: str | Path, *, name: str, target: str | None = None, format: str | None = None
    ) -> DatasetVersion:
        return catalog().add(path, name=name, target=target, format=format)[0]

    @staticmethod
    def from_pandas(frame: pd.DataFrame, *, name: str, target: str | None = None) -> DatasetVersion:
        return catalog().add_frame(frame, name=name, target=target)[0]

    @staticmethod
    def get(ref: str) -> DatasetVersion:
        """``NAME`` (latest) or ``NAME@VERSION``."""
        return catalog().get(ref)

    @staticmethod
    def versions(name: str) -> list[DatasetVersion]:
        return catalog().versions(name)

    @staticmethod
    def clean(ref: str, recipe: Recipe | str | Path | list[dict[str, Any]]) -> DatasetVersion:
        return catalog().clean(ref, as_recipe(recipe))[0]

    @staticmethod
    def list() -> list[DatasetSummary]:
        return catalog().list()


class Model:
    """A trained, registered model: leaderboard, evaluation and predictions in one object."""

    def __init__(self, outcome: Any) -> None:
        self._outcome = outcome
        self.automl = outcome.automl
        self.version = outcome.version
        self.run = outcome.run

    @property
    def ref(self) -> str:
        return f"{self.version.name}@{self.version.version}"

    def leaderboard(self) -> pd.DataFrame:
        return self.automl.leaderboard()  # type: ignore[no-any-return]

    def evaluate(self, test: pd.DataFrame | DatasetVersion | str) -> dict[str, Any]:
        from lepton.learn.evaluation import evaluate

        return evaluate(self.automl.model_, _frame(test))

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        return self.automl.predict(frame)  # type: ignore[no-any-return]

    def predict_proba(self, frame: pd.DataFrame) -> pd.DataFrame:
        return self.automl.predict_proba(frame)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"Model({self.ref}, task={self.automl.task_}, metric={self.automl.metric_})"


def _frame(data: pd.DataFrame | DatasetVersion | str) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, DatasetVersion):
        return data.to_pandas()
    return catalog().get(data).to_pandas()


def fit(
    data: pd.DataFrame | DatasetVersion | str | Path,
    *,
    target: str,
    time_limit: float = 60.0,
    metric: str | None = None,
    task: str | None = None,
    name: str | None = None,
    test: pd.DataFrame | DatasetVersion | str | None = None,
    seed: int = 0,
) -> Model:
    """AutoML on a DataFrame, a dataset version or a file; the result is versioned and registered."""
    from lepton.learn.training import train_dataset

    cat = catalog()
    if isinstance(data, pd.DataFrame):
        dataset = cat.add_frame(data, name=name or "dataset", target=target)[0]
    elif isinstance(data, DatasetVersion):
        dataset = data
    elif isinstance(data, Path) or (isinstance(data, str) and Path(data).exists()):
        dataset = cat.add(data, name=name or Path(data).stem.split(".")[0], target=target)[0]
    else:
        dataset = cat.get(str(data))
    test_ref = None
    if test is not None:
        test_version = (
            cat.add_frame(test, name=f"{dataset.name}-test", target=target)[0]
            if isinstance(test, pd.DataFrame)
            else test
            if isinstance(test, DatasetVersion)
            else cat.get(test)
        )
        test_ref = test_version.ref
    outcome = train_dataset(
        project(),
        dataset.ref,
        target=target,
        time_limit=time_limit,
        metric=metric,
        task=task,
        test_ref=test_ref,
        model_name=name,
        seed=seed,
    )
    return Model(outcome)


def load(ref: str) -> Any:
    """The ``Predictor`` of a registered model version (``NAME``, ``NAME@3``, ``NAME@production``)."""
    from lepton.runtime.loader import load_predictor

    return load_predictor(project(), ref)[0]


__all__ = ["Dataset", "DatasetVersion", "Model", "Recipe", "catalog", "fit", "load", "project"]
