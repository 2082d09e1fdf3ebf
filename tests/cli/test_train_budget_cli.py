"""``lepton train`` says where the budget went; ``lepton models explain`` on demand (issue 18)."""

from __future__ import annotations

import json
from pathlib import Path

from lepton.store.project import Project
from tests.conftest import CliRunner
from tests.serve.conftest import churn_frame


def test_train_reports_its_phases_and_explain_ranks_the_inputs(
    cli: CliRunner, tmp_path: Path
) -> None:
    churn_frame().to_csv(tmp_path / "churn.csv", index=False)
    assert (
        cli("data", "add", str(tmp_path / "churn.csv"), "--name", "churn", "--target", "y").code
        == 0
    )
    trained = cli("train", "churn", "--time-limit", "8", "--families", "linear", "--folds", "2")
    assert trained.code == 0, trained.err
    timing = next(line for line in trained.out.splitlines() if "time:" in line)
    for phase in ("start and data", "search", "importance", "packaging", "registration"):
        assert phase in timing
    run = Project.open().metadata.list_runs(limit=1)[0]
    assert {"seconds_search", "seconds_importance", "seconds_packaging"} <= set(run.metrics)

    explained = cli("models", "explain", "churn", "--rows", "300", "--repeats", "2", "--json")
    assert explained.code == 0, explained.err
    ranked = [row["feature"] for row in json.loads(explained.out)["importance"]]
    assert sorted(ranked) == ["color", "x1", "x2"]  # every input, most important first
    table = cli("models", "explain", "churn@1", "--rows", "300")
    assert table.code == 0 and "permutation importance on 300 rows" in table.out

    bad = cli("models", "explain", "churn", "--rows", "0")
    assert bad.code != 0 and "--rows" in bad.err


def test_train_takes_an_infer_limit_and_refuses_a_bad_one(cli: CliRunner, tmp_path: Path) -> None:
    churn_frame().to_csv(tmp_path / "churn.csv", index=False)
    assert (
        cli("data", "add", str(tmp_path / "churn.csv"), "--name", "churn", "--target", "y").code
        == 0
    )
    args = ("train", "churn", "--time-limit", "8", "--families", "linear", "--folds", "2")
    trained = cli(*args, "--infer-limit", "1e-15")
    assert trained.code == 0, trained.err
    assert "--infer-limit 1e-15 s/row" in " ".join(trained.out.split())
    run = Project.open().metadata.list_runs(limit=1)[0]
    assert run.params["infer_limit"] == 1e-15  # retrain keeps the champion's limit
    bad = cli(*args, "--infer-limit", "-1")
    assert bad.code != 0 and "--infer-limit must be > 0" in bad.err
    assert len(bad.err.strip().splitlines()) == 1
