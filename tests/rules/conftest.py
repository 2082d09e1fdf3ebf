"""A trained rules project (seeded Quest-style baskets) and a real `lepton serve` over it.

One model ``baskets`` is trained once per session (packages are immutable); each test
that serves makes a deployment of its own, so tests hold alone and in any order.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from lepton.config import load_settings
from lepton.data.catalog import DataCatalog
from lepton.learn.rules.synthetic import quest_baskets
from lepton.learn.training import TrainOutcome, train_dataset
from lepton.store.project import Project
from tests.serve.conftest import REPO_ROOT, Server, start_server

OPTIONS = {"transaction_column": "transaction", "item_column": "item"}


def basket_frame(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    return quest_baskets(n, n_items=120, n_patterns=30, mean_size=6.0, seed=seed)


@dataclass
class RulesProject:
    home: Path
    env: dict[str, str]
    project: Project
    keys: dict[str, str]
    frame: pd.DataFrame
    outcome: TrainOutcome


@pytest.fixture(scope="session")
def rp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RulesProject]:
    home = tmp_path_factory.mktemp("rules-home")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("LEPTON_STORE_URL", "LEPTON_ARTIFACTS_URL", "LEPTON_CONFIG")
    }
    env["LEPTON_HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    project = Project.open(load_settings(env))
    frame = basket_frame()
    ref = DataCatalog(project).add_frame(frame, name="baskets")[0].ref
    outcome = train_dataset(
        project, ref, task="rules", time_limit=10, options=dict(OPTIONS), model_name="baskets"
    )
    keys = {
        scope: project.metadata.create_api_key(f"test-{scope}", scopes=[scope])[0]
        for scope in ("predict", "admin", "metrics")
    }
    yield RulesProject(home, env, project, keys, frame, outcome)
    project.close()


@pytest.fixture(scope="session")
def rules_server(rp: RulesProject) -> Iterator[Server]:
    running = start_server(rp.env)
    yield running
    running.stop()


Deploy = Callable[..., str]


@pytest.fixture
def deploy(rp: RulesProject, rules_server: Server) -> Iterator[Deploy]:
    names: list[str] = []

    def make(model: str = "baskets@1") -> str:
        name = f"rules-{uuid.uuid4().hex[:10]}"
        admin = rules_server.client(rp.keys["admin"])
        answer = admin.put(f"/v1/deployments/{name}", json={"model": model})
        assert answer.status_code == 200, answer.text
        names.append(name)
        return name

    yield make
    for name in names:
        rp.project.metadata.delete_deployment(name)
