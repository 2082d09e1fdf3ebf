"""Rules on a real server: next items with the rules that fired, errors, feedback, monitor."""

from __future__ import annotations

import time
from typing import Any

import pytest

from lepton.monitor.summary import summarize
from lepton.runtime.loader import load_predictor
from tests.rules.conftest import Deploy, RulesProject
from tests.serve.conftest import Server


def _url(name: str) -> str:
    return f"/v1/deployments/{name}/predict"


def _baskets(rp: RulesProject, n: int) -> list[list[str]]:
    model = rp.outcome.automl.model_
    return [list(r.antecedent) for r in model.rules.rules[:n]]  # type: ignore[union-attr]


def test_predict_ranks_next_items_with_the_rules_that_fired(
    rp: RulesProject, rules_server: Server, deploy: Deploy
) -> None:
    name = deploy()
    baskets = _baskets(rp, 3)
    answer = rules_server.client(rp.keys["predict"]).post(
        _url(name), json={"records": [{"items": b} for b in baskets], "k": 3}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["model"] == "baskets" and len(body["predictions"]) == 3
    predictor, _ = load_predictor(rp.project, "baskets")
    model: Any = predictor.model
    for basket, got in zip(baskets, body["predictions"], strict=True):
        expected = model.recommend(basket, 3)
        assert [i["item"] for i in got["items"]] == [e["item"] for e in expected]
        assert [i["score"] for i in got["items"]] == pytest.approx([e["score"] for e in expected])
        top = got["items"][0]
        assert set(top["rule"]["antecedent"]) <= set(basket)
        assert top["item"] in top["rule"]["consequent"]
        assert top["score"] == pytest.approx(top["rule"]["confidence"])
        assert got["n_rules_fired"] >= 1 and got["rules"]
        assert all(set(r["antecedent"]) <= set(basket) for r in got["rules"])


def test_unknown_items_answer_no_suggestions(
    rp: RulesProject, rules_server: Server, deploy: Deploy
) -> None:
    name = deploy()
    answer = rules_server.client(rp.keys["predict"]).post(
        _url(name), json={"baskets": [["never-sold-item"]]}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["predictions"] == [{"items": [], "rules": [], "n_rules_fired": 0}]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"records": [{"items": []}]}, "items"),
        ({"records": [{"basket": ["a"]}]}, "items"),
        ({"records": [{"items": "bread"}]}, "items"),
        ({"records": []}, "records"),
        ({"rows": []}, "records"),
        ({"records": [{"items": ["a"]}], "k": 0}, "k"),
    ],
)
def test_bad_baskets_are_a_4xx_naming_the_field(
    rp: RulesProject, rules_server: Server, deploy: Deploy, body: dict[str, Any], field: str
) -> None:
    name = deploy()
    answer = rules_server.client(rp.keys["predict"]).post(_url(name), json=body)
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json()["error"]["field"] == field


def _wait_for_log(rp: RulesProject, name: str, rows: int) -> None:
    deadline = time.monotonic() + 30
    while len(rp.project.predictions.predictions(name)) < rows and time.monotonic() < deadline:
        time.sleep(0.2)


def test_monitor_hit_rate_from_feedback_and_basket_drift(
    rp: RulesProject, rules_server: Server, deploy: Deploy
) -> None:
    name = deploy()
    client = rules_server.client(rp.keys["predict"])
    baskets = _baskets(rp, 10)
    answer = client.post(_url(name), json={"records": [{"items": b} for b in baskets]}).json()
    rid = answer["request_id"]
    # half the customers added the top suggestion, half something never suggested
    feedback = []
    for row, prediction in enumerate(answer["predictions"]):
        added = prediction["items"][0]["item"] if row % 2 == 0 else "never-sold-item"
        feedback.append({"request_id": rid, "row": row, "label": added})
    _wait_for_log(rp, name, len(baskets))
    sent = client.post(f"/v1/deployments/{name}/feedback", json={"feedback": feedback})
    assert sent.status_code == 200 and sent.json()["accepted"] == len(baskets), sent.text
    summary, _ = summarize(rp.project, name, window="1h")
    rows = summary.performance[summary.performance["metric"] == "hit_rate@5"]
    assert len(rows) == 1 and rows.iloc[0]["live"] == pytest.approx(0.5)
    assert rows.iloc[0]["training"] == pytest.approx(rp.outcome.automl.leaderboard_[0].score)
    assert summary.drift is not None
    assert {f.name for f in summary.drift.features} == {"item_share", "basket_size"}


def test_drift_flags_a_changed_item_mix(
    rp: RulesProject, rules_server: Server, deploy: Deploy
) -> None:
    name = deploy()
    client = rules_server.client(rp.keys["predict"])
    odd = [[f"new-item-{i}", f"new-item-{i + 1}", f"new-item-{i + 2}"] for i in range(40)]
    assert client.post(_url(name), json={"baskets": odd}).status_code == 200
    _wait_for_log(rp, name, len(odd))
    summary, _ = summarize(rp.project, name, window="1h")
    assert summary.drift is not None
    share = next(f for f in summary.drift.features if f.name == "item_share")
    assert share.drifted and share.score > 0.5


def test_html_report_shows_the_top_rules(
    rp: RulesProject, rules_server: Server, deploy: Deploy, tmp_path: Any
) -> None:
    from lepton.monitor.summary import write_report

    name = deploy()
    client = rules_server.client(rp.keys["predict"])
    assert client.post(_url(name), json={"baskets": _baskets(rp, 5)}).status_code == 200
    _wait_for_log(rp, name, 5)
    summary, data = summarize(rp.project, name, window="1h")
    page = write_report(summary, data, tmp_path / "report.html").read_text()
    first = rp.outcome.automl.model_.rules.rules[0]  # type: ignore[union-attr]
    assert "Top 25 of" in page or "Top " in page
    assert f"{first.confidence:.3f}" in page and first.antecedent[0] in page
    assert "basket_size" in page
