"""A trained forecast project, and a real `lepton serve` on 127.0.0.1 over it.

Two versions of ``sales`` (three daily store series, horizon 6) are trained once per
session (packages are immutable); every test makes deployments of its own with
``deploy``, so the tests hold alone and in any order.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

import lepton.compute.executors as executors
from lepton.config import load_settings
from lepton.data.catalog import DataCatalog
from lepton.learn.training import train_dataset
from lepton.store.project import Project
from tests.helpers.home import HomeProject, run_lepton
from tests.serve.conftest import REPO_ROOT, Server, churn_frame, start_server

OPTIONS = {"time_column": "ds", "horizon": 6, "id_column": "store"}
FAMILIES = ["seasonal_naive", "drift"]
STORES = {"a": 10.0, "b": 50.0, "c": 100.0}


def sales_value(store: str, day: int, noise: float = 0.0) -> float:
    """The noise-free pattern of ``store`` on day ``day`` (0 = 2024-01-01), plus ``noise``."""
    base = STORES[store]
    return float(base + 0.1 * base * np.sin(2 * np.pi * day / 7) + noise)


def sales_frame(days: int = 60, seed: int = 0, start: str = "2024-01-01") -> pd.DataFrame:
    """Weekly-seasonal daily sales of three stores of different sizes."""
    rng = np.random.default_rng(seed)
    rows = []
    for store, base in STORES.items():
        for i, ds in enumerate(pd.date_range(start, periods=days, freq="D")):
            value = sales_value(store, i, rng.normal(0, 0.02 * base))
            rows.append({"store": store, "ds": ds, "y": value})
    return pd.DataFrame(rows)


@pytest.fixture(scope="session", autouse=True)
def one_worker() -> Iterator[None]:
    """Train in-process: a process pool's start-up would eat the small budgets here."""
    patch = pytest.MonkeyPatch()
    patch.setattr(executors, "available_cores", lambda: 1)
    yield
    patch.undo()


@dataclass
class ForecastProject(HomeProject):
    dataset: str

    def lepton(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return run_lepton({**self.env, **env}, *args)


def train_sales(project: Project, ref: str, **extra: object) -> int:
    outcome = train_dataset(
        project,
        ref,
        target="y",
        task="forecast",
        time_limit=10,
        families=FAMILIES,
        options=dict(OPTIONS),
        model_name="sales",
        **extra,  # type: ignore[arg-type]
    )
    return outcome.version.version


@pytest.fixture(scope="session")
def fc(tmp_path_factory: pytest.TempPathFactory, one_worker: None) -> Iterator[ForecastProject]:
    home = tmp_path_factory.mktemp("forecast-home")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("LEPTON_STORE_URL", "LEPTON_ARTIFACTS_URL", "LEPTON_CONFIG")
    }
    env["LEPTON_HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    project = Project.open(load_settings(env))
    frame = sales_frame()
    ref = DataCatalog(project).add_frame(frame, name="sales", target="y")[0].ref
    assert train_sales(project, ref) == 1
    assert train_sales(project, ref, seed=1) == 2
    churn = DataCatalog(project).add_frame(churn_frame(200), name="churn", target="y")[0].ref
    train_dataset(project, churn, time_limit=8, families=["linear"], n_folds=3)
    keys = {
        scope: project.metadata.create_api_key(f"test-{scope}", scopes=[scope])[0]
        for scope in ("predict", "admin", "metrics")
    }
    yield ForecastProject(home, env, project, keys, frame, ref)
    project.close()


@pytest.fixture(scope="session")
def fc_server(fc: ForecastProject) -> Iterator[Server]:
    running = start_server(fc.env)
    yield running
    running.stop()


Deploy = Callable[..., str]


@pytest.fixture
def deploy(fc: ForecastProject, fc_server: Server) -> Iterator[Deploy]:
    """``deploy("sales@1", canary_percent=…, shadow=…)``: a deployment only this test uses."""
    names: list[str] = []

    def make(model: str = "sales@1", *, name: str | None = None, **options: object) -> str:
        name = name or f"{model.split('@')[0]}-{uuid.uuid4().hex[:10]}"
        admin = fc_server.client(fc.keys["admin"])
        answer = admin.put(f"/v1/deployments/{name}", json={"model": model, **options})
        assert answer.status_code == 200, answer.text
        if name not in names:
            names.append(name)
        return name

    yield make
    for name in names:
        fc.project.metadata.delete_deployment(name)


def seasonal_series(
    n_series: int = 4,
    length: int = 72,
    *,
    season: int = 12,
    freq: str = "MS",
    seed: int = 0,
    noise: float = 0.5,
    with_price: bool = False,
) -> pd.DataFrame:
    """Monthly series ``store, month, sales`` (+ ``price`` whose effect is known)."""
    rng = np.random.default_rng(seed)
    rows = []
    stamps = pd.date_range("2015-01-01", periods=length, freq=freq)
    for s in range(n_series):
        level = 20.0 + 10.0 * s
        t = np.arange(length)
        price = rng.uniform(0.0, 1.0, size=length)
        y = (
            level
            + 0.2 * t
            + 4.0 * np.sin(2 * np.pi * t / season + s)
            + rng.normal(0, noise, size=length)
        )
        if with_price:
            y = y - 8.0 * price
        for i in range(length):
            row = {"store": f"s{s}", "month": stamps[i], "sales": float(y[i])}
            if with_price:
                row["price"] = float(price[i])
            rows.append(row)
    return pd.DataFrame(rows)
