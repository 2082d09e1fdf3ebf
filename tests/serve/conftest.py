"""A real `lepton serve` process on 127.0.0.1 over a project with two trained versions.

The trained project and the server are shared by the session (packages are immutable);
every test gets deployments of its own (``deployment``, ``deploy``), so no test depends
on what another left behind and any test can run alone, or in any order.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from lepton.config import load_settings
from lepton.data.catalog import DataCatalog
from lepton.learn.training import train_dataset
from lepton.store.project import Project
from tests.helpers.home import HomeProject
from tests.helpers.servers import free_port
from tests.serve.faulty import register_faulty

REPO_ROOT = Path(__file__).resolve().parents[2]


def churn_frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    color = rng.choice(["red", "green", "blue"], size=n)
    logit = 1.5 * x1 - x2 + np.where(color == "red", 1.0, -0.5)
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return pd.DataFrame({"x1": x1, "x2": x2, "color": color, "y": y})


class ServedProject(HomeProject):
    """Two trained versions of ``churn`` and a ``faulty`` model that raises on predict."""


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]

    def client(self, key: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return int(self.proc.returncode)


def start_server(
    env: dict[str, str],
    *,
    launcher: tuple[str, ...] = ("-m", "lepton"),
    extra: tuple[str, ...] = (),
) -> Server:
    """`lepton serve` for the project in ``env``, once /readyz answers 200.

    ``launcher`` is how Python starts the CLI (a test may wrap the real entry point).
    """
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, *launcher, "serve", "--port", str(port), "--poll-seconds", "0.3", *extra],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"lepton serve exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return Server(url, proc)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("lepton serve did not become ready within 60 s")


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedProject]:
    home = tmp_path_factory.mktemp("serve-home")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("LEPTON_STORE_URL", "LEPTON_ARTIFACTS_URL", "LEPTON_CONFIG")
    }
    env["LEPTON_HOME"] = str(home)
    # the server unpickles tests.serve.faulty.FaultyModel: let it import the tests package
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    project = Project.open(load_settings(env))
    frame = churn_frame()
    catalog = DataCatalog(project)
    ref = catalog.add_frame(frame, name="churn", target="y")[0].ref
    train_dataset(project, ref, time_limit=8, families=["linear"], n_folds=3)
    ref2 = catalog.add_frame(churn_frame(seed=1), name="churn", target="y")[0].ref
    train_dataset(project, ref2, time_limit=8, families=["linear"], n_folds=3, model_name="churn")
    register_faulty(project, "churn@1", "faulty")
    keys = {
        scope: project.metadata.create_api_key(f"test-{scope}", scopes=[scope])[0]
        for scope in ("predict", "admin", "metrics")
    }
    yield ServedProject(home, env, project, keys, frame)
    project.close()


@pytest.fixture(scope="session")
def server(served: ServedProject) -> Iterator[Server]:
    running = start_server(served.env)
    yield running
    running.stop()


Deploy = Callable[..., str]


@pytest.fixture
def deploy(served: ServedProject, server: Server) -> Iterator[Deploy]:
    """``deploy(model="churn@1")``: a new deployment of ``model`` for this test; its name.

    Created through the admin API, which answers once the server has loaded it; removed
    from the store when the test ends (the servers drop it at their next poll).
    """
    names: list[str] = []

    def make(model: str = "churn@1") -> str:
        name = f"{model.split('@')[0]}-{uuid.uuid4().hex[:10]}"
        admin = server.client(served.keys["admin"])
        answer = admin.put(f"/v1/deployments/{name}", json={"model": model})
        assert answer.status_code == 200, answer.text
        names.append(name)
        return name

    yield make
    for name in names:
        served.project.metadata.delete_deployment(name)


@pytest.fixture
def deployment(deploy: Deploy) -> str:
    """A deployment of churn@1 that only this test uses."""
    return deploy()
