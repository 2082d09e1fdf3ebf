"""Integration: a real uvicorn server on 127.0.0.1, real HTTP, the real store.

Each test predicts through a deployment of its own (the ``deployment`` / ``deploy``
fixtures), so the tests hold in any order and alone.
"""

from __future__ import annotations

import io
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lepton.runtime.loader import load_predictor
from lepton.serve.client import Client
from lepton.serve.predlog import read_log
from tests.serve.conftest import Deploy, ServedProject, Server, start_server
from tests.serve.faulty import TRIGGER


def _predict(deployment: str) -> str:
    return f"/v1/deployments/{deployment}/predict"


def _records(served: ServedProject, n: int = 5) -> list[dict[str, Any]]:
    rows = served.frame.drop(columns="y").head(n)
    return list(rows.to_dict(orient="records"))


def test_health_is_open_everything_else_needs_a_key(
    served: ServedProject, server: Server, deployment: str
) -> None:
    anonymous = server.client(None)
    assert anonymous.get("/healthz").json() == {"status": "ok"}
    assert deployment in anonymous.get("/readyz").json()["deployments"]
    refused = anonymous.post(_predict(deployment), json={"records": _records(served)})
    assert refused.status_code == 401 and "API key" in refused.json()["error"]["message"]
    assert server.client("lep_not-a-real-key").get("/v1/deployments").status_code == 401
    assert anonymous.get("/metrics").status_code == 401
    metrics_key = server.client(served.keys["metrics"])
    wrong_scope = metrics_key.post(_predict(deployment), json={"records": []})
    assert wrong_scope.status_code == 403
    rollback = f"/v1/deployments/{deployment}/rollback"
    assert server.client(served.keys["predict"]).post(rollback).status_code == 403


def test_predict_answers_like_the_registered_model(
    served: ServedProject, server: Server, deployment: str
) -> None:
    records = _records(served, 20)
    client = server.client(served.keys["predict"])
    answer = client.post(_predict(deployment), json={"records": records})
    assert answer.status_code == 200
    body = answer.json()
    assert body["version"] == 1 and body["model"] == "churn" and len(body["request_id"]) == 32
    assert body["deployment"] == deployment
    assert answer.headers["x-request-id"] == body["request_id"]
    predictor, _ = load_predictor(served.project, "churn@1")
    expected = predictor.predict_proba(pd.DataFrame(records))
    got = np.asarray(body["probabilities"])
    assert body["labels"] == list(expected.columns)
    np.testing.assert_allclose(got, expected.to_numpy(), atol=1e-5)
    assert body["predictions"] == list(predictor.predict(pd.DataFrame(records)))


def test_columns_csv_and_multipart_inputs(
    served: ServedProject, server: Server, deployment: str
) -> None:
    client = server.client(served.keys["predict"])
    predict = _predict(deployment)
    frame = served.frame.drop(columns="y").head(7)
    columns = {k: list(v.values()) for k, v in frame.to_dict().items()}
    assert len(client.post(predict, json={"columns": columns}).json()["predictions"]) == 7
    csv = frame.to_csv(index=False).encode()
    by_csv = client.post(predict, content=csv, headers={"Content-Type": "text/csv"})
    assert by_csv.status_code == 200 and len(by_csv.json()["predictions"]) == 7
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    upload = client.post(predict, files={"file": ("rows.parquet", buffer.getvalue())})
    assert upload.status_code == 200 and len(upload.json()["predictions"]) == 7


def test_bad_input_gets_4xx_naming_the_field(
    served: ServedProject, server: Server, deployment: str
) -> None:
    client = server.client(served.keys["predict"])
    predict = _predict(deployment)
    good = _records(served, 1)[0]
    cases = [
        ({"records": [{**good, "x1": "high"}]}, 422, "x1"),
        ({"records": [{k: v for k, v in good.items() if k != "x2"}]}, 422, "x2"),
        ({"records": [{**good, "color": "purple"}]}, 422, "color"),
        ({"records": "nope"}, 422, "records"),
        ({"records": [good] * 10_001}, 413, "records"),
    ]
    for body, status, field in cases:
        answer = client.post(predict, json=body)
        assert answer.status_code == status, answer.text
        assert answer.json()["error"]["field"] == field
    broken = client.post(
        predict, content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 422 and broken.json()["error"]["field"] == "body"
    bad_csv = client.post(predict, content=b"\x00\xff", headers={"Content-Type": "text/csv"})
    assert bad_csv.status_code == 422
    missing = client.post("/v1/deployments/nope/predict", json={"records": [good]})
    assert missing.status_code == 404 and "nope" in missing.json()["error"]["message"]


def test_metrics_count_requests_batches_and_errors(
    served: ServedProject, server: Server, deployment: str
) -> None:
    client = server.client(served.keys["predict"])
    client.post(_predict(deployment), json={"records": _records(served, 3)})
    client.post(_predict(deployment), json={"records": [{"x1": "bad"}]})
    text = server.client(served.keys["metrics"]).get("/metrics").text
    assert (
        f'lepton_requests_total{{deployment="{deployment}",status="200",version="1"}} 1.0' in text
    )
    assert f'lepton_errors_total{{deployment="{deployment}",status="422"}} 1.0' in text
    assert "lepton_batch_size_rows_bucket" in text and "lepton_queue_depth_rows" in text
    assert "lepton_request_latency_seconds_bucket" in text


def test_client_and_remote_cli(
    served: ServedProject, server: Server, deployment: str, tmp_path: Path
) -> None:
    frame = served.frame.drop(columns="y").head(12)
    with Client(server.url, served.keys["predict"]) as client:
        scored = client.predict(deployment, frame)
        assert len(scored) == 12 and {"prediction", "p_yes", "p_no"} <= set(scored.columns)
    with Client(server.url, served.keys["admin"]) as client:
        assert deployment in [d["name"] for d in client.deployments()]
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
            deployment,
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
    bad = served.lepton("predict", deployment, str(data), "-o", str(out), "--remote", server.url)
    assert bad.returncode != 0 and "401" in bad.stderr


def _hammer(
    server: Server, key: str, predict: str, body: dict[str, Any], stop: threading.Event
) -> Counter[Any]:
    seen: Counter[Any] = Counter()
    with server.client(key) as client:
        while not stop.is_set():
            answer = client.post(predict, json=body)
            seen[answer.json()["version"] if answer.status_code == 200 else answer.status_code] += 1
    return seen


def _wait_for(server: Server, key: str, deployment: str, check: Any) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        deployments = server.client(key).get("/v1/deployments").json()["deployments"]
        mine = [d for d in deployments if d["name"] == deployment]
        if mine and check(mine[0]):
            return
        time.sleep(0.1)
    raise AssertionError("the server never picked up the deployment change")


def test_canary_promote_rollback_without_dropping_requests(
    served: ServedProject, server: Server, deployment: str
) -> None:
    key, body = served.keys["predict"], {"records": _records(served, 2)}
    predict = _predict(deployment)
    # --no-optimize: the session's churn@2 must stay native for the other tests
    done = served.lepton(
        "deploy", "churn@2", "--name", deployment, "--canary", "30", "--no-optimize"
    )
    assert done.returncode == 0, done.stderr
    admin = served.keys["admin"]  # listing deployments needs admin
    _wait_for(server, admin, deployment, lambda d: len(d["routes"]) == 2)
    stop = threading.Event()
    results: list[Counter[Any]] = []
    workers = [
        threading.Thread(target=lambda: results.append(_hammer(server, key, predict, body, stop)))
        for _ in range(4)
    ]
    for w in workers:
        w.start()
    time.sleep(1.0)
    assert served.lepton("deployments", "promote", deployment).returncode == 0
    _wait_for(server, admin, deployment, lambda d: d["routes"] == [{"version": 2, "weight": 100.0}])
    time.sleep(0.5)
    stop.set()
    for w in workers:
        w.join()
    seen = sum(results, Counter())
    assert set(seen) == {1, 2}, seen  # both answered, and no request failed during the swap
    after = server.client(key).post(predict, json=body).json()
    assert after["version"] == 2
    rolled = server.client(admin).post(f"/v1/deployments/{deployment}/rollback")
    assert rolled.status_code == 200 and rolled.json()["routes"][0]["version"] == 1
    assert server.client(key).post(predict, json=body).json()["version"] == 1


def test_shadow_gets_a_copy_that_is_logged_never_returned(
    served: ServedProject, server: Server, deployment: str
) -> None:
    admin = server.client(served.keys["admin"])
    url = f"/v1/deployments/{deployment}"
    put = admin.put(url, json={"model": "churn@2", "shadow": True})
    assert put.status_code == 200 and put.json()["shadows"] == [2]
    client = server.client(served.keys["predict"])
    ids = []
    for _ in range(5):
        answer = client.post(_predict(deployment), json={"records": _records(served, 3)}).json()
        assert answer["version"] == 1
        ids.append(answer["request_id"])
    bad = admin.put(url, json={"model": "churn@9"})
    assert bad.status_code == 404
    missing_field = admin.put(url, json={"shadow": True})
    assert missing_field.status_code == 422 and missing_field.json()["error"]["field"] == "model"
    deadline = time.monotonic() + 30  # the shadow answers after the primary; the log lags both
    while True:
        log = read_log(served.home / "logs" / "predictions", deployment)
        mine = log[log["request_id"].isin(ids)] if len(log) else log
        if (len(mine) and (mine.role == "shadow").sum() >= 15) or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert (mine.role == "primary").sum() == 15 and (mine.role == "shadow").sum() == 15
    assert (mine[mine.role == "shadow"].version == 2).all()
    assert (mine[mine.role == "primary"].version == 1).all()
    assert {"in_x1", "in_color", "out_prediction", "out_p_yes"} <= set(log.columns)


def test_graceful_shutdown_flushes_every_acknowledged_prediction(
    served: ServedProject, deployment: str
) -> None:
    own = start_server(served.env)
    acknowledged = []
    with own.client(served.keys["predict"]) as client:
        for _ in range(30):
            answer = client.post(_predict(deployment), json={"records": _records(served, 4)})
            assert answer.status_code == 200
            acknowledged.append(answer.json()["request_id"])
    assert own.stop() == 0
    log = read_log(served.home / "logs" / "predictions", deployment)
    primary = log[(log.role == "primary") & log.request_id.isin(acknowledged)]
    assert set(primary.request_id) == set(acknowledged) and len(primary) == 30 * 4


def test_feedback_attaches_ground_truth_by_request_id(
    served: ServedProject, server: Server, deployment: str
) -> None:
    client = server.client(served.keys["predict"])
    url = f"/v1/deployments/{deployment}/feedback"
    answer = client.post(_predict(deployment), json={"records": _records(served, 2)}).json()
    rid = answer["request_id"]
    items = [
        {"request_id": rid, "row": 0, "label": "yes"},
        {"request_id": rid, "row": 1, "label": "no"},
        {"request_id": "never-seen", "label": "no"},
    ]
    first = client.post(url, json={"feedback": items})
    assert first.status_code == 200
    assert first.json() == {"accepted": 2, "updated": 0, "unknown": ["never-seen"]}
    again = client.post(url, json={"feedback": items[:1]})
    assert again.json() == {"accepted": 0, "updated": 1, "unknown": []}
    empty = client.post(url, json={"feedback": []})
    assert empty.status_code == 422 and empty.json()["error"]["field"] == "feedback"
    no_key = server.client(None).post(url, json={"feedback": items})
    assert no_key.status_code == 401


def test_junk_never_gets_a_500(served: ServedProject, server: Server, deployment: str) -> None:
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
        answer = client.post(
            _predict(deployment), content=body, headers={"Content-Type": content_type}
        )
        assert 400 <= answer.status_code < 500, (body, answer.status_code, answer.text)
        assert "message" in answer.json()["error"]


def test_a_model_that_raises_gets_a_counted_json_500_and_serving_goes_on(
    served: ServedProject, server: Server, deploy: Deploy
) -> None:
    deployment = deploy("faulty@1")
    client = server.client(served.keys["predict"])
    good = {"records": _records(served, 3)}
    assert client.post(_predict(deployment), json=good).status_code == 200
    trigger = {"records": [{**_records(served, 1)[0], "x1": TRIGGER}]}
    broken = client.post(_predict(deployment), json=trigger)
    assert broken.status_code == 500
    error = broken.json()["error"]
    assert set(error) == {"type", "message"} and error["type"] == "internal_error"
    assert "Traceback" not in broken.text and "trigger row" not in broken.text
    text = server.client(served.keys["metrics"]).get("/metrics").text
    assert f'lepton_errors_total{{deployment="{deployment}",status="500"}} 1.0' in text
    assert (
        f'lepton_requests_total{{deployment="{deployment}",status="500",version="-"}} 1.0' in text
    )
    after = client.post(_predict(deployment), json=good)
    assert after.status_code == 200 and len(after.json()["predictions"]) == 3
    assert _logged_error_statuses(served.home, deployment) == [500]


def _logged_error_statuses(home: Path, deployment: str) -> list[int]:
    """The statuses of the prediction log's error events for ``deployment`` (waits for them)."""
    root = home / "logs" / "errors" / deployment
    deadline = time.monotonic() + 30
    while True:
        files = sorted(root.rglob("*.parquet")) if root.exists() else []
        if files or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    return [int(s) for f in files for s in pd.read_parquet(f)["status"]]


def test_openapi_documents_what_every_input_kind_accepts(server: Server) -> None:
    spec = server.client(None).get("/openapi.json").json()
    body = spec["paths"]["/v1/deployments/{name}/predict"]["post"]["requestBody"]
    assert body == {
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "records": {"type": "array", "items": {"type": "object"}},
                        "columns": {"type": "object"},
                        "images": {
                            "type": "array",
                            "items": {"type": "string", "format": "byte"},
                            "description": "image models: base64 image files",
                        },
                        "baskets": {
                            "type": "array",
                            "items": {"type": "array", "items": {"type": "string"}},
                            "description": "rules models: baskets of items (or records: [{items}])",
                        },
                        "k": {
                            "type": "integer",
                            "description": "rules models: suggestions per basket",
                        },
                        "texts": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "entity recognizers: the texts to find entities in",
                        },
                        "audio": {
                            "type": "array",
                            "items": {"type": "string", "format": "byte"},
                            "description": "speech models: base64 WAV, FLAC, MP3 or Ogg files",
                        },
                    },
                }
            },
            "text/csv": {"schema": {"type": "string"}},
            "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        }
    }
    parameters = spec["paths"]["/v1/deployments/{name}/predict"]["post"]["parameters"]
    assert {"name": "then", "in": "query"}.items() <= next(
        p for p in parameters if p["name"] == "then"
    ).items()
    assert {"/healthz", "/readyz", "/metrics", "/v1/deployments"} <= set(spec["paths"])
