"""A trained recommend project (two taste groups), and a real `lepton serve` over it."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
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
class RecProject:
    home: Path
    env: dict[str, str]
    project: Project
    keys: dict[str, str]
    frame: pd.DataFrame
    dataset: str

    def lepton(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "lepton", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )


@pytest.fixture(scope="session")
def rec(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecProject]:
    home = tmp_path_factory.mktemp("recommend-home")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("LEPTON_STORE_URL", "LEPTON_ARTIFACTS_URL", "LEPTON_CONFIG")
    }
    env["LEPTON_HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    project = Project.open(load_settings(env))
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
    keys = {
        scope: project.metadata.create_api_key(f"test-{scope}", scopes=[scope])[0]
        for scope in ("predict", "admin", "metrics")
    }
    yield RecProject(home, env, project, keys, frame, ref)
    project.close()


@pytest.fixture(scope="session")
def rec_server(rec: RecProject) -> Iterator[Server]:
    running = start_server(rec.env)
    yield running
    running.stop()


Deploy = Callable[..., str]


@pytest.fixture
def deploy(rec: RecProject, rec_server: Server) -> Iterator[Deploy]:
    names: list[str] = []

    def make(model: str = "tastes@1") -> str:
        name = f"tastes-{uuid.uuid4().hex[:10]}"
        admin = rec_server.client(rec.keys["admin"])
        answer = admin.put(f"/v1/deployments/{name}", json={"model": model})
        assert answer.status_code == 200, answer.text
        names.append(name)
        return name

    yield make
    for name in names:
        rec.project.metadata.delete_deployment(name)
