"""A real `lepton serve`: score and flag per record, the live anomaly rate, its alert,
live precision/recall/AUC from feedback, and the CLI (train, bad flags, offline predict)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from lepton.monitor.alerts import AlertRule, evaluate
from lepton.monitor.summary import summarize
from tests.anomaly.conftest import AnomalyProject, planted
from tests.serve.conftest import Server


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    return list(frame.drop(columns="is_fraud").to_dict("records"))


def _wait_for_log(an: AnomalyProject, name: str, rows: int) -> None:
    deadline = time.monotonic() + 30
    while len(an.project.predictions.predictions(name)) < rows and time.monotonic() < deadline:
        time.sleep(0.2)


def test_predict_answers_score_and_flag_per_record(
    an: AnomalyProject, an_server: Server, deployment: str
) -> None:
    rows = planted(40, seed=7)
    client = an_server.client(an.keys["predict"])
    answer = client.post(f"/v1/deployments/{deployment}/predict", json={"records": _records(rows)})
    assert answer.status_code == 200, answer.text
    predictions = answer.json()["predictions"]
    assert len(predictions) == 40 and set(predictions[0]) == {"score", "is_anomaly"}
    flagged = np.array([p["is_anomaly"] for p in predictions])
    assert flagged[rows["is_fraud"].to_numpy() == 1].all()
    bad = client.post(f"/v1/deployments/{deployment}/predict", json={"records": [{"amount": 1}]})
    assert bad.status_code in (400, 422) and "delay" in bad.text


def test_monitor_tracks_the_anomaly_rate_and_alerts_on_it(
    an: AnomalyProject, an_server: Server, deployment: str
) -> None:
    client = an_server.client(an.keys["predict"])
    shifted = planted(60, rate=0.5, seed=8)  # half the live rows are anomalies
    answer = client.post(
        f"/v1/deployments/{deployment}/predict", json={"records": _records(shifted)}
    ).json()
    feedback = [
        {"request_id": answer["request_id"], "row": i, "label": int(v)}
        for i, v in enumerate(shifted["is_fraud"])
    ]
    sent = client.post(f"/v1/deployments/{deployment}/feedback", json={"feedback": feedback})
    assert sent.status_code == 200, sent.text
    _wait_for_log(an, deployment, 60)
    summary, _ = summarize(an.project, deployment)
    perf = summary.performance.set_index("metric")
    assert perf.loc["anomaly_rate", "live"] > 0.3
    assert perf.loc["anomaly_rate", "training"] < 0.1
    assert perf.loc["recall", "live"] >= 0.7 and perf.loc["roc_auc", "live"] > 0.85
    rule = AlertRule("too many anomalies", "metric_above", 0.15, "anomaly_rate")
    fired = evaluate([rule], summary)
    assert len(fired) == 1 and "anomaly_rate" in fired[0].message
    calm = AlertRule("calm", "metric_above", 0.9, "anomaly_rate")
    assert evaluate([calm], summary) == []


def test_cli_train_predict_and_bad_flags(an: AnomalyProject, tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    data = folder / "orders.csv"
    planted(120, seed=9).drop(columns="is_fraud").to_csv(data, index=False)
    added = an.lepton("data", "add", str(data), "--name", "cli-orders")
    assert added.returncode == 0, added.stderr
    trained = an.lepton(
        "train", "cli-orders", "--task", "anomaly", "--contamination", "0.1", "--time-limit", "8"
    )
    assert trained.returncode == 0, trained.stderr
    assert "registered" in trained.stdout
    out = folder / "scored.csv"
    predicted = an.lepton("predict", "cli-orders", str(data), "--output", str(out))
    assert predicted.returncode == 0, predicted.stderr + predicted.stdout
    bad = an.lepton("train", "cli-orders", "--task", "anomaly", "--contamination", "0.9")
    assert bad.returncode != 0 and "contamination must be in (0, 0.5]" in bad.stderr + bad.stdout
    wrong = an.lepton("train", "cli-orders", "--contamination", "0.1", "--target", "amount")
    assert wrong.returncode != 0 and "only apply to --task anomaly" in wrong.stderr + wrong.stdout
