"""``lepton.api``: every CLI verb from Python, once through the whole loop on a real server."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import lepton
from lepton import api
from tests.serve.conftest import churn_frame, free_port


def test_every_verb_from_python(lepton_home: Path) -> None:
    frame = churn_frame(300, seed=0)
    model = lepton.fit(frame, target="y", time_limit=6, name="churn")
    assert model.ref == "churn@1"

    outcome = api.optimize(model.ref)
    assert outcome.parent.metadata["optimization"]["chosen"]["variant"] == outcome.result.chosen

    spec = api.deploy(model.ref, name="churn")
    assert [r.version for r in spec.routes] == [1]
    second = lepton.fit(churn_frame(300, seed=1), target="y", time_limit=6, name="churn")
    spec = api.deploy(second.ref, name="churn", canary_percent=20, optimize=False)
    assert sorted(r.version for r in spec.routes) == [1, 2]
    assert [r.version for r in api.rollback("churn").routes] == [1]
    api.deploy(second.ref, name="churn", canary_percent=20, optimize=False)
    assert [r.version for r in api.promote("churn").routes] == [2]

    key, _ = api.project().metadata.create_api_key("api-test", scopes=["predict"])
    rows = churn_frame(120, seed=7)
    with api.serve(port=free_port(), poll_seconds=0.3) as server:
        client = lepton.Client(server.url, key)
        answer = client.predict("churn", rows.drop(columns=["y"]))
        assert len(answer) == len(rows) and set(answer["prediction"]) <= {"yes", "no"}
        request_id = answer.attrs["request_id"]
    assert not server.running

    labels = pd.DataFrame({"request_id": request_id, "row": range(len(rows)), "label": rows["y"]})
    result = api.feedback("churn", labels)
    assert result.accepted == len(rows) and result.unknown == []
    assert api.feedback("churn", labels).accepted == 0  # idempotent

    summary = api.monitor("churn", window="all", html=lepton_home / "report.html")
    assert summary.rows == len(rows) and summary.labelled_rows == len(rows)
    assert (lepton_home / "report.html").is_file()

    decision = api.retrain("churn", time_limit=5, margin=1.0)  # a margin nothing can beat
    assert decision.shipped == "kept champion" and decision.champion == 2
