"""A trained clustering project (three groups of customers) and a real server over it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lepton.config import load_settings
from lepton.data.catalog import DataCatalog
from lepton.learn.training import TrainOutcome, train_dataset
from lepton.store.project import Project
from tests.serve.conftest import REPO_ROOT, Server, start_server

CENTERS = np.array([[0.0, 0.0], [6.0, 6.0], [0.0, 7.0]])


def customers(n: int = 240, seed: int = 0) -> pd.DataFrame:
    """Three separated groups in two numbers and a category that follows the group."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, size=n)
    xy = CENTERS[group] + rng.normal(0, 0.7, size=(n, 2))
    plan = np.where(rng.random(n) < 0.85, np.array(["basic", "pro", "team"])[group], "basic")
    return pd.DataFrame({"spend": xy[:, 0], "visits": xy[:, 1], "plan": plan, "group": group})


@dataclass
class ClusterProject:
    home: Path
    env: dict[str, str]
    project: Project
    keys: dict[str, str]
    frame: pd.DataFrame
    outcome: TrainOutcome

    def lepton(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "lepton", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )


@pytest.fixture(scope="session")
def cp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterProject]:
    home = tmp_path_factory.mktemp("cluster-home")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("LEPTON_STORE_URL", "LEPTON_ARTIFACTS_URL", "LEPTON_CONFIG")
    }
    env["LEPTON_HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    project = Project.open(load_settings(env))
    frame = customers()
    ref = DataCatalog(project).add_frame(frame.drop(columns=["group"]), name="customers")[0].ref
    outcome = train_dataset(project, ref, task="clustering", time_limit=10)
    keys = {
        scope: project.metadata.create_api_key(f"test-{scope}", scopes=[scope])[0]
        for scope in ("predict", "admin")
    }
    yield ClusterProject(home, env, project, keys, frame, outcome)
    project.close()


@pytest.fixture(scope="session")
def cp_server(cp: ClusterProject) -> Iterator[Server]:
    running = start_server(cp.env)
    yield running
    running.stop()
