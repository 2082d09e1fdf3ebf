"""A trained rules project (seeded Quest-style baskets) and a real `lepton serve` over it.

One model ``baskets`` is trained once per session (packages are immutable); each test
that serves makes a deployment of its own, so tests hold alone and in any order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd
import pytest

from lepton.data.catalog import DataCatalog
from lepton.learn.rules.synthetic import quest_baskets
from lepton.learn.training import TrainOutcome, train_dataset
from tests.helpers.home import (
    Deploy,
    HomeProject,
    api_keys,
    deployments,
    home_env,
    open_project,
)
from tests.serve.conftest import Server, start_server

OPTIONS = {"transaction_column": "transaction", "item_column": "item"}


def basket_frame(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    return quest_baskets(n, n_items=120, n_patterns=30, mean_size=6.0, seed=seed)


@dataclass
class RulesProject(HomeProject):
    outcome: TrainOutcome


@pytest.fixture(scope="session")
def rp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RulesProject]:
    home = tmp_path_factory.mktemp("rules-home")
    env = home_env(home)
    project = open_project(env)
    frame = basket_frame()
    ref = DataCatalog(project).add_frame(frame, name="baskets")[0].ref
    outcome = train_dataset(
        project, ref, task="rules", time_limit=10, options=dict(OPTIONS), model_name="baskets"
    )
    keys = api_keys(project, ("predict", "admin", "metrics"))
    yield RulesProject(home, env, project, keys, frame, outcome)
    project.close()


@pytest.fixture(scope="session")
def rules_server(rp: RulesProject) -> Iterator[Server]:
    running = start_server(rp.env)
    yield running
    running.stop()


@pytest.fixture
def deploy(rp: RulesProject, rules_server: Server) -> Iterator[Deploy]:
    with deployments(rp.project, rules_server, rp.keys["admin"], "baskets@1", "rules") as make:
        yield make
