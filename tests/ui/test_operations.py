"""Dashboard operations pages: deployments (and their actions), monitoring, alerts, keys.

One trained project for the module (two versions of ``churn``, packages are immutable);
every test deploys under a deployment name of its own and logs in with a key of its own,
so any test runs alone or in any order. Changes made through the pages are checked
through the library (``get_spec``, the metadata store), not through the HTML alone.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

import httpx
import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lepton.data.catalog import DataCatalog
from lepton.learn.training import train_dataset
from lepton.runtime.loader import package_folder
from lepton.runtime.manifest import read_manifest
from lepton.serve.deployments import deploy, get_spec
from lepton.serve.metrics import ServerMetrics
from lepton.serve.predlog import LoggedRequest, PredictionLog
from lepton.store.metadata.repositories.keys import hash_api_key
from lepton.store.project import Project
from lepton.ui import UI_PREFIX, create_ui_app
from lepton.ui.pages import monitoring as monitoring_page
from tests.helpers.home import home_env, open_project
from tests.serve.conftest import churn_frame
from tests.ui.dashboard import BASE_URL, Dashboard, login, open_dashboard


@dataclass
class Trained:
    project: Project
    frame: pd.DataFrame
    labels: list[str]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trained]:
    home = tmp_path_factory.mktemp("ui-ops-home")
    project = open_project(home_env(home))
    catalog = DataCatalog(project)
    for seed in (0, 1):
        ref = catalog.add_frame(churn_frame(seed=seed), name="churn", target="y")[0].ref
        train_dataset(
            project, ref, time_limit=8, families=["linear"], n_folds=3, model_name="churn"
        )
    record = project.metadata.get_model_version("churn", 1)
    labels = [str(v) for v in read_manifest(package_folder(project, record)).labels]
    yield Trained(project, churn_frame(), labels)
    project.close()


@pytest.fixture()
def board(trained: Trained) -> Iterator[Dashboard]:
    dashboard = open_dashboard(trained.project)
    yield dashboard
    dashboard.client.close()


def deployed(trained: Trained, *versions: int) -> str:
    """A fresh deployment of churn: each version in turn became the primary."""
    name = f"ui-ops-{uuid.uuid4().hex[:10]}"
    for v in versions or (1,):
        deploy(trained.project, f"churn@{v}", name=name)
    return name


def post(
    board: Dashboard, path: str, data: dict[str, str] | None = None, *, htmx: bool = False
) -> httpx.Response:
    """The board's CSRF-carrying form POST, typed."""
    return cast(httpx.Response, board.post(path, data, htmx=htmx))


def flashes(html: str) -> list[str]:
    return re.findall(r'<p class="flash [a-z]+">(.*?)</p>', html, re.S)


def log_traffic(trained: Trained, name: str, *, requests: int = 60, feedback: bool = True) -> None:
    """Requests logged through the server's own prediction log, spread over the last
    50 minutes, and (optionally) ground truth through the real feedback path."""
    log = PredictionLog(trained.project.prediction_log_folder, flush_seconds=60)
    rng = np.random.default_rng(0)
    now = time.time()
    truth = []
    for i in range(requests):
        rows = trained.frame.iloc[2 * i : 2 * i + 2]
        records = [
            {str(k): v for k, v in r.items()}
            for r in rows[["x1", "x2", "color"]].to_dict("records")
        ]
        p_yes = rng.uniform(0.05, 0.95, size=len(rows))
        proba = np.column_stack(
            [1 - p_yes, p_yes] if trained.labels == ["no", "yes"] else [p_yes, 1 - p_yes]
        )
        rid = f"{name}-{i}"
        log.append(
            LoggedRequest(
                rid,
                now - (requests - i) * 50.0,
                name,
                "churn",
                1,
                "primary",
                2.0 + (i % 7),
                records,
                proba,
                trained.labels,
            )
        )
        truth += [{"request_id": rid, "row": r, "label": y} for r, y in enumerate(rows["y"])]
    log.append_error(name, 500)
    log.close()
    if feedback:
        result = trained.project.predictions.add_feedback(name, pd.DataFrame(truth))
        assert result.accepted == len(truth) and not result.unknown


# -- deployments --------------------------------------------------------------------------


def test_deployments_list_and_detail_render(trained: Trained, board: Dashboard) -> None:
    name = deployed(trained, 1, 2)
    listing = board.get("/ui/deployments")
    assert f'href="/ui/deployments/{name}"' in listing
    assert "v2 100%" in listing and "v1" in listing  # traffic and previous primary
    log_traffic(trained, name, feedback=False)
    page = board.get(f"/ui/deployments/{name}")
    assert "Previous primaries" in page and "rollback target" in page
    assert 'hx-trigger="every 10s"' in page and f'hx-get="/ui/deployments/{name}/live"' in page
    charts = re.findall(r'<script type="application/json" id="chart-(\w+)">', page)
    assert charts == ["rps", "latency", "errors"]
    live = board.get(f"/ui/deployments/{name}/live")
    assert "60 requests" in live and "1 errors" in live
    spec = re.search(r'id="chart-rps">(.*?)</script>', live, re.S)
    assert spec is not None
    import json

    rps = json.loads(spec.group(1))
    assert len(rps["x"]) == 61 and abs(sum(rps["series"][0]["values"]) * 60 - 60) < 0.5


def test_promote_and_rollback_through_the_page(trained: Trained, board: Dashboard) -> None:
    name = deployed(trained, 1)
    response = post(board, f"/ui/deployments/{name}/canary", {"version": "2", "percent": "25"})
    assert response.status_code == 303
    response = post(board, f"/ui/deployments/{name}/promote", {"version": ""})
    assert response.status_code == 303
    spec = get_spec(trained.project, name)
    assert [(r.version, r.weight) for r in spec.routes] == [(2, 100.0)] and spec.history == [1]
    assert any("promoted" in f and "v2" in f for f in flashes(board.get(f"/ui/deployments/{name}")))
    post(board, f"/ui/deployments/{name}/rollback")
    spec = get_spec(trained.project, name)
    assert spec.primary == 1 and spec.history == []
    page = board.get(f"/ui/deployments/{name}")
    assert any("rolled back" in f for f in flashes(page))
    post(board, f"/ui/deployments/{name}/rollback")  # nothing left to roll back to
    assert any("rollback refused" in f for f in flashes(board.get(f"/ui/deployments/{name}")))
    assert get_spec(trained.project, name).primary == 1


def test_a_promote_through_the_page_shows_in_its_history(
    trained: Trained, board: Dashboard
) -> None:
    name = deployed(trained, 1)
    post(board, f"/ui/deployments/{name}/canary", {"version": "2", "percent": "20"})
    post(board, f"/ui/deployments/{name}/promote", {"version": ""})
    page = board.get(f"/ui/deployments/{name}")
    section = page.split('<section id="history">', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr><td>.*?</tr>", section, re.S)
    assert len(rows) == 3  # the deploy, the canary, the promote: newest first
    assert "ui:ui-admin" in rows[0] and "<td>promote</td>" in rows[0]
    assert "v1 80%, v2 20% → v2 100%" in rows[0]
    assert "<td>canary</td>" in rows[1] and "ui:ui-admin" in rows[1]
    events = trained.project.metadata.deployment_history(name).items
    assert (events[0].action, events[0].actor) == ("promote", "ui:ui-admin")


def test_canary_weight_is_set_like_the_cli(trained: Trained, board: Dashboard) -> None:
    name = deployed(trained, 1)
    post(board, f"/ui/deployments/{name}/canary", {"version": "2", "percent": "15"})
    spec = get_spec(trained.project, name)
    assert [(r.version, r.weight) for r in spec.routes] == [(1, 85.0), (2, 15.0)]
    page = board.get(f"/ui/deployments/{name}")
    assert any("canary set" in f and "v2 15%" in f for f in flashes(page))


@pytest.mark.parametrize("percent", ["150", "0", "abc", ""])
def test_bad_canary_is_refused_and_changes_nothing(
    trained: Trained, board: Dashboard, percent: str
) -> None:
    name = deployed(trained, 1)
    before = get_spec(trained.project, name)
    response = post(board, f"/ui/deployments/{name}/canary", {"version": "2", "percent": percent})
    assert response.status_code == 303
    messages = flashes(board.get(f"/ui/deployments/{name}"))
    assert any("canary refused" in m for m in messages), messages
    assert get_spec(trained.project, name) == before


def test_canary_on_the_primary_is_refused(trained: Trained, board: Dashboard) -> None:
    name = deployed(trained, 1)
    post(board, f"/ui/deployments/{name}/canary", {"version": "1", "percent": "10"})
    assert any("already the primary" in m for m in flashes(board.get(f"/ui/deployments/{name}")))
    assert len(get_spec(trained.project, name).routes) == 1


def test_actions_without_csrf_are_refused(trained: Trained, board: Dashboard) -> None:
    name = deployed(trained, 1, 2)
    before = get_spec(trained.project, name)
    for action, data in (
        ("rollback", {}),
        ("promote", {"version": "1"}),
        ("canary", {"version": "1", "percent": "10"}),
        ("retrain", {"time_limit": "5"}),
    ):
        response = board.client.post(
            f"/ui/deployments/{name}/{action}",
            data=data,
            headers={"Origin": BASE_URL},
            follow_redirects=False,
        )
        assert response.status_code == 403, action
    response = board.client.post(
        "/ui/keys", data={"name": "sneaky", "scopes": "admin"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert get_spec(trained.project, name) == before
    assert not [k for k in trained.project.metadata.list_api_keys() if k.name == "sneaky"]


def test_unknown_deployment_is_a_404(board: Dashboard) -> None:
    assert board.client.get("/ui/deployments/no-such-thing").status_code == 404
    assert board.client.get("/ui/monitoring/no-such-thing").status_code == 404


def test_server_counters_show_when_mounted_in_a_server(trained: Trained) -> None:
    name = deployed(trained, 1)
    metrics = ServerMetrics()
    metrics.requests.labels(name, "1", "200").inc(7)
    metrics.requests.labels(name, "1", "422").inc(2)
    metrics.latency.labels(name, "1").observe(0.004)
    metrics.errors.labels(name, "422").inc(2)
    app = FastAPI()
    app.mount(UI_PREFIX, create_ui_app(trained.project, server_metrics=metrics))
    key, _ = trained.project.metadata.create_api_key("ui-server", scopes=["admin"])
    with TestClient(app, base_url=BASE_URL) as client:
        login(client, key)
        live = client.get(f"/ui/deployments/{name}/live").text
    assert "This server, since it started" in live
    assert re.search(r"<td>v1</td><td class=\"num\">9</td>", live)
    assert "200: 7" in live and "422: 2" in live and "4 ms" in live


# -- retrain ------------------------------------------------------------------------------


def test_retrain_job_fragment_progresses_to_an_end(trained: Trained, board: Dashboard) -> None:
    name = deployed(trained, 1)
    log_traffic(trained, name)
    response = post(board, f"/ui/deployments/{name}/retrain", {"time_limit": "5"}, htmx=True)
    assert response.status_code == 200, response.text
    fragment = response.text
    assert 'data-status="running"' in fragment and 'hx-trigger="every 2s"' in fragment
    assert re.search(r'<div class="progress"[^>]*><span class="w-\d+"></span></div>', fragment)
    assert "started by ui:ui-admin" in fragment
    job_url = re.search(r'hx-get="(/ui/deployments/[^"]+/jobs/[0-9a-f]+)"', fragment)
    assert job_url is not None
    # a second retrain while one runs is refused, as a message
    again = post(board, f"/ui/deployments/{name}/retrain", {"time_limit": "5"}, htmx=True)
    assert again.status_code == 409 and "already running" in again.text
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        fragment = board.get(job_url.group(1))
        if 'data-status="running"' not in fragment:
            break
        time.sleep(0.5)
    assert 'data-status="done"' in fragment or 'data-status="failed"' in fragment, fragment
    assert "hx-trigger" not in fragment  # polling stops once it ended
    assert 'class="w-100"' in fragment
    if 'data-status="done"' in fragment:
        assert re.search(r"(shipped v\d+ as|kept the champion)", fragment), fragment
        assert "challenger" in fragment and "champion" in fragment
    else:
        assert "job-error" in fragment
    assert f'id="job-{job_url.group(1).rsplit("/", 1)[1]}"' in board.get(f"/ui/deployments/{name}")


# -- monitoring ---------------------------------------------------------------------------


def test_monitoring_pages_with_traffic_and_feedback(trained: Trained, board: Dashboard) -> None:
    name = deployed(trained, 1)
    index = board.get("/ui/monitoring")
    assert f'href="/ui/monitoring/{name}"' in index
    log_traffic(trained, name)
    started = time.perf_counter()
    page = board.get(f"/ui/monitoring/{name}?window=24h")
    first = time.perf_counter() - started
    assert "60 requests, 120 rows" in page
    for feature in ("x1", "x2", "color"):
        assert f"<td>{feature}</td>" in page
    assert 'id="chart-drift-time"' in page
    assert "Live metrics vs training" in page and 'id="chart-metric-1"' in page
    assert "training " in page  # the flat training-metric line is in the chart data
    started = time.perf_counter()
    board.get(f"/ui/monitoring/{name}?window=24h")
    assert time.perf_counter() - started < max(first, 0.3)  # cached


def test_monitoring_without_data_says_what_to_do(trained: Trained, board: Dashboard) -> None:
    name = deployed(trained, 1)
    monitoring_page.forget(trained.project)
    page = board.get(f"/ui/monitoring/{name}?window=1h")
    assert "No traffic logged" in page and f"lepton feedback {name}" in page
    log_traffic(trained, name, feedback=False)
    monitoring_page.forget(trained.project)
    page = board.get(f"/ui/monitoring/{name}?window=1h")
    assert "No feedback yet" in page and f"lepton feedback {name} FILE" in page
    assert board.client.get(f"/ui/monitoring/{name}?window=soon").status_code == 422


# -- alerts -------------------------------------------------------------------------------


def test_alerts_page_lists_alerts_escaped_and_filters(trained: Trained, board: Dashboard) -> None:
    name = deployed(trained, 1)
    other = deployed(trained, 1)
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    trained.project.metadata.record_alert(
        name,
        rule="p99-latency",
        kind="latency_p99_ms",
        message=f"p99 too high {hostile}",
        value=123.5,
        threshold=100.0,
        delivered=True,
    )
    trained.project.metadata.record_alert(
        other,
        rule="drift",
        kind="dataset_drift",
        message="inputs drifted",
        value=1.0,
        threshold=0.5,
    )
    page = board.get("/ui/alerts")
    assert "p99-latency" in page and "inputs drifted" in page
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "123.5" in page and "100" in page
    filtered = board.get(f"/ui/alerts?deployment={name}")
    assert "p99-latency" in filtered and "inputs drifted" not in filtered
    assert "of 1" in filtered  # the pager's total


# -- keys ---------------------------------------------------------------------------------


def test_key_is_shown_once_and_only_its_hash_is_stored(trained: Trained, board: Dashboard) -> None:
    name = f"svc-{uuid.uuid4().hex[:6]}"
    response = post(board, "/ui/keys", {"name": name, "scopes": "predict"})
    assert response.status_code == 303
    page = board.get("/ui/keys")
    token = re.search(r'<p class="flash key">(\S+) — copy it now', page)
    assert token is not None
    plaintext = token.group(1)
    assert plaintext not in board.get("/ui/keys")  # once
    record = trained.project.metadata.verify_api_key(plaintext)
    assert record is not None and record.name == name and record.scopes == ["predict"]
    with trained.project.metadata.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM api_keys WHERE name = :n"), {"n": name}).all()
    assert len(rows) == 1
    assert plaintext not in " ".join(map(str, rows[0]))
    assert hash_api_key(plaintext) in tuple(rows[0])


def test_bad_key_requests_are_refused(trained: Trained, board: Dashboard) -> None:
    before = len(trained.project.metadata.list_api_keys())
    post(board, "/ui/keys", {"name": "x", "scopes": "root"})
    assert any("unknown scope" in f for f in flashes(board.get("/ui/keys")))
    post(board, "/ui/keys", {"name": "no scopes"})
    assert any("key not created" in f for f in flashes(board.get("/ui/keys")))
    assert len(trained.project.metadata.list_api_keys()) == before


def test_revoking_a_key_ends_its_sessions(trained: Trained, board: Dashboard) -> None:
    victim = f"ui-victim-{uuid.uuid4().hex[:6]}"
    post(board, "/ui/keys", {"name": victim, "scopes": "admin"})
    shown = re.search(r'<p class="flash key">(\S+) — copy it now', board.get("/ui/keys"))
    assert shown is not None
    key = shown.group(1)
    record = trained.project.metadata.verify_api_key(key)
    assert record is not None and record.scopes == ["admin"]
    app = board.client.app
    with TestClient(app, base_url=BASE_URL) as other:
        login(other, key)
        assert other.get("/ui/keys").status_code == 200
        response = post(board, f"/ui/keys/{record.id}/revoke")
        assert response.status_code == 303
        assert other.get("/ui/keys", follow_redirects=False).status_code == 303  # to login
    page = board.get("/ui/keys")
    assert any("revoked key" in f and "ended 1 dashboard session" in f for f in flashes(page))
    revoked = next(k for k in trained.project.metadata.list_api_keys() if k.id == record.id)
    assert not revoked.active
