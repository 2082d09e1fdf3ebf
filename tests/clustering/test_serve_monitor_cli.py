"""Clustering over a real server, its share-shift check, and the CLI."""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from lepton.monitor.clustering import share_shift
from lepton.runtime.loader import package_folder
from lepton.runtime.manifest import read_manifest
from tests.clustering.conftest import ClusterProject, customers
from tests.serve.conftest import Server


def test_predict_answers_cluster_and_distance_per_record(
    cp: ClusterProject, cp_server: Server
) -> None:
    version = cp.outcome.version
    name = f"seg-{uuid.uuid4().hex[:8]}"
    admin = cp_server.client(cp.keys["admin"])
    put = admin.put(f"/v1/deployments/{name}", json={"model": f"{version.name}@{version.version}"})
    assert put.status_code == 200, put.text
    rows = customers(12, seed=9).drop(columns=["group"])
    client = cp_server.client(cp.keys["predict"])
    answer = client.post(
        f"/v1/deployments/{name}/predict", json={"records": rows.to_dict("records")}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    expected = cp.outcome.automl.model_.assign(rows)
    assert body["predictions"] == expected["cluster"].tolist()
    assert np.allclose(body["distances"], expected["distance"], atol=1e-5)
    bad = client.post(
        f"/v1/deployments/{name}/predict", json={"records": [{"spend": "lots", "visits": 1}]}
    )
    assert 400 <= bad.status_code < 500 and "spend" in bad.text


def test_share_shift_fires_when_live_traffic_moves_to_one_cluster(cp: ClusterProject) -> None:
    manifest = read_manifest(package_folder(cp.project, cp.outcome.version))
    model = cp.outcome.automl.model_
    same = share_shift(manifest, pd.Series(model.predict(customers(300, seed=11))))
    assert same is not None and not same.drifted
    one_group = customers(300, seed=12)
    one_group = one_group[one_group["group"] == 0]
    moved = share_shift(manifest, pd.Series(model.predict(one_group)))
    assert moved is not None and moved.drifted and moved.psi > 0.2


def test_cli_trains_prints_the_profile_and_refuses_bad_k(
    cp: ClusterProject, tmp_path: object
) -> None:
    path = f"{tmp_path}/c.csv"
    customers(120, seed=3).drop(columns=["group"]).to_csv(path, index=False)
    added = cp.lepton("data", "add", path, "--name", "cli-customers")
    assert added.returncode == 0, added.stderr
    trained = cp.lepton(
        "train", "cli-customers", "--task", "clustering", "--k", "3", "--time-limit", "10"
    )
    assert trained.returncode == 0, trained.stderr
    assert "Clusters (" in trained.stdout and "sd" in trained.stdout
    bad = cp.lepton("train", "cli-customers", "--task", "clustering", "--k", "1")
    assert bad.returncode != 0 and "--k must be at least 2" in (bad.stderr + bad.stdout)
    wrong = cp.lepton("train", "cli-customers", "--k", "3")
    assert wrong.returncode != 0 and "--task clustering" in (wrong.stderr + wrong.stdout)


def test_monitor_reports_the_share_shift_and_the_alert_fires(
    cp: ClusterProject, cp_server: Server, tmp_path: Path
) -> None:
    import time

    from lepton.monitor.alerts import AlertRule, evaluate
    from lepton.monitor.summary import summarize, write_report

    version = cp.outcome.version
    name = f"shift-{uuid.uuid4().hex[:8]}"
    admin = cp_server.client(cp.keys["admin"])
    put = admin.put(f"/v1/deployments/{name}", json={"model": f"{version.name}@{version.version}"})
    assert put.status_code == 200, put.text
    rows = customers(200, seed=13)
    rows = rows[rows["group"] == 1].drop(columns=["group"])  # live traffic from one segment
    client = cp_server.client(cp.keys["predict"])
    answer = client.post(
        f"/v1/deployments/{name}/predict", json={"records": rows.to_dict("records")}
    )
    assert answer.status_code == 200, answer.text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the server flushes its prediction log in batches
        summary, data = summarize(cp.project, name, "all")
        if summary.rows >= len(rows):
            break
        time.sleep(0.2)
    assert summary.rows == len(rows)
    assert summary.output_shift is not None and summary.output_shift.drifted
    assert summary.headline()["output_shift"] is True
    fired = evaluate([AlertRule("segments moved", "output_shift")], summary)
    assert [f.rule.name for f in fired] == ["segments moved"]
    page = write_report(summary, data, tmp_path / "report.html").read_text()
    section = page[page.index("<h2>Clusters (") :]
    assert section.count("data:image/png;base64,") == 2  # the projection and the contrasts
    assert "cluster 0" in section and "sets it apart" in section
