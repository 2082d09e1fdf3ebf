"""The models pages: registry list, a model's versions, lineage and alias history, alias
moves from the browser, and one version's optimization table with its Pareto plot.

Records are made through the real store (a real dataset version, run and registered
versions with placeholder artifacts); the optimization test trains a tiny real model
and runs the real ``lepton optimize`` on it.
"""

from __future__ import annotations

import html
import json
import re
from typing import cast

import httpx
import numpy as np
import pandas as pd

from lepton.data.catalog import DataCatalog
from lepton.learn.training import train_dataset
from lepton.optimize import optimize
from lepton.serve.deployments import deploy
from lepton.store.project import Project
from tests.optimize.conftest import heldout, make_frame
from tests.ui.dashboard import Dashboard

HOSTILE = "<script>alert(1)</script>"


def _post(dashboard: Dashboard, path: str, data: dict[str, str] | None = None) -> httpx.Response:
    # starlette's TestClient answers with httpx's Response, or httpx2's when that is
    # installed (newer huggingface_hub pulls it in): either has the same interface
    return cast(httpx.Response, dashboard.post(path, data))


def _seed(project: Project, name: str = "churn", versions: int = 3) -> tuple[int, str]:
    """A dataset version, a run and ``versions`` registered versions; (dataset id, run id)."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=30), "y": rng.integers(0, 2, size=30)})
    dataset = DataCatalog(project).add_frame(frame, name="churn-data", target="y")[0]
    meta = project.metadata
    run = meta.start_run("train", params={"dataset": dataset.ref}, dataset_version_id=dataset.id)
    for i in range(versions):
        meta.register_model_version(
            name,
            artifact_key=f"models/{name}/placeholder-{i}",
            task="binary",
            run_id=run.id,
            dataset_version_id=dataset.id,
            metrics={"cv_auc": 0.8 + i / 100},
            metadata={"lineage": {"dataset": dataset.ref, "run_id": run.id}},
        )
    return dataset.id, run.id


def test_list_and_detail_render(dashboard: Dashboard) -> None:
    _seed(dashboard.project)
    _seed(dashboard.project, name="fraud", versions=1)
    page = dashboard.get("/ui/models")
    assert "churn" in page and "fraud" in page
    searched = dashboard.get("/ui/models?search=fra")
    assert "/ui/models/fraud" in searched and '/ui/models/churn"' not in searched
    detail = dashboard.get("/ui/models/churn")
    assert "<h1>Model churn</h1>" in detail
    assert detail.index('/ui/models/churn/3"') < detail.index('/ui/models/churn/1"')  # newest first
    assert "cv_auc" in detail and "0.82" in detail
    version = dashboard.get("/ui/models/churn/2")
    assert "never optimized" in version and "lepton optimize churn@2" in version
    assert dashboard.client.get("/ui/models/nope").status_code == 404
    assert dashboard.client.get("/ui/models/churn/99").status_code == 404


def test_versions_and_history_page(dashboard: Dashboard) -> None:
    _seed(dashboard.project, versions=25)
    first = dashboard.get("/ui/models/churn")
    assert "1–20 of 25" in first and 'href="/ui/models/churn/25"' in first
    assert 'href="/ui/models/churn/5"' not in first
    second = dashboard.get("/ui/models/churn?offset=20")
    assert "21–25 of 25" in second and 'href="/ui/models/churn/5"' in second
    for i in range(1, 24):
        dashboard.project.metadata.set_alias("churn", "staging", i, actor="cli")
    history = dashboard.get("/ui/models/churn?history_offset=20")
    assert "21–23 of 23" in history


def test_lineage_svg_has_dataset_run_version_and_deployment(dashboard: Dashboard) -> None:
    dataset_id, run_id = _seed(dashboard.project, versions=1)
    dashboard.project.metadata.upsert_deployment(
        "churn-live", model="churn", config={"routes": [{"version": 1, "weight": 1.0}]}
    )
    for path in ("/ui/models/churn", "/ui/models/churn/1"):
        page = dashboard.get(path)
        svg = re.search(r'<svg class="lineage".*?</svg>', page, re.S)
        assert svg is not None, path
        graph = svg.group(0)
        assert f'data-node="d:{dataset_id}"' in graph and "churn-data@1" in graph
        assert f'data-node="r:{run_id}"' in graph
        assert 'data-node="v:churn@1"' in graph
        assert 'data-node="dep:churn-live"' in graph and "primary 100%" in graph


def test_alias_move_is_recorded_with_the_ui_actor(dashboard: Dashboard) -> None:
    _seed(dashboard.project)
    moved = _post(
        dashboard,
        "/ui/models/churn/aliases",
        {"alias": "production", "version": "2", "reason": "better"},
    )
    assert moved.status_code == 303 and moved.headers["location"] == "/ui/models/churn"
    history = dashboard.project.metadata.alias_history("churn")
    assert [(e.alias, e.to_version, e.actor, e.reason) for e in history] == [
        ("production", 2, "ui:ui-admin", "better")
    ]
    page = dashboard.get("/ui/models/churn")
    assert "alias production moved to 2" in page  # the flash
    assert "ui:ui-admin" in page and "better" in page
    _post(dashboard, "/ui/models/churn/aliases", {"alias": "production", "version": "3"})
    removed = _post(dashboard, "/ui/models/churn/aliases/production/delete")
    assert removed.status_code == 303
    events = dashboard.project.metadata.alias_history("churn")
    assert [(e.from_version, e.to_version, e.actor) for e in events[1:]] == [
        (2, 3, "ui:ui-admin"),
        (3, None, "ui:ui-admin"),
    ]
    page = dashboard.get("/ui/models/churn")
    assert "removed (was 3)" in page
    assert page.index(">removed</td>") < page.index(">better</td>")  # history newest first


def test_alias_move_without_csrf_is_refused(dashboard: Dashboard) -> None:
    _seed(dashboard.project)
    answer = dashboard.client.post(
        "/ui/models/churn/aliases",
        data={"alias": "production", "version": "1"},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert dashboard.project.metadata.alias_history("churn") == []
    assert dashboard.project.metadata.get_model_version("churn", 1).aliases == []


def test_bad_alias_or_version_flashes_and_changes_nothing(dashboard: Dashboard) -> None:
    _seed(dashboard.project)
    for form, message in (
        ({"alias": "production", "version": "9"}, "has no version 9"),
        ({"alias": "production", "version": "two"}, "version must be a version number"),
        ({"alias": "latest", "version": "1"}, "cannot be an alias"),
        ({"alias": "bad alias!", "version": "1"}, "alias"),
    ):
        answer = _post(dashboard, "/ui/models/churn/aliases", form)
        assert answer.status_code == 303
        page = dashboard.get("/ui/models/churn")
        flash = re.search(r'<p class="flash error">(.*?)</p>', page, re.S)
        assert flash is not None and message in html.unescape(flash.group(1)), form
    gone = _post(dashboard, "/ui/models/churn/aliases/nothing/delete")
    assert gone.status_code == 303
    assert "has no alias" in html.unescape(dashboard.get("/ui/models/churn"))
    assert dashboard.project.metadata.alias_history("churn") == []


def test_hostile_values_are_escaped(dashboard: Dashboard) -> None:
    meta = dashboard.project.metadata
    meta.register_model_version(
        "odd",
        artifact_key="models/odd/x",
        task=HOSTILE,
        metrics={HOSTILE: 1.0},
        metadata={"variant": HOSTILE, "optimization": {"metric": HOSTILE, "table": []}},
    )
    meta.set_alias("odd", "production", 1, actor=HOSTILE, reason=HOSTILE)
    for path in (
        "/ui/models",
        "/ui/models/odd",
        "/ui/models/odd/1",
        "/ui/models?search=" + HOSTILE,
    ):
        page = dashboard.get(path)
        assert HOSTILE not in page, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dashboard.get("/ui/models/odd")


def test_optimization_table_and_pareto_data(dashboard: Dashboard) -> None:
    project = dashboard.project
    catalog = DataCatalog(project)
    train_ref = catalog.add_frame(make_frame("binary", n=200), name="churn", target="y")[0].ref
    test_ref = catalog.add_frame(heldout("binary"), name="churn-test", target="y")[0].ref
    train_dataset(
        project, train_ref, test_ref=test_ref, time_limit=8, families=["linear"], n_folds=2
    )
    outcome = optimize(project, "churn@1", measure_memory=False, measure_seconds=0.05)
    deploy(project, "churn@1", name="churn-live")
    page = dashboard.get("/ui/models/churn/1")
    # how the metrics were measured: the manifest's cv and test records
    assert "CV, 2 folds" in page and "test split" in page
    assert html.escape(f"held-out dataset {test_ref}", quote=False) in page
    table = re.search(r'<table class="optimization">.*?</table>', page, re.S)
    assert table is not None
    rows = outcome.result.table()
    for row in rows:
        assert f"<code>{row['variant']}</code>" in table.group(0)
    assert "<strong>chosen</strong>" in table.group(0)
    data = re.search(r'<script type="application/json" id="pareto-data">(.*?)</script>', page, re.S)
    assert data is not None and 'data-chart="pareto-data"' in page
    plot = json.loads(data.group(1))
    assert plot["kind"] == "scatter" and len(plot["x"]) == len(rows)
    assert plot["x"] == sorted(plot["x"])
    labels = [s["label"] for s in plot["series"]]
    assert labels == ["variants", "Pareto front", "chosen"]
    front = [v for v in plot["series"][1]["values"] if v is not None]
    assert len(front) == sum(1 for r in rows if r["pareto"]) >= 1
    # the lineage shows each registered variant under its parent, and the deployment
    svg = re.search(r'<svg class="lineage".*?</svg>', page, re.S)
    assert svg is not None
    for record in outcome.registered.values():
        assert f'data-node="v:churn.optimized@{record.version}"' in svg.group(0)
    assert 'data-node="dep:churn-live"' in svg.group(0)
    variant = next(iter(outcome.registered.values()))
    variant_page = dashboard.get(f"/ui/models/churn.optimized/{variant.version}")
    assert "optimized variant" in variant_page and "/ui/models/churn/1#optimization" in variant_page
    assert "measured by lepton optimize of churn@1" in variant_page
