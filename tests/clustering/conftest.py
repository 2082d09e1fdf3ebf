"""A trained clustering project (three groups of customers) and a real server over it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from lepton.data.catalog import DataCatalog
from lepton.learn.training import TrainOutcome, train_dataset
from tests.helpers.home import HomeProject, api_keys, home_env, open_project
from tests.serve.conftest import Server, start_server

CENTERS = np.array([[0.0, 0.0], [6.0, 6.0], [0.0, 7.0]])


def customers(n: int = 240, seed: int = 0) -> pd.DataFrame:
    """Three separated groups in two numbers and a category that follows the group."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, size=n)
    xy = CENTERS[group] + rng.normal(0, 0.7, size=(n, 2))
    plan = np.where(rng.random(n) < 0.85, np.array(["basic", "pro", "team"])[group], "basic")
    return pd.DataFrame({"spend": xy[:, 0], "visits": xy[:, 1], "plan": plan, "group": group})


@dataclass
class ClusterProject(HomeProject):
    outcome: TrainOutcome


@pytest.fixture(scope="session")
def cp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterProject]:
    home = tmp_path_factory.mktemp("cluster-home")
    env = home_env(home)
    project = open_project(env)
    frame = customers()
    ref = DataCatalog(project).add_frame(frame.drop(columns=["group"]), name="customers")[0].ref
    outcome = train_dataset(project, ref, task="clustering", time_limit=10)
    keys = api_keys(project, ("predict", "admin"))
    yield ClusterProject(home, env, project, keys, frame, outcome)
    project.close()


@pytest.fixture(scope="session")
def cp_server(cp: ClusterProject) -> Iterator[Server]:
    running = start_server(cp.env)
    yield running
    running.stop()
