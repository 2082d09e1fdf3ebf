"""Train → package → registry → offline predict, and the CLI, for the rules kind."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lepton
from lepton.errors import DataError
from lepton.runtime.loader import load_predictor
from lepton.runtime.manifest import read_manifest
from tests.helpers.home import run_lepton
from tests.rules.conftest import OPTIONS, RulesProject, basket_frame


def test_training_registers_rules_with_a_held_out_hit_rate(rp: RulesProject) -> None:
    outcome = rp.outcome
    automl = outcome.automl
    assert automl.task_ == "rules" and automl.metric_ == "hit_rate@5"
    best = automl.leaderboard_[0]
    assert 0.0 < best.score <= 1.0
    version = outcome.version
    assert version.task == "rules"
    assert version.metrics["cv_hit_rate@5"] == pytest.approx(best.score)
    rules = automl.model_.rules.rules  # type: ignore[union-attr]
    assert rules and all(r.lift > 1 and r.confidence >= 0.1 for r in rules)


def test_package_round_trip_keeps_rules_as_json(rp: RulesProject) -> None:
    from lepton.runtime.loader import package_folder

    folder = package_folder(rp.project, rp.outcome.version)
    manifest = read_manifest(folder)
    assert manifest.kind == "rules" and manifest.task == "rules"
    stored = manifest.extra["rules"]["rules"]
    json.dumps(stored)  # plain JSON
    model = rp.outcome.automl.model_
    assert len(stored) == len(model.rules)  # type: ignore[union-attr]
    predictor, _ = load_predictor(rp.project, "baskets")
    sample = rp.frame.head(200)
    assert np.array_equal(predictor.predict_raw(sample), model.predict_raw(sample))
    basket = list(model.rules.rules[0].antecedent)  # type: ignore[union-attr]
    scores = predictor.predict_records([{"items": basket}])
    best = manifest.labels[int(scores[0].argmax())]
    assert (
        best in model.rules.rules[0].consequent
        or scores[0].max() >= model.rules.rules[0].confidence
    )  # type: ignore[union-attr]


def test_optimize_measures_native_and_states_why_no_onnx(rp: RulesProject) -> None:
    from lepton.optimize import optimize

    result = optimize(rp.project, "baskets", measure_memory=False, measure_seconds=0.1).result
    assert [v.name for v in result.variants] == ["native"]
    assert any("onnx-fp32 not built" in n and "ONNX does not apply" in n for n in result.notes)


def test_a_small_budget_still_registers_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEPTON_HOME", str(tmp_path / "home"))
    model = lepton.fit(
        basket_frame(3000, seed=5), task="rules", time_limit=2, name="quick", **OPTIONS
    )
    assert model.version.version == 1 and model.version.task == "rules"


def test_fit_refuses_missing_columns_and_single_item_baskets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEPTON_HOME", str(tmp_path / "home"))
    with pytest.raises(DataError, match="--item-column 'sku'"):
        lepton.fit(
            basket_frame(50), task="rules", transaction_column="transaction", item_column="sku"
        )
    singles = pd.DataFrame({"transaction": ["a", "b", "c"], "item": ["x", "y", "z"]})
    with pytest.raises(DataError, match="single item"):
        lepton.fit(singles, task="rules", **OPTIONS)
    with pytest.raises(DataError, match="--transaction-column"):
        lepton.fit(basket_frame(50), task="rules", item_column="item")


def test_cli_trains_shows_rules_and_predicts_offline(tmp_path: Path, rp: RulesProject) -> None:
    env = {**rp.env, "LEPTON_HOME": str(tmp_path / "home"), "COLUMNS": "160"}
    data = tmp_path / "baskets.csv"
    basket_frame(600, seed=2).to_csv(data, index=False)
    assert run_lepton(env, "init").returncode == 0
    added = run_lepton(env, "data", "add", str(data), "--name", "shop")
    assert added.returncode == 0, added.stderr
    trained = run_lepton(
        env,
        "train",
        "shop",
        "--task",
        "rules",
        "--transaction-column",
        "transaction",
        "--item-column",
        "item",
        "--time-limit",
        "8",
        "--min-confidence",
        "0.2",
    )
    assert trained.returncode == 0, trained.stderr + trained.stdout
    assert "rules" in trained.stdout and "confidence" in trained.stdout and "lift" in trained.stdout
    assert "registered" in trained.stdout
    out = tmp_path / "next.csv"
    predicted = run_lepton(env, "predict", "shop", str(data), "-o", str(out))
    assert predicted.returncode == 0, predicted.stderr
    scored = pd.read_csv(out)
    assert "next_items_predicted" in scored.columns and len(scored) == len(pd.read_csv(data))
    assert scored["next_items_predicted"].notna().any()
    bad = run_lepton(
        env,
        "train",
        "shop",
        "--task",
        "rules",
        "--transaction-column",
        "order",
        "--item-column",
        "item",
        "--time-limit",
        "5",
    )
    assert bad.returncode != 0 and "'order'" in (bad.stderr + bad.stdout)
    wrong = run_lepton(env, "train", "shop", "--target", "item", "--min-support", "0.1")
    assert wrong.returncode != 0 and "--task rules" in (wrong.stderr + wrong.stdout)
