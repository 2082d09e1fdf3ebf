"""Package round trip, CLI, a real server's top-k / similar / cold start, feedback hit rate."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from lepton.learn.recommend.evaluation import evaluate_recommend
from lepton.monitor.summary import summarize
from lepton.runtime.loader import load_predictor, package_folder
from tests.recommend.conftest import Deploy, RecProject
from tests.serve.conftest import Server


def test_package_holds_arrays_not_pickled_factors(rec: RecProject) -> None:
    predictor, record = load_predictor(rec.project, "tastes@1")
    folder = package_folder(rec.project, record)
    assert (folder / "native" / "recommend.npz").is_file()
    with zipfile.ZipFile(folder / "native" / "recommend.npz") as arrays:
        assert "users.npy" in arrays.namelist()
    assert (folder / "native" / "model.pkl").stat().st_size < 4000  # names and settings only
    model = predictor.model
    assert predictor.manifest.kind == "recommend" and predictor.manifest.task == "recommend"
    extra = predictor.manifest.extra["recommend"]
    assert extra["family"] in {"item_knn", "ease"} and extra["n_users"] == 60
    answer = model.recommend("u1", 4)  # a "b" user
    assert [i["item"][0] for i in answer["items"]].count("b") == 4
    later = pd.DataFrame(
        [{"user": f"u{u}", "item": f"{'ab'[u % 2]}{i}"} for u in range(10) for i in range(12)]
    )  # each user's whole group: what they have not seen yet is what they go on to like
    report = evaluate_recommend(model, later)
    assert set(report["metrics"]) == {"precision@10", "recall@10", "ndcg@10", "coverage"}
    assert report["n_users"] == 10 and report["metrics"]["ndcg@10"] > 0.9


def test_cli_train_and_offline_predict(rec: RecProject, tmp_path: Path) -> None:
    data = tmp_path / "tastes.csv"
    rec.frame.to_csv(data, index=False)
    added = rec.lepton("data", "add", str(data), "--name", "tastes-cli")
    assert added.returncode == 0, added.stderr
    trained = rec.lepton(
        "train", "tastes-cli", "--task", "recommend", "--user-column", "user",
        "--item-column", "item", "--time-column", "ts", "--k", "5", "--time-limit", "8",
        "--families", "popularity,item_knn",
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr + trained.stdout
    users = tmp_path / "users.csv"
    pd.DataFrame({"user": ["u0", "nobody"]}).to_csv(users, index=False)
    out = tmp_path / "out.csv"
    predicted = rec.lepton("predict", "tastes-cli", str(users), "-o", str(out))
    assert predicted.returncode == 0, predicted.stderr
    frame = pd.read_csv(out)
    first = frame["item_predicted"].iloc[0].split()
    assert len(first) == 5 and all(i.startswith("a") for i in first[:4])  # its 4 unseen a items
    assert frame["item_predicted"].iloc[1].split()[0] == "hit"  # the popular item


def test_cli_bad_input_is_one_line_naming_the_column(rec: RecProject) -> None:
    result = rec.lepton(
        "train", rec.dataset, "--task", "recommend", "--user-column", "user",
        "--item-column", "nope", "--time-limit", "5",
    )  # fmt: skip
    assert result.returncode != 0
    assert "'nope'" in (result.stderr + result.stdout)
    assert "Traceback" not in result.stderr


def test_server_top_k_similar_and_cold_start(
    rec: RecProject, rec_server: Server, deploy: Deploy
) -> None:
    name = deploy()
    client = rec_server.client(rec.keys["predict"])
    url = f"/v1/deployments/{name}/recommend"
    answer = client.post(
        url,
        json={"records": [{"user": "u0", "k": 3}, {"user": "stranger", "k": 2}, {"item": "b1"}]},
    )
    assert answer.status_code == 200, answer.text
    known, cold, similar = answer.json()["recommendations"]
    assert known["fallback"] is None and len(known["items"]) == 3
    seen = set(rec.frame.query("user == 'u0'")["item"])
    assert all(i["item"].startswith("a") and i["item"] not in seen for i in known["items"])
    assert cold["fallback"] == "popularity" and cold["items"][0]["item"] == "hit"
    assert similar["item"] == "b1" and len(similar["items"]) == 10
    assert all(i["item"] != "b1" for i in similar["items"])
    bad = client.post(url, json={"records": [{"user": "u0", "k": 0}]})
    assert bad.status_code == 422 or bad.status_code == 400
    assert "records[0].k" in bad.text
    missing = client.post(url, json={"item": "not-an-item"})
    assert missing.status_code == 404 and "item" in missing.text
    wrong = client.post(f"/v1/deployments/{name}/predict", json={"records": [{"user": "u0"}]})
    assert wrong.status_code == 400 and "/recommend" in wrong.text


def test_feedback_is_scored_as_hit_rate(
    rec: RecProject, rec_server: Server, deploy: Deploy
) -> None:
    name = deploy()
    client = rec_server.client(rec.keys["predict"])
    url = f"/v1/deployments/{name}/recommend"
    served = []
    for user in ("u0", "u2", "u4", "u6"):
        body = client.post(url, json={"user": user, "k": 3}).json()
        served.append(
            (body["request_id"], [i["item"] for i in body["recommendations"][0]["items"]])
        )
    feedback = [
        {"request_id": served[0][0], "label": served[0][1][0]},  # a hit
        {"request_id": served[1][0], "label": served[1][1][2]},  # a hit
        {"request_id": served[2][0], "label": "b7"},  # a miss
        {"request_id": served[3][0], "label": "b8"},  # a miss
    ]
    answer = client.post(f"/v1/deployments/{name}/feedback", json={"feedback": feedback})
    assert answer.status_code == 200, answer.text
    rec_server.client(rec.keys["admin"])  # the log is flushed by the feedback call
    summary, _ = summarize(rec.project, name)
    rows = summary.performance
    hit = rows[rows["metric"] == "hit_rate"]
    assert len(hit) == 1 and hit["live"].iloc[0] == 0.5 and hit["n"].iloc[0] == 4
    assert np.isfinite(hit["training"].iloc[0])
