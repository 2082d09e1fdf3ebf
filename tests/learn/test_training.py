"""Train → package → register → load, through the library and the CLI, on a real store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.conftest import CliRunner

from lepton.data.catalog import DataCatalog
from lepton.errors import StoreError
from lepton.learn.training import train_dataset
from lepton.runtime.loader import load_predictor, package_folder, resolve
from lepton.store.project import Project

FAST = ["lightgbm", "linear"]


@pytest.fixture()
def project(lepton_home: Path) -> Project:
    return Project.open()


def _add(project: Project, frame: pd.DataFrame, name: str, target: str) -> str:
    return DataCatalog(project).add_frame(frame, name=name, target=target)[0].ref


def test_train_registers_a_complete_package(project: Project, binary_frame: pd.DataFrame) -> None:
    train_ref = _add(project, binary_frame.iloc[:300], "churn", "y")
    test_ref = _add(project, binary_frame.iloc[300:], "churn-test", "y")
    outcome = train_dataset(project, train_ref, time_limit=15, test_ref=test_ref, families=FAST)
    assert outcome.version.version == 1 and outcome.version.task == "binary"
    run = project.metadata.get_run(outcome.run.id)
    assert run.status == "finished" and run.metrics["model_version"] == 1
    assert run.params["time_limit"] == 15 and "cv_roc_auc" in run.metrics
    assert "test_roc_auc" in run.metrics and 0.5 < run.metrics["test_roc_auc"] <= 1
    manifest = json.loads((package_folder(project, outcome.version) / "lepton.json").read_text())
    assert manifest["format"] == "lepton.model/2" and manifest["kind"] == "tabular"
    assert manifest["task"] == "binary" and manifest["target"] == "y"
    assert {c["name"] for c in manifest["input_schema"]} >= {"x1", "x2", "color"}
    assert "cross-validation" in manifest["metrics"]["cv"]["how"]
    assert manifest["lineage"]["dataset"] == train_ref and manifest["lineage"]["run_id"] == run.id
    predictor, record = load_predictor(project, "churn@1")
    rows = binary_frame.iloc[300:].drop(columns=["y"])
    pd.testing.assert_frame_equal(
        predictor.predict_proba(rows), outcome.automl.predict_proba(rows), check_exact=False
    )
    assert set(predictor.predict(rows)) <= {"yes", "no"} and record.version == 1


def test_failed_registration_leaves_no_model_behind(
    project: Project, binary_frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = _add(project, binary_frame, "churn", "y")

    def refuse(*args: object, **kwargs: object) -> None:
        raise StoreError("database went away")

    monkeypatch.setattr(project.metadata, "register_model_version", refuse)
    with pytest.raises(StoreError):
        train_dataset(project, ref, time_limit=10, families=["linear"])
    assert project.artifacts.list("models") == [] and project.metadata.list_models() == []
    [run] = project.metadata.list_runs()
    assert run.status == "failed" and "database went away" in (run.error or "")


def test_a_tampered_package_is_refused(project: Project, binary_frame: pd.DataFrame) -> None:
    ref = _add(project, binary_frame, "churn", "y")
    outcome = train_dataset(project, ref, time_limit=10, families=["linear"])
    pickle_path = package_folder(project, outcome.version) / "native" / "model.pkl"
    pickle_path.write_bytes(pickle_path.read_bytes() + b"\x00")
    with pytest.raises(StoreError, match="corrupt"):
        load_predictor(project, "churn")


def test_cli_train_runs_models_predict(
    cli: CliRunner, binary_frame: pd.DataFrame, tmp_path: Path
) -> None:
    data = tmp_path / "churn.csv"
    binary_frame.to_csv(data, index=False)
    assert cli("data", "add", str(data), "--name", "churn", "--target", "y").code == 0
    trained = cli("train", "churn", "--time-limit", "12", "--families", "lightgbm,linear")
    assert trained.code == 0, trained.err
    assert "Leaderboard (roc_auc" in trained.out and "registered churn@1" in trained.out
    assert "finished" in cli("runs").out
    assert "churn" in cli("models", "list").out
    shown = cli("models", "show", "churn")
    assert "task=binary" in shown.out and "cv roc_auc" in shown.out
    aliased = cli("models", "alias", "churn@1", "production")
    assert aliased.code == 0 and "churn@production → 1" in aliased.out
    out = tmp_path / "scored.csv"
    predicted = cli("predict", "churn@production", str(data), "-o", str(out))
    assert predicted.code == 0
    scored = pd.read_csv(out)
    assert len(scored) == len(binary_frame) and {"y_predicted", "p_yes", "p_no"} <= set(scored)
    assert ((scored["y_predicted"] == scored["y"]).mean()) > 0.6
    # the file holds the model's own predict() and predict_proba()
    import lepton

    model = lepton.load("churn@production")
    inputs = binary_frame.drop(columns=["y"])
    assert list(scored["y_predicted"]) == list(model.predict(inputs))
    assert np.allclose(scored["p_yes"], model.predict_proba(inputs)["yes"])
    bad = cli("train", "churn", "--target", "nope", "--time-limit", "5")
    assert bad.code != 0 and len(bad.err.strip().splitlines()) == 1
    assert "nope" in bad.err
    assert cli("predict", "churn@staging", str(data), "-o", str(out)).code != 0


def test_ctrl_c_keeps_the_best_model_so_far(
    lepton_home: Path, binary_frame: pd.DataFrame, tmp_path: Path
) -> None:
    data = tmp_path / "churn.csv"
    pd.concat([binary_frame] * 5, ignore_index=True).to_csv(data, index=False)
    env = {**os.environ, "LEPTON_HOME": str(lepton_home), "COLUMNS": "200"}
    lepton = [sys.executable, "-m", "lepton"]
    subprocess.run(
        [*lepton, "data", "add", str(data), "--name", "churn", "--target", "y"],
        env=env,
        check=True,
        capture_output=True,
    )
    proc = subprocess.Popen(
        [*lepton, "train", "churn", "--time-limit", "120"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 100
    for line in proc.stderr:  # non-terminal progress: one line per finished trial
        if " finished: cv " in line or time.monotonic() > deadline:
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    assert "interrupted: kept the best so far" in out
    project = Project.open()
    record = resolve(project, "churn")
    assert record.version == 1
    [run] = project.metadata.list_runs(kind="train")
    assert run.status == "interrupted" and run.duration_s is not None and run.duration_s < 110
