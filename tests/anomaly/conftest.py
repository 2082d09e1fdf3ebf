"""A trained anomaly project (one model without a label, one with) and a real server on it.

The data: two correlated Gaussian columns and a category; 5% of rows are planted
anomalies far from the cloud, labelled 1 in ``is_fraud``. Trained once per session
(packages are immutable); each test makes its own deployment.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lepton.config import load_settings
from lepton.data.catalog import DataCatalog
from lepton.learn.training import train_dataset
from lepton.store.project import Project
from tests.serve.conftest import REPO_ROOT, Server, start_server


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


@dataclass
class AnomalyProject:
    home: Path
    env: dict[str, str]
    project: Project
    keys: dict[str, str]
    frame: pd.DataFrame

    def lepton(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "lepton", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )


@pytest.fixture(scope="session")
def an(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnomalyProject]:
    home = tmp_path_factory.mktemp("anomaly-home")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("LEPTON_STORE_URL", "LEPTON_ARTIFACTS_URL", "LEPTON_CONFIG")
    }
    env["LEPTON_HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    project = Project.open(load_settings(env))
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
    keys = {
        scope: project.metadata.create_api_key(f"test-{scope}", scopes=[scope])[0]
        for scope in ("predict", "admin")
    }
    yield AnomalyProject(home, env, project, keys, frame)
    project.close()


@pytest.fixture(scope="session")
def an_server(an: AnomalyProject) -> Iterator[Server]:
    running = start_server(an.env)
    yield running
    running.stop()


@pytest.fixture
def deployment(an: AnomalyProject, an_server: Server) -> Iterator[str]:
    """A deployment of ``fraud@1`` only this test uses."""
    name = f"fraud-{uuid.uuid4().hex[:10]}"
    admin = an_server.client(an.keys["admin"])
    answer = admin.put(f"/v1/deployments/{name}", json={"model": "fraud@1"})
    assert answer.status_code == 200, answer.text
    yield name
    an.project.metadata.delete_deployment(name)
