"""Integration: a real uvicorn server on 127.0.0.1, real HTTP, the real store."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
import time
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from lepton.runtime.loader import load_predictor
from lepton.serve.client import Client
from lepton.serve.predlog import read_log
from tests.serve.conftest import ServedProject, Server, start_server

PREDICT = "/v1/deployments/churn/predict"


def _records(served: ServedProject, n: int = 5) -> list[dict[str, Any]]:
    rows = served.frame.drop(columns="y").head(n)
    return list(rows.to_dict(orient="records"))


def test_health_is_open_everything_else_needs_a_key(served: ServedProject, server: Server) -> None:
    anonymous = server.client(None)
    assert anonymous.get("/healthz").json() == {"status": "ok"}
    assert anonymous.get("/readyz").json()["deployments"] == ["churn"]
    refused = anonymous.post(PREDICT, json={"records": _records(served)})
    assert refused.status_code == 401 and "API key" in refused.json()["error"]["message"]
    assert server.client("lep_not-a-real-key").get("/v1/deployments").status_code == 401
    assert anonymous.get("/metrics").status_code == 401
    wrong_scope = server.client(served.keys["metrics"]).post(PREDICT, json={"records": []})
    assert wrong_scope.status_code == 403
    admin_only = server.client(served.keys["predict"]).post("/v1/deployments/churn/rollback")
    assert admin_only.status_code == 403


def test_predict_answers_like_the_registered_model(served: ServedProject, server: Server) -> None:
    records = _records(served, 20)
    answer = server.client(served.keys["predict"]).post(PREDICT, json={"records": records})
    assert answer.status_code == 200
    body = answer.json()
    assert body["version"] == 1 and body["model"] == "churn" and len(body["request_id"]) == 32
    assert answer.headers["x-request-id"] == body["request_id"]
    predictor, _ = load_predictor(served.project, "churn@1")
    expected = predictor.predict_proba(pd.DataFrame(records))
    got = np.asarray(body["probabilities"])
    assert body["labels"] == list(expected.columns)
    np.testing.assert_allclose(got, expected.to_numpy(), atol=1e-5)
    assert body["predictions"] == list(predictor.predict(pd.DataFrame(records)))


def test_columns_csv_and_multipart_inputs(served: ServedProject, server: Server) -> None:
    client = server.client(served.keys["predict"])
    frame = served.frame.drop(columns="y").head(7)
    columns = {k: list(v.values()) for k, v in frame.to_dict().items()}
    assert len(client.post(PREDICT, json={"columns": columns}).json()["predictions"]) == 7
    csv = frame.to_csv(index=False).encode()
    by_csv = client.post(PREDICT, content=csv, headers={"Content-Type": "text/csv"})
    assert by_csv.status_code == 200 and len(by_csv.json()["predictions"]) == 7
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    upload = client.post(PREDICT, files={"file": ("rows.parquet", buffer.getvalue())})
    assert upload.status_code == 200 and len(upload.json()["predictions"]) == 7


def test_bad_input_gets_4xx_naming_the_field(served: ServedProject, server: Server) -> None:
    client = server.client(served.keys["predict"])
    good = _records(served, 1)[0]
    cases = [
        ({"records": [{**good, "x1": "high"}]}, 422, "x1"),
        ({"records": [{k: v for k, v in good.items() if k != "x2"}]}, 422, "x2"),
        ({"records": [{**good, "color": "purple"}]}, 422, "color"),
        ({"records": "nope"}, 422, "records"),
        ({"records": [good] * 10_001}, 413, "records"),
    ]
    for body, status, field in cases:
        answer = client.post(PREDICT, json=body)
        assert answer.status_code == status, answer.text
        assert answer.json()["error"]["field"] == field
    broken = client.post(
        PREDICT, content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 422 and broken.json()["error"]["field"] == "body"
    bad_csv = client.post(PREDICT, content=b"\x00\xff", headers={"Content-Type": "text/csv"})
    assert bad_csv.status_code == 422
    missing = client.post("/v1/deployments/nope/predict", json={"records": [good]})
    assert missing.status_code == 404 and "nope" in missing.json()["error"]["message"]


def test_metrics_count_requests_batches_and_errors(served: ServedProject, server: Server) -> None:
    client = server.client(served.keys["predict"])
    client.post(PREDICT, json={"records": _records(served, 3)})
    client.post(PREDICT, json={"records": [{"x1": "bad"}]})
    text = server.client(served.keys["metrics"]).get("/metrics").text
    assert 'lepton_requests_total{deployment="churn",status="200",version="1"}' in text
    assert 'lepton_errors_total{deployment="churn",status="422"}' in text
    assert "lepton_batch_size_rows_bucket" in text and "lepton_queue_depth_rows" in text
    assert "lepton_request_latency_seconds_bucket" in text


def test_client_and_remote_cli(served: ServedProject, server: Server, tmp_path: Any) -> None:
    frame = served.frame.drop(columns="y").head(12)
    with Client(server.url, served.keys["predict"]) as client:
        scored = client.predict("churn", frame)
        assert len(scored) == 12 and {"prediction", "p_yes", "p_no"} <= set(scored.columns)
        assert client.deployments()[0]["name"] == "churn"
    data = tmp_path / "rows.csv"
    frame.to_csv(data, index=False)
    out = tmp_path / "scored.csv"
    env_key = {**served.env, "LEPTON_API_KEY": served.keys["predict"]}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lepton",
            "predict",
            "churn",
            str(data),
            "-o",
            str(out),
            "--remote",
            server.url,
        ],
        env=env_key,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert len(pd.read_csv(out)) == 12 and "p_yes" in pd.read_csv(out).columns
    bad = served.lepton("predict", "churn", str(data), "-o", str(out), "--remote", server.url)
    assert bad.returncode != 0 and "401" in bad.stderr


def _hammer(server: Server, key: str, body: dict[str, Any], stop: threading.Event) -> Counter[Any]:
    seen: Counter[Any] = Counter()
    with server.client(key) as client:
        while not stop.is_set():
            answer = client.post(PREDICT, json=body)
            seen[answer.json()["version"] if answer.status_code == 200 else answer.status_code] += 1
    return seen


def _wait_for(server: Server, key: str, check: Any) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        deployments = server.client(key).get("/v1/deployments").json()["deployments"]
        if check(deployments[0]):
            return
        time.sleep(0.1)
    raise AssertionError("the server never picked up the deployment change")


def test_canary_promote_rollback_without_dropping_requests(
    served: ServedProject, server: Server
) -> None:
    key, body = served.keys["predict"], {"records": _records(served, 2)}
    done = served.lepton("deploy", "churn@2", "--name", "churn", "--canary", "30")
    assert done.returncode == 0, done.stderr
    _wait_for(server, key, lambda d: len(d["routes"]) == 2)
    stop = threading.Event()
    results: list[Counter[Any]] = []
    workers = [
        threading.Thread(target=lambda: results.append(_hammer(server, key, body, stop)))
        for _ in range(4)
    ]
    for w in workers:
        w.start()
    time.sleep(1.0)
    assert served.lepton("deployments", "promote", "churn").returncode == 0
    _wait_for(server, key, lambda d: d["routes"] == [{"version": 2, "weight": 100.0}])
    time.sleep(0.5)
    stop.set()
    for w in workers:
        w.join()
    seen = sum(results, Counter())
    assert set(seen) == {1, 2}, seen  # both answered, and no request failed during the swap
    after = server.client(key).post(PREDICT, json=body).json()
    assert after["version"] == 2
    admin = server.client(served.keys["admin"])
    rolled = admin.post("/v1/deployments/churn/rollback")
    assert rolled.status_code == 200 and rolled.json()["routes"][0]["version"] == 1
    assert server.client(key).post(PREDICT, json=body).json()["version"] == 1


def test_shadow_gets_a_copy_that_is_logged_never_returned(
    served: ServedProject, server: Server
) -> None:
    admin = server.client(served.keys["admin"])
    put = admin.put("/v1/deployments/churn", json={"model": "churn@2", "shadow": True})
    assert put.status_code == 200 and put.json()["shadows"] == [2]
    client = server.client(served.keys["predict"])
    ids = []
    for _ in range(5):
        answer = client.post(PREDICT, json={"records": _records(served, 3)}).json()
        assert answer["version"] == 1
        ids.append(answer["request_id"])
    bad = admin.put("/v1/deployments/churn", json={"model": "churn@9"})
    assert bad.status_code == 404
    missing_field = admin.put("/v1/deployments/churn", json={"shadow": True})
    assert missing_field.status_code == 422 and missing_field.json()["error"]["field"] == "model"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        log = read_log(served.home / "logs" / "predictions", "churn")
        mine = log[log["request_id"].isin(ids)] if len(log) else log
        if len(mine) and set(mine["role"]) == {"primary", "shadow"}:
            break
        time.sleep(0.3)
    assert (mine[mine.role == "shadow"].version == 2).all() and (mine.role == "shadow").sum() == 15
    assert {"in_x1", "in_color", "out_prediction", "out_p_yes"} <= set(log.columns)


def test_graceful_shutdown_flushes_every_acknowledged_prediction(served: ServedProject) -> None:
    own = start_server(served.env)
    acknowledged = []
    with own.client(served.keys["predict"]) as client:
        for _ in range(30):
            answer = client.post(PREDICT, json={"records": _records(served, 4)})
            assert answer.status_code == 200
            acknowledged.append(answer.json()["request_id"])
    assert own.stop() == 0
    log = read_log(served.home / "logs" / "predictions", "churn")
    primary = log[(log.role == "primary") & log.request_id.isin(acknowledged)]
    assert set(primary.request_id) == set(acknowledged) and len(primary) == 30 * 4


def test_feedback_attaches_ground_truth_by_request_id(
    served: ServedProject, server: Server
) -> None:
    client = server.client(served.keys["predict"])
    answer = client.post(PREDICT, json={"records": _records(served, 2)}).json()
    rid = answer["request_id"]
    items = [
        {"request_id": rid, "row": 0, "label": "yes"},
        {"request_id": rid, "row": 1, "label": "no"},
        {"request_id": "never-seen", "label": "no"},
    ]
    first = client.post("/v1/deployments/churn/feedback", json={"feedback": items})
    assert first.status_code == 200
    assert first.json() == {"accepted": 2, "updated": 0, "unknown": ["never-seen"]}
    again = client.post("/v1/deployments/churn/feedback", json={"feedback": items[:1]})
    assert again.json() == {"accepted": 0, "updated": 1, "unknown": []}
    empty = client.post("/v1/deployments/churn/feedback", json={"feedback": []})
    assert empty.status_code == 422 and empty.json()["error"]["field"] == "feedback"
    no_key = server.client(None).post("/v1/deployments/churn/feedback", json={"feedback": items})
    assert no_key.status_code == 401


def test_junk_never_gets_a_500(served: ServedProject, server: Server) -> None:
    client = server.client(served.keys["predict"])
    good = _records(served, 1)[0]
    junk: list[tuple[bytes, str]] = [
        (b"", "application/json"),
        (b"null", "application/json"),
        (b"42", "application/json"),
        (b'"text"', "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'{"records": [[1, 2]]}', "application/json"),
        (b'{"records": [{"x1": 1e400}]}', "application/json"),
        (b'{"columns": {"x1": [1], "x2": [1, 2]}}', "application/json"),
        (b'{"columns": [1]}', "application/json"),
        (b"x1,x2\n1,2\n", "text/csv"),
        (b"not parquet", "application/vnd.apache.parquet"),
        (b"--x\r\n\r\n--x--", "multipart/form-data; boundary=x"),
        (str({**good, "x1": {"nested": 1}}).encode(), "application/json"),
    ]
    for body, content_type in junk:
        answer = client.post(PREDICT, content=body, headers={"Content-Type": content_type})
        assert 400 <= answer.status_code < 500, (body, answer.status_code, answer.text)
        assert "message" in answer.json()["error"]
