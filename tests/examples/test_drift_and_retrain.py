"""Integration: the drift-and-retrain example, run small against a real server on 127.0.0.1."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from lepton.config import load_settings
from lepton.serve.deployments import get_spec
from lepton.store.project import Project

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "drift_and_retrain" / "run.py"


def test_drift_is_detected_and_the_challenger_must_win_to_ship(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("drift_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    home = tmp_path / "home"
    result = module.run_example(
        home, rows=1500, stream=500, time_limit=10, families="linear,lightgbm"
    )

    summary = result["summary"]
    assert summary["requests"] == 25 and summary["rows"] == 500
    assert summary["dataset_drift"] is True and "age" in summary["drifted_features"]
    assert summary["labelled_rows"] == 500
    assert any(key.startswith("live_roc_auc_v1") for key in summary)

    decision = result["decision"]
    assert decision["champion"] == 1 and decision["challenger"] == 2
    assert decision["holdout_rows"] == 150
    wins = decision["improvement"] > decision["margin"]
    assert decision["shipped"] == ("canary" if wins else "kept champion")
    project = Project.open(load_settings({"LEPTON_HOME": str(home)}))
    routes = {r.version: r.weight for r in get_spec(project, "adult").routes}
    assert routes == ({1: 90.0, 2: 10.0} if wins else {1: 100.0})
    served = {r["version"]: r["weight"] for r in result["served"]["routes"]}
    assert served == routes  # the running server picked the decision up
    assert (home / "before.html").stat().st_size > 10_000
