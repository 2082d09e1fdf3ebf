"""A trained recommend project (two taste groups), and a real `lepton serve` over it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from lepton.data.catalog import DataCatalog
from lepton.learn.training import train_dataset
from tests.helpers.home import (
    Deploy,
    HomeProject,
    api_keys,
    deployments,
    home_env,
    open_project,
)
from tests.serve.conftest import Server, start_server

OPTIONS = {
    "user_column": "user",
    "item_column": "item",
    "rating_column": "rating",
    "time_column": "ts",
}


def taste_frame(n_users: int = 60, per_user: int = 8, seed: int = 0) -> pd.DataFrame:
    """Users ``u0..``: even ones like items ``a0..a11``, odd ones ``b0..b11``, plus one
    item everybody has (``hit``); each user's interactions have increasing times."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        group = "a" if u % 2 == 0 else "b"
        items = [f"{group}{i}" for i in rng.choice(12, size=per_user, replace=False)]
        for t, item in enumerate(["hit", *items]):
            rows.append(
                {"user": f"u{u}", "item": item, "rating": float(rng.integers(1, 6)), "ts": t}
            )
    return pd.DataFrame(rows)


@dataclass
class RecProject(HomeProject):
    dataset: str


@pytest.fixture(scope="session")
def rec(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecProject]:
    home = tmp_path_factory.mktemp("recommend-home")
    env = home_env(home)
    project = open_project(env)
    frame = taste_frame()
    ref = DataCatalog(project).add_frame(frame, name="tastes")[0].ref
    train_dataset(
        project,
        ref,
        task="recommend",
        time_limit=20,
        families=["popularity", "item_knn", "ease"],
        options=dict(OPTIONS),
        model_name="tastes",
    )
    keys = api_keys(project, ("predict", "admin", "metrics"))
    yield RecProject(home, env, project, keys, frame, ref)
    project.close()


@pytest.fixture(scope="session")
def rec_server(rec: RecProject) -> Iterator[Server]:
    running = start_server(rec.env)
    yield running
    running.stop()


@pytest.fixture
def deploy(rec: RecProject, rec_server: Server) -> Iterator[Deploy]:
    with deployments(rec.project, rec_server, rec.keys["admin"], "tastes@1", "tastes") as make:
        yield make
