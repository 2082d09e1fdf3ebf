"""NER on a real server: spans with scores, 4xx naming the field, feedback F1 and drift."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from lepton.monitor.summary import summarize
from tests.helpers.home import Deploy
from tests.ner.conftest import NerProject
from tests.serve.conftest import Server


def _url(name: str) -> str:
    return f"/v1/deployments/{name}/predict"


def _wait_for_log(nerp: NerProject, name: str, rows: int) -> None:
    deadline = time.monotonic() + 30
    while len(nerp.project.predictions.predictions(name)) < rows and time.monotonic() < deadline:
        time.sleep(0.2)


def test_predict_answers_spans_with_offsets_labels_and_scores(
    nerp: NerProject, ner_server: Server, deploy: Deploy
) -> None:
    name = deploy()
    text = "Please close CHG-77421: Laura Rossi at Globex confirmed the fix."
    answer = ner_server.client(nerp.keys["predict"]).post(_url(name), json={"texts": [text]})
    assert answer.status_code == 200, answer.text
    entities = answer.json()["predictions"][0]["entities"]
    assert [(e["text"], e["label"]) for e in entities] == [
        ("CHG-77421", "TICKET"),
        ("Laura Rossi", "PERSON"),
        ("Globex", "ORG"),
    ]
    for entity in entities:
        assert text[entity["start"] : entity["end"]] == entity["text"]
        assert 0.5 < entity["score"] <= 1.0
    records = ner_server.client(nerp.keys["predict"]).post(
        _url(name), json={"records": [{"text": text}]}
    )
    assert records.json()["predictions"][0]["entities"] == entities


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"texts": [""]}, "text"),
        ({"texts": ["   "]}, "text"),
        ({"texts": [42]}, "text"),
        ({"texts": "one text"}, "texts"),
        ({"texts": []}, "texts"),
        ({"rows": ["x"]}, "texts"),
        ({"texts": ["x" * 20_001]}, "text"),
        ({"texts": ["a"], "records": [{"text": "b"}]}, "texts"),
    ],
)
def test_bad_texts_are_a_4xx_naming_the_field(
    nerp: NerProject, ner_server: Server, deploy: Deploy, body: dict[str, Any], field: str
) -> None:
    name = deploy()
    answer = ner_server.client(nerp.keys["predict"]).post(_url(name), json=body)
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json()["error"]["field"] == field


def test_monitor_scores_feedback_entities_and_checks_drift(
    nerp: NerProject, ner_server: Server, deploy: Deploy
) -> None:
    name = deploy()
    client = ner_server.client(nerp.keys["predict"])
    test = nerp.test.head(20)
    answer = client.post(_url(name), json={"texts": test["text"].tolist()}).json()
    rid = answer["request_id"]
    # the truth for the first ten; the last ten get an empty truth (every answer is wrong)
    feedback = [
        {"request_id": rid, "row": row, "label": gold if row < 10 else "[]"}
        for row, gold in enumerate(test["entities"])
    ]
    _wait_for_log(nerp, name, len(test))
    sent = client.post(f"/v1/deployments/{name}/feedback", json={"feedback": feedback})
    assert sent.status_code == 200 and sent.json()["accepted"] == len(test), sent.text
    summary, _ = summarize(nerp.project, name, window="1h")
    f1 = summary.performance[summary.performance["metric"] == "entity_f1"]
    precision = summary.performance[summary.performance["metric"] == "precision"]
    assert len(f1) == 1 and precision.iloc[0]["live"] == pytest.approx(0.5, abs=0.05)
    assert summary.drift is not None
    assert {f.name for f in summary.drift.features} == {"entity_rate", "oov_rate", "label_mix"}
    assert not any(f.drifted for f in summary.drift.features)


def test_drift_flags_texts_from_another_domain(
    nerp: NerProject, ner_server: Server, deploy: Deploy
) -> None:
    name = deploy()
    client = ner_server.client(nerp.keys["predict"])
    recipes = [
        f"Whisk {i} eggs with sugar, fold in the flour and bake for {20 + i} minutes."
        for i in range(40)
    ]
    assert client.post(_url(name), json={"texts": recipes}).status_code == 200
    _wait_for_log(nerp, name, len(recipes))
    summary, _ = summarize(nerp.project, name, window="1h")
    assert summary.drift is not None
    by_name = {f.name: f for f in summary.drift.features}
    assert by_name["oov_rate"].drifted and by_name["entity_rate"].drifted
    logged = nerp.project.predictions.predictions(name)
    assert json.loads(logged["in_entities"].iloc[0]) == []


def test_retrain_turns_fed_back_entities_into_a_challenger_scored_by_f1(
    nerp: NerProject, ner_server: Server, deploy: Deploy
) -> None:
    from lepton.monitor.retrain import retrain

    name = deploy()
    client = ner_server.client(nerp.keys["predict"])
    texts = nerp.test.head(30)
    answer = client.post(_url(name), json={"texts": texts["text"].tolist()}).json()
    feedback = [
        {"request_id": answer["request_id"], "row": row, "label": gold}
        for row, gold in enumerate(texts["entities"])
    ]
    _wait_for_log(nerp, name, len(texts))
    assert (
        client.post(f"/v1/deployments/{name}/feedback", json={"feedback": feedback}).status_code
        == 200
    )
    decision = retrain(nerp.project, name, time_limit=15, margin=0.5)
    assert decision.metric == "entity_f1" and decision.challenger > decision.champion
    assert decision.holdout_rows == 9 and decision.training_rows == len(nerp.frame) + 21
    assert 0.5 < decision.champion_score <= 1.0 and 0.0 <= decision.challenger_score <= 1.0
    assert decision.shipped == "kept champion"  # a 0.5 F1 margin is out of reach
