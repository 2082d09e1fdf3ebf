"""A fine-tuned NER project (seeded ticket texts) and a real `lepton serve` over it.

One model ``tickets`` is trained once per session (packages are immutable); each test
that serves makes a deployment of its own, so tests hold alone and in any order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd
import pytest

from lepton.data.catalog import DataCatalog
from lepton.learn.ner.synthetic import ticket_texts
from lepton.learn.training import TrainOutcome, train_dataset
from tests.helpers.home import Deploy, HomeProject, api_keys, deployments, home_env, open_project
from tests.serve.conftest import Server, start_server


def ticket_frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    return ticket_texts(n, seed=seed)


@dataclass
class NerProject(HomeProject):
    outcome: TrainOutcome
    test: pd.DataFrame


@pytest.fixture(scope="session")
def nerp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NerProject]:
    home = tmp_path_factory.mktemp("ner-home")
    env = home_env(home)
    project = open_project(env)
    frame = ticket_frame()
    test = ticket_frame(80, seed=1)
    catalog = DataCatalog(project)
    ref = catalog.add_frame(frame, name="tickets")[0].ref
    test_ref = catalog.add_frame(test, name="tickets-test")[0].ref
    outcome = train_dataset(
        project, ref, task="ner", time_limit=40, test_ref=test_ref, model_name="tickets"
    )
    keys = api_keys(project, ("predict", "admin", "metrics"))
    yield NerProject(home, env, project, keys, frame, outcome, test)
    project.close()


@pytest.fixture(scope="session")
def ner_server(nerp: NerProject) -> Iterator[Server]:
    running = start_server(nerp.env)
    yield running
    running.stop()


@pytest.fixture
def deploy(nerp: NerProject, ner_server: Server) -> Iterator[Deploy]:
    with deployments(nerp.project, ner_server, nerp.keys["admin"], "tickets@1", "ner") as make:
        yield make
