"""Train → package → registry → offline predict, the CLI and bad input, for the NER kind."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import lepton
from lepton.errors import DataError
from lepton.runtime.loader import load_predictor, package_folder
from lepton.runtime.manifest import read_manifest
from tests.helpers.home import run_lepton
from tests.ner.conftest import NerProject, ticket_frame


def test_fine_tuning_learns_a_label_the_pretrained_pipeline_never_saw(nerp: NerProject) -> None:
    automl = nerp.outcome.automl
    assert automl.task_ == "ner" and automl.metric_ == "entity_f1"
    rows = {r.model: r for r in automl.leaderboard_}
    assert rows["fine-tuned"].weight == 1.0 and rows["pretrained"].weight == 0.0
    assert rows["fine-tuned"].score > rows["pretrained"].score + 0.1
    assert rows["fine-tuned"].predict_ms_per_row > 0 and rows["pretrained"].predict_ms_per_row > 0
    holdout = automl.model_.details["holdout"]  # type: ignore[union-attr]
    assert holdout["fine-tuned"]["per_label"]["TICKET"]["f1"] > 0.9
    assert holdout["pretrained"]["per_label"].get("TICKET", {"f1": 0.0})["f1"] < 0.9
    test = nerp.outcome.test_report
    assert test is not None and test["metrics"]["entity_f1"] > 0.9


def test_package_round_trip_answers_the_same_spans(nerp: NerProject) -> None:
    folder = package_folder(nerp.project, nerp.outcome.version)
    manifest = read_manifest(folder)
    assert manifest.kind == "ner" and manifest.task == "ner"
    extra = manifest.extra["ner"]
    assert set(extra["labels"]) == {"PERSON", "ORG", "GPE", "TICKET"}
    assert extra["profile"]["vocab"] and extra["profile"]["label_share"]
    predictor, _ = load_predictor(nerp.project, "tickets")
    texts = nerp.test["text"].head(10).tolist()
    loaded = predictor.predict_records([{"text": t} for t in texts])
    trained = nerp.outcome.automl.model_.predict_records([{"text": t} for t in texts])  # type: ignore[union-attr]
    assert [list(x) for x in loaded] == [list(x) for x in trained]
    for text, found in zip(texts, loaded, strict=True):
        for entity in found:
            assert text[entity["start"] : entity["end"]] == entity["text"]
            assert 0.0 <= entity["score"] <= 1.0


def test_offline_predict_writes_entities_as_json(nerp: NerProject, tmp_path: Path) -> None:
    source = tmp_path / "texts.csv"
    pd.DataFrame({"text": ["Ticket REQ-12345 was opened by Emma Brown in Tokyo."]}).to_csv(
        source, index=False
    )
    out = tmp_path / "out.csv"
    done = nerp.lepton("predict", "tickets", str(source), "-o", str(out))
    assert done.returncode == 0, done.stderr
    entities = json.loads(pd.read_csv(out)["entities_predicted"][0])
    assert {"text": "REQ-12345", "label": "TICKET"}.items() <= entities[0].items()
    assert [e["label"] for e in entities] == ["TICKET", "PERSON", "GPE"]


def test_optimize_measures_native_and_states_why_no_onnx(nerp: NerProject) -> None:
    from lepton.optimize import optimize

    result = optimize(nerp.project, "tickets", measure_memory=False, measure_seconds=0.1).result
    assert [v.name for v in result.variants] == ["native"]
    native = result.variants[0].measurement
    assert native is not None and native.metric > 0.9
    assert any("onnx-fp32 not built" in n and "state machine" in n for n in result.notes)


def test_without_annotations_the_pretrained_pipeline_is_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEPTON_HOME", str(tmp_path / "home"))
    texts = ticket_frame(40)[["text"]]
    model = lepton.fit(texts, task="ner", time_limit=20, name="plain")
    assert model.version.task == "ner"
    found = json.loads(
        model.predict(pd.DataFrame({"text": ["Angela Merkel visited Paris on Monday."]})).iloc[0]
    )
    assert {(e["text"], e["label"]) for e in found} >= {
        ("Angela Merkel", "PERSON"),
        ("Paris", "GPE"),
    }


def test_cli_reads_conll_and_fine_tunes(tmp_path: Path) -> None:
    from tests.helpers.home import home_env

    env = home_env(tmp_path / "home")
    lines = []
    for _, row in ticket_frame(120, seed=3).iterrows():
        spans = json.loads(row["entities"])
        position = 0
        for token in row["text"].split(" "):
            start = row["text"].index(token, position)
            position = start + len(token)
            tag = "O"
            for s, e, label in spans:
                if s <= start < e:
                    tag = ("B-" if start == s else "I-") + label
            lines.append(f"{token} {tag}")
        lines.append("")
    source = tmp_path / "tickets.conll"
    source.write_text("\n".join(lines))
    assert run_lepton(env, "data", "add", str(source), "--name", "conll").returncode == 0
    done = run_lepton(env, "train", "conll", "--task", "ner", "--time-limit", "30")
    assert done.returncode == 0, done.stderr
    assert "fine-tuned" in done.stdout and "registered conll@1" in done.stdout


@pytest.mark.parametrize(
    ("frame", "options", "message"),
    [
        (
            pd.DataFrame({"text": ["a b", ""], "entities": ["[]", "[]"]}),
            {},
            "row 1: 'text' is empty",
        ),
        (pd.DataFrame({"body": ["x"]}), {}, "needs a text column"),
        (
            pd.DataFrame({"text": ["Paris is big."] * 3, "entities": ['[[0, 5, "GPE"]]'] * 3}),
            {},
            "at least 10 texts with entities",
        ),
        (
            pd.DataFrame({"text": ["Paris is big."], "entities": ['[[0, 50, "GPE"]]']}),
            {},
            "out of range",
        ),
        (pd.DataFrame({"text": ["x"]}), {"entities_column": "spans"}, "--entities-column 'spans'"),
    ],
)
def test_bad_training_input_is_refused_and_registers_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    frame: pd.DataFrame,
    options: dict[str, str],
    message: str,
) -> None:
    monkeypatch.setenv("LEPTON_HOME", str(tmp_path / "home"))
    with pytest.raises(DataError, match=message):
        lepton.fit(frame, task="ner", time_limit=10, name="bad", **options)
    assert lepton.project().metadata.list_models() == []
