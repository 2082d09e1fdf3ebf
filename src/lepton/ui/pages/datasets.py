"""Datasets: the catalogue (paginated, searchable), one dataset's versions, lineage and the
profile of a version with a histogram per numeric column.

Where the numbers come from: the profile is what ``lepton.data.profile.profile_frame``
stored with the version (``DatasetVersionRecord.profile``): per column its kind, dtype,
missing count and share, distinct values and ``stats`` (numbers: mean/std/min/quantiles/
max and ``histogram`` ``counts`` over ``edges`` (20 bins); categories and text: ``top``
values with counts; datetimes: min/max), plus table warnings and the target's summary,
the same record ``lepton data show`` prints. Nothing is recomputed from the data.
Lineage: each version's ``parent_version`` and the recipe steps it added (a version's
recipe is its parent's plus the new steps, ``data/catalog.clean``); the runs and model
versions that used a version come from their ``dataset_version_id``, capped with a count.
"""

from __future__ import annotations

import itertools
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lepton.errors import NotFoundError
from lepton.store.metadata.records import DatasetVersionRecord, ModelVersionRecord, RunRecord
from lepton.store.project import Project
from lepton.ui.context import UiDep
from lepton.ui.security import PageSession
from lepton.ui.templating import url_prefix

router = APIRouter()
PAGE_SIZE = 50
USED_BY_LIMIT = 20


@router.get("/datasets", response_class=HTMLResponse)
def datasets_page(
    request: Request, ui: UiDep, session: PageSession, search: str = "", offset: int = 0
) -> HTMLResponse:
    search = search.strip()[:200]
    page = ui.project.metadata.datasets.summaries_page(
        offset=max(offset, 0), limit=PAGE_SIZE, search=search or None
    )
    prefix = url_prefix(request)
    base = f"{prefix}/datasets?" + (f"search={_quote(search)}&" if search else "")
    template = (
        "partials/datasets_table.html"
        if request.headers.get("hx-request")
        and not request.headers.get("hx-history-restore-request")
        else "datasets.html"
    )
    response = ui.templates.render(request, template, page=page, search=search, base=base)
    response.headers["Vary"] = "HX-Request"
    return response


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def used_by(
    project: Project, version_ids: list[int]
) -> tuple[list[ModelVersionRecord], int, list[RunRecord], int]:
    """Model versions and runs trained from these dataset versions: newest first, capped,
    with their total counts."""
    metadata = project.metadata
    models = metadata.models.versions_by_dataset_versions(version_ids, limit=USED_BY_LIMIT)
    runs = metadata.runs.by_dataset_versions(version_ids, limit=USED_BY_LIMIT)
    return models.items, models.total, runs.items, runs.total


def added_steps(
    record: DatasetVersionRecord, by_version: dict[int, DatasetVersionRecord]
) -> list[dict[str, Any]]:
    """The recipe steps that made ``record`` from its parent (its recipe minus the parent's)."""
    steps = list(record.recipe or [])
    parent = by_version.get(record.parent_version) if record.parent_version else None
    inherited = list(parent.recipe or []) if parent is not None else []
    if inherited and steps[: len(inherited)] == inherited:
        return steps[len(inherited) :]
    return steps


def _step_text(step: dict[str, Any]) -> str:
    rest = ", ".join(f"{k}={v}" for k, v in step.items() if k != "step")
    return f"{step.get('step', '?')}({rest})"


def column_rows(profile: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The profile's columns as table rows, and a chart per numeric column's histogram."""
    rows, charts = [], []
    for index, col in enumerate(profile.get("columns") or []):
        if not isinstance(col, dict):
            continue
        stats = col.get("stats") or {}
        top = stats.get("top") or []
        row = {
            "name": str(col.get("name", "")),
            "kind": col.get("kind"),
            "dtype": col.get("dtype"),
            "missing_pct": col.get("missing_pct"),
            "n_missing": col.get("n_missing"),
            "n_unique": col.get("n_unique"),
            "mean": stats.get("mean"),
            "std": stats.get("std"),
            "min": stats.get("min"),
            "median": stats.get("median"),
            "max": stats.get("max"),
            "mean_length": stats.get("mean_length"),
            "top": [(str(v), c) for v, c in top if isinstance(v, str | int | float)][:5]
            if isinstance(top, list)
            else [],
            "chart": None,
        }
        hist = stats.get("histogram") or {}
        counts, edges = hist.get("counts"), hist.get("edges")
        if isinstance(counts, list) and isinstance(edges, list) and len(edges) == len(counts) + 1:
            chart_id = f"hist-{index}"
            row["chart"] = chart_id
            charts.append(
                {
                    "id": chart_id,
                    "column": row["name"],
                    "spec": {
                        "title": row["name"],
                        "x_label": "value (bin centre)",
                        "y_label": "rows",
                        "height": 160,
                        "x": [(a + b) / 2 for a, b in itertools.pairwise(edges)],
                        "series": [{"label": "rows", "values": counts}],
                    },
                }
            )
        rows.append(row)
    return rows, charts


@router.get("/datasets/{name}", response_class=HTMLResponse)
def dataset_detail(
    request: Request,
    ui: UiDep,
    session: PageSession,
    name: str,
    version: int | None = None,
) -> HTMLResponse:
    versions = ui.project.metadata.list_dataset_versions(name)
    by_version = {v.version: v for v in versions}
    selected = by_version.get(version) if version is not None else versions[-1]
    if selected is None:
        raise NotFoundError(
            f"dataset {name!r} has no version {version}; versions: "
            + ", ".join(str(v) for v in by_version)
        )
    lineage = [
        {
            "record": v,
            "steps": [_step_text(s) for s in added_steps(v, by_version)],
            "n_recipe": len(v.recipe or []),
        }
        for v in reversed(versions)
    ]
    by_id = {v.id: v.version for v in versions}
    models, n_models, runs, n_runs = used_by(ui.project, list(by_id))
    profile = selected.profile or {}
    columns, charts = column_rows(profile)
    target = profile.get("target") if isinstance(profile.get("target"), dict) else None
    balance = target.get("class_balance") if target else None
    return ui.templates.render(
        request,
        "datasets_detail.html",
        dataset_name=name,
        versions=list(reversed(versions)),
        selected=selected,
        lineage=lineage,
        by_id=by_id,
        models=models,
        n_models=n_models,
        runs=runs,
        n_runs=n_runs,
        profile=profile,
        columns=columns,
        charts=charts,
        warnings=[w for w in profile.get("warnings") or [] if isinstance(w, dict)],
        target=target,
        balance=sorted(balance.items(), key=lambda kv: -kv[1]) if isinstance(balance, dict) else [],
    )
