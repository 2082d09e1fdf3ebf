"""The datasets and runs pages over real records in a real store (issue 16)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lepton.data.catalog import DataCatalog
from lepton.data.recipe import Recipe
from lepton.store.project import Project
from tests.ui.dashboard import Dashboard

HOSTILE_COLUMN = "<script>alert(1)</script>"
HOSTILE_PARAM = '"><img src=x onerror=alert(1)>'


@pytest.fixture()
def dataset(project: Project, tmp_path: Path) -> tuple[int, int]:
    """``customers`` v1 (a real ``lepton data add``) and v2 (a cleaning recipe on v1)."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 90, 120).astype(float),
            "plan": rng.choice(["basic", "pro"], 120),
            HOSTILE_COLUMN: rng.normal(size=120),
            "label": rng.choice(["yes", "no"], 120),
        }
    )
    frame.loc[:9, "age"] = np.nan
    path = tmp_path / "customers.csv"
    frame.to_csv(path, index=False)
    catalog = DataCatalog(project)
    first, _ = catalog.add(path, name="customers", target="label")
    second, _ = catalog.clean(
        "customers@1", Recipe.from_list([{"step": "impute", "columns": ["age"]}])
    )
    return first.id, second.id


def _train_run(
    project: Project,
    dataset_id: int,
    *,
    name: str,
    score: float,
    seed: int,
    status: str = "finished",
    trials: bool = True,
) -> str:
    run = project.metadata.runs.start(
        "train",
        params={"seed": seed, "metric": "roc_auc", "target": "label"},
        dataset_version_id=dataset_id,
        name=name,
    )
    project.metadata.runs.log_metrics(run.id, {"cv_roc_auc": score})
    if trials:
        folder = Path(project.artifacts.root).parent / f"pkg-{run.id}"
        (folder / "native").mkdir(parents=True)
        pd.DataFrame(
            {
                "model": ["ensemble", "lgbm#2", "logreg#0", "lgbm#1"],
                "family": ["ensemble", "lgbm", "logreg", "lgbm"],
                "score": [score, score - 0.01, score - 0.1, score - 0.05],
                "fit_seconds": [3.0, 1.0, 0.5, 1.5],
            }
        ).to_csv(folder / "native" / "leaderboard.csv", index=False)
        key = f"models/{name}/{run.id}"
        project.artifacts.put_dir(folder, key)
        version = project.metadata.models.register(
            name,
            artifact_key=key,
            task="binary",
            run_id=run.id,
            dataset_version_id=dataset_id,
            metrics={"cv_roc_auc": score},
        )
        project.metadata.runs.finish(
            run.id, status=status, metrics={"model_version": version.version}
        )
    else:
        project.metadata.runs.finish(
            run.id, status=status, error="boom" if status == "failed" else None
        )
    return run.id


def _row_ids(html: str) -> list[str]:
    return re.findall(r'name="ids" value="([0-9a-f]{32})"', html)


def test_datasets_list_and_detail(dashboard: Dashboard, dataset: tuple[int, int]) -> None:
    listing = dashboard.get("/ui/datasets")
    assert "customers" in listing and "v2" in listing and "120 × 4" in listing
    assert "customers" not in dashboard.get("/ui/datasets?search=nothing-like-it")
    partial = dashboard.client.get("/ui/datasets?search=cust", headers={"HX-Request": "true"})
    assert (
        partial.status_code == 200 and "<html" not in partial.text and "customers" in partial.text
    )

    _train_run(dashboard.project, dataset[1], name="churn", score=0.8, seed=1)
    detail = dashboard.get("/ui/datasets/customers")
    assert "v1" in detail and "v2" in detail and "impute" in detail  # lineage: the recipe step
    assert 'href="/ui/models/churn/1"' in detail  # the model trained from it
    assert 'data-chart="hist-0-data"' in detail  # age's histogram, from the stored profile
    assert "8.3%" not in detail  # v2 (the default, latest) imputed age
    v1 = dashboard.get("/ui/datasets/customers?version=1")
    assert "8.3%" in v1  # age: 10 of 120 missing in v1
    assert dashboard.client.get("/ui/datasets/customers?version=9").status_code == 404
    assert dashboard.client.get("/ui/datasets/nobody").status_code == 404


def test_hostile_column_name_is_text(dashboard: Dashboard, dataset: tuple[int, int]) -> None:
    page = dashboard.get("/ui/datasets/customers")
    assert HOSTILE_COLUMN not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # in the table, escaped
    assert "\\u003cscript\\u003e" in page  # in the chart's JSON block, escaped


def test_runs_sort_filter_and_htmx(dashboard: Dashboard, dataset: tuple[int, int]) -> None:
    project = dashboard.project
    low = _train_run(project, dataset[0], name="alpha", score=0.6, seed=1)
    high = _train_run(project, dataset[0], name="beta", score=0.9, seed=2)
    failed = _train_run(
        project, dataset[0], name="gamma", score=0.7, seed=3, status="failed", trials=False
    )

    newest = _row_ids(dashboard.get("/ui/runs"))
    assert newest == [failed, high, low]
    by_metric = _row_ids(dashboard.get("/ui/runs?sort=metric:cv_roc_auc&order=desc"))
    assert by_metric == [high, failed, low]
    assert _row_ids(dashboard.get("/ui/runs?sort=metric:cv_roc_auc&order=asc")) == [
        low,
        failed,
        high,
    ]
    assert _row_ids(dashboard.get("/ui/runs?sort=name&order=asc")) == [low, high, failed]
    assert _row_ids(dashboard.get("/ui/runs?status=failed")) == [failed]
    assert _row_ids(dashboard.get("/ui/runs?search=bet")) == [high]
    assert _row_ids(dashboard.get("/ui/runs?search=%22seed%22%3A%202")) == [high]  # params
    assert _row_ids(dashboard.get("/ui/runs?search=ROC_AUC")) == [failed, high, low]
    # a metric name the store refuses to sort by shows the newest first, not an error
    assert _row_ids(dashboard.get('/ui/runs?sort=metric:a"b&order=asc')) == newest
    assert _row_ids(dashboard.get("/ui/runs?kind=optimize")) == []

    full = dashboard.get("/ui/runs?status=finished")
    assert "<html" in full and 'hx-target="#runs-table"' in full and 'hx-push-url="true"' in full
    partial = dashboard.client.get("/ui/runs?status=finished", headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.text
    assert _row_ids(partial.text) == [high, low]


def test_runs_paginate_fifty(dashboard: Dashboard) -> None:
    for i in range(55):
        dashboard.project.metadata.runs.start("optimize", name=f"r{i}")
    first = dashboard.get("/ui/runs")
    assert len(_row_ids(first)) == 50 and "1–50 of 55" in first and "offset=50" in first
    assert len(_row_ids(dashboard.get("/ui/runs?offset=50"))) == 5


def test_run_detail_trials_and_hostile_param(
    dashboard: Dashboard, dataset: tuple[int, int]
) -> None:
    project = dashboard.project
    run_id = _train_run(project, dataset[1], name="churn", score=0.8, seed=1)
    page = dashboard.get(f"/ui/runs/{run_id}")
    assert 'href="/ui/models/churn"' in page and 'href="/ui/datasets/customers?version=2"' in page
    assert "3 trials" in page and "best loss so far" in page and "loss per family" in page
    assert 'data-chart="trial-chart-1"' in page

    bare = project.metadata.runs.start("train", params={"note": HOSTILE_PARAM}, name="x")
    project.metadata.runs.finish(bare.id, status="failed", error=HOSTILE_PARAM)
    page = dashboard.get(f"/ui/runs/{bare.id}")
    assert HOSTILE_PARAM not in page and "&lt;img src=x" in page
    assert "no trial data" in page

    missing = dashboard.client.get("/ui/runs/" + "0" * 32)
    assert missing.status_code == 404 and "no run with id" in missing.text


def test_compare_min_max_and_param_diff(dashboard: Dashboard, dataset: tuple[int, int]) -> None:
    project = dashboard.project
    a = _train_run(project, dataset[0], name="alpha", score=0.6, seed=1)
    b = _train_run(project, dataset[0], name="beta", score=0.9, seed=2)
    hostile = project.metadata.runs.start(
        "train", params={"seed": 3, "metric": "roc_auc", "target": "label", "note": HOSTILE_PARAM}
    )
    project.metadata.runs.finish(hostile.id, metrics={"cv_roc_auc": 0.7})
    query = f"/ui/runs/compare?ids={a}&ids={b}&ids={hostile.id}"

    page = dashboard.get(query)
    assert re.search(r'<td class="num min">0\.6</td>', page)
    assert re.search(r'<td class="num max">0\.9</td>', page)
    assert "best loss so far, per run" in page and 'data-chart="compare-chart"' in page
    params = page.split('id="compare-params"')[1]
    assert "<th>seed</th>" in params and "<th>target</th>" not in params  # equal ones hidden
    assert HOSTILE_PARAM not in page and "&#34;&gt;&lt;img" in page

    shown = dashboard.get(query + "&diff=0")
    assert "<th>target</th>" in shown.split('id="compare-params"')[1]
    # the toggle form sends diff=0 then diff=1 when ticked: the last one wins
    assert (
        "<th>target</th>"
        not in dashboard.get(query + "&diff=0&diff=1").split('id="compare-params"')[1]
    )
    partial = dashboard.client.get(
        query + "&diff=0", headers={"HX-Request": "true", "HX-Target": "compare-params"}
    )
    assert partial.status_code == 200 and "<html" not in partial.text
    assert "<th>target</th>" in partial.text

    unknown = dashboard.client.get(f"/ui/runs/compare?ids={a}&ids=feedfacecafe")
    assert unknown.status_code == 404 and "feedfacecafe" in unknown.text
    too_many = dashboard.client.get("/ui/runs/compare?" + "&".join(f"ids=r{i}" for i in range(11)))
    assert too_many.status_code == 400
