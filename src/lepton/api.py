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

_projects: dict[Settings, Project] = {}


def project(settings: Settings | None = None) -> Project:
    """The project for ``settings`` (default: resolved from env and lepton.toml), opened once."""
    settings = settings or load_settings()
    key = settings
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
    def list() -> list[DatasetSummary]:
        return catalog().list()

    @staticmethod
    def versions(name: str) -> list[DatasetVersion]:
        return catalog().versions(name)

    @staticmethod
    def clean(ref: str, recipe: Recipe | str | Path | list[dict[str, Any]]) -> DatasetVersion:
        return catalog().clean(ref, as_recipe(recipe))[0]


__all__ = ["Dataset", "DatasetVersion", "Recipe", "catalog", "project"]
