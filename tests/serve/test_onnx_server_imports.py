"""A real server of an ONNX deployment imports the runtime and the server only.

The server process is the real ``lepton serve`` CLI; the test only wraps its start so
that, when SIGTERM ends it, the names in ``sys.modules`` are written to a file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from lepton.config import load_settings
from lepton.data.catalog import DataCatalog
from lepton.learn.training import train_dataset
from lepton.optimize import optimize
from lepton.serve.deployments import deploy
from lepton.store.project import Project
from tests.serve.conftest import churn_frame, start_server

TOOLCHAIN = (
    "torch",
    "skl2onnx",
    "onnx",
    "optuna",
    "lightgbm",
    "xgboost",
    "catboost",
    "sklearn",
    "sentence_transformers",
    "lepton.learn",
    "lepton.optimize",
    "lepton.monitor",
)

WRAPPER = """
import atexit, json, sys
OUT = sys.argv[1]
def dump():
    with open(OUT, "w") as fh:
        json.dump(sorted(sys.modules), fh)
atexit.register(dump)
sys.argv = ["lepton", *sys.argv[2:]]
from lepton.cli.main import main
main()
"""


@pytest.fixture(scope="module")
def onnx_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], str]]:
    home = tmp_path_factory.mktemp("onnx-serve-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEPTON_")}
    env["LEPTON_HOME"] = str(home)
    project = Project.open(load_settings(env))
    ref = DataCatalog(project).add_frame(churn_frame(), name="churn", target="y")[0].ref
    train_dataset(project, ref, time_limit=8, families=["lightgbm"], n_folds=3)
    outcome = optimize(project, "churn", measure_memory=False, measure_seconds=0.2)
    assert outcome.result.chosen.startswith("onnx"), outcome.result.table()
    deploy(project, "churn", name="churn")
    key, _ = project.metadata.create_api_key("imports", scopes=["admin"])  # lists deployments
    project.close()
    yield env, key


def test_an_onnx_deployment_is_served_without_the_toolchain(
    onnx_project: tuple[dict[str, str], str], tmp_path: Path
) -> None:
    env, key = onnx_project
    dump = tmp_path / "modules.json"
    server = start_server(env, launcher=("-c", WRAPPER, str(dump)), extra=("--no-log",))
    try:
        with server.client(key) as client:
            listed = client.get("/v1/deployments").json()["deployments"][0]
            assert all(v.startswith("onnx") for v in listed["loaded"].values()), listed
            row = churn_frame(3, seed=9).drop(columns=["y"]).to_dict(orient="records")
            answer = client.post("/v1/deployments/churn/predict", json={"records": row})
            assert answer.status_code == 200, answer.text
            assert len(answer.json()["probabilities"]) == 3
    finally:
        assert server.stop() == 0
    modules = set(json.loads(dump.read_text()))
    assert "onnxruntime" in modules and "lepton.runtime.onnx_table" in modules  # it did run
    loaded = sorted(m for m in modules if any(m == t or m.startswith(t + ".") for t in TOOLCHAIN))
    assert loaded == []
