"""A trained anomaly project (one model without a label, one with) and a real server on it.

The data: two correlated Gaussian columns and a category; 5% of rows are planted
anomalies far from the cloud, labelled 1 in ``is_fraud``. Trained once per session
(packages are immutable); each test makes its own deployment.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from lepton.data.catalog import DataCatalog
from lepton.learn.training import train_dataset
from tests.helpers.home import HomeProject, api_keys, deployments, home_env, open_project
from tests.serve.conftest import Server, start_server


def planted(n: int = 300, rate: float = 0.05, seed: int = 0) -> pd.DataFrame:
    """Normal rows on a correlated cloud; ``rate`` of them moved 6 sigma away (is_fraud=1)."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = 0.8 * a + 0.6 * rng.normal(size=n)
    shop = rng.choice(["north", "south", "east"], size=n)
    fraud = np.zeros(n, dtype=int)
    bad = rng.choice(n, int(rate * n), replace=False)
    fraud[bad] = 1
    a[bad] += rng.choice([-6.0, 6.0], size=len(bad))
    b[bad] -= rng.choice([-6.0, 6.0], size=len(bad))
    return pd.DataFrame({"amount": a, "delay": b, "shop": shop, "is_fraud": fraud})


class AnomalyProject(HomeProject):
    """Models ``orders`` (no label) and ``fraud`` (chosen by the ``is_fraud`` label)."""


@pytest.fixture(scope="session")
def an(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnomalyProject]:
    home = tmp_path_factory.mktemp("anomaly-home")
    env = home_env(home)
    project = open_project(env)
    frame = planted()
    catalog = DataCatalog(project)
    plain = catalog.add_frame(frame.drop(columns="is_fraud"), name="orders")[0].ref
    labelled = catalog.add_frame(frame, name="orders-labelled")[0].ref
    train_dataset(project, plain, task="anomaly", time_limit=6, model_name="orders")
    train_dataset(
        project,
        labelled,
        task="anomaly",
        target="is_fraud",
        time_limit=6,
        n_folds=3,
        model_name="fraud",
    )
    yield AnomalyProject(home, env, project, api_keys(project, ("predict", "admin")), frame)
    project.close()


@pytest.fixture(scope="session")
def an_server(an: AnomalyProject) -> Iterator[Server]:
    running = start_server(an.env)
    yield running
    running.stop()


@pytest.fixture
def deployment(an: AnomalyProject, an_server: Server) -> Iterator[str]:
    """A deployment of ``fraud@1`` only this test uses."""
    with deployments(an.project, an_server, an.keys["admin"], "fraud@1", "fraud") as deploy:
        yield deploy()
