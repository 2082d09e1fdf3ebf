"""Runs: a sortable, filterable table of every run (50 a page), one run's details and
search trials, and a side-by-side comparison of up to 10 runs.

Where the numbers come from:

- the table is one page of ``RunRepository.page`` (filters, sort and ``LIMIT/OFFSET`` in
  the database, plus one ``COUNT``), so a store with 10,000 runs costs the same as one
  with 50; the search matches a run's name, id or parameter text; sorting by a metric
  sorts on its numeric JSON value in the database, runs without it last.
- the trials of a training run are its registered package's leaderboard
  (``native/leaderboard.csv``, written by ``learn/package.write_package`` from
  ``AutoML.leaderboard()``): one row per successful trial, ``model`` = ``family#trial``,
  its cross-validated ``score``, ``fit_seconds``. The trial number is the ``#N`` of the
  model name (the order the search asked for trials); the loss is the score turned so
  lower is better (``-score`` for metrics where greater is better, ``learn/metrics``).
  Only that one small file is read; artifacts are immutable, so it is cached by key.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from lepton.errors import InvalidNameError, LeptonError, NotFoundError
from lepton.store.metadata.records import ModelVersionRecord, Page, RunRecord
from lepton.store.metadata.repositories.runs import RUN_STATUSES
from lepton.store.project import Project
from lepton.ui.context import UiDep
from lepton.ui.security import PageSession
from lepton.ui.templating import url_prefix

router = APIRouter()
PAGE_SIZE = 50
MAX_COMPARE = 10
MAX_MODEL_VERSIONS = 20
LEADERBOARD = "native/leaderboard.csv"
COLUMNS = ("started", "duration", "status", "kind", "name")
# the page's sort names → the store's sort keys (``metric:<name>`` passes through)
SORT_COLUMNS: dict[str, str] = {
    "started": "started_at",
    "duration": "duration_s",
    "status": "status",
    "kind": "kind",
    "name": "name",
}


@dataclass
class Query_:
    kind: str = ""
    status: str = ""
    search: str = ""
    sort: str = "started"
    order: str = "desc"
    offset: int = 0

    def url(self, **changes: Any) -> str:
        values = {**self.__dict__, **changes}
        if values.get("sort") == "started" and values.get("order") == "desc":
            values.pop("sort"), values.pop("order")
        return urlencode({k: v for k, v in values.items() if v not in ("", None, 0)})


def query_runs(project: Project, q: Query_, limit: int = PAGE_SIZE) -> Page[RunRecord]:
    """One page of runs from the store: filters, sort and paging done by the database."""
    sort = SORT_COLUMNS.get(q.sort) or q.sort  # ``metric:<name>`` passes through
    return project.metadata.runs.page(
        offset=q.offset,
        limit=limit,
        sort=sort,
        descending=q.order != "asc",
        kind=q.kind or None,
        status=q.status or None,
        search=q.search or None,
        search_params=True,
    )


def primary_metric(runs: list[RunRecord]) -> str | None:
    """The cross-validated metric most runs on the page carry (``cv_<metric>``)."""
    counts: dict[str, int] = {}
    for run in runs:
        for key, value in run.metrics.items():
            if key.startswith("cv_") and _is_number(value):
                counts[key] = counts.get(key, 0) + 1
    return max(counts, key=lambda k: (counts[k], k)) if counts else None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _hx_partial(request: Request) -> bool:
    return bool(request.headers.get("hx-request")) and not request.headers.get(
        "hx-history-restore-request"
    )


@router.get("/runs", response_class=HTMLResponse)
def runs_page(
    request: Request,
    ui: UiDep,
    session: PageSession,
    kind: str = "",
    status: str = "",
    search: str = "",
    sort: str = "started",
    order: str = "desc",
    offset: int = 0,
) -> HTMLResponse:
    if sort not in SORT_COLUMNS and not (sort.startswith("metric:") and len(sort) > 7):
        sort = "started"
    q = Query_(
        kind=kind.strip(),
        status=status if status in RUN_STATUSES else "",
        search=search.strip()[:200],
        sort=sort,
        order="asc" if order == "asc" else "desc",
        offset=max(offset, 0),
    )
    try:
        page = query_runs(ui.project, q)
    except InvalidNameError:  # a metric name the store will not sort by: newest first
        q.sort, q.order = "started", "desc"
        page = query_runs(ui.project, q)
    metric = q.sort[7:] if q.sort.startswith("metric:") else primary_metric(page.items)
    values: dict[str, Any] = {
        "page": page,
        "q": q,
        "metric": metric,
        "base": f"{url_prefix(request)}/runs?" + (q.url(offset=0) + "&" if q.url(offset=0) else ""),
    }
    if _hx_partial(request):
        response = ui.templates.render(request, "partials/runs_table.html", **values)
    else:
        response = ui.templates.render(
            request,
            "runs.html",
            kinds=ui.project.metadata.runs.kinds(),
            statuses=RUN_STATUSES,
            **values,
        )
    response.headers["Vary"] = "HX-Request"
    return response


# ---------------------------------------------------------------- one run and its trials


def registered_versions(project: Project, run_id: str) -> tuple[list[ModelVersionRecord], int]:
    """The model versions a run registered (newest first, capped) and how many there are."""
    page = project.metadata.models.versions_by_run(run_id, limit=MAX_MODEL_VERSIONS)
    return page.items, page.total


@lru_cache(maxsize=1024)
def _leaderboard_text(store_id: int, artifact_key: str) -> str | None:
    store = _STORES.get(store_id)
    if store is None:
        return None
    try:
        with store.open(artifact_key, LEADERBOARD) as fh:
            return str(fh.read().decode())
    except (LeptonError, OSError, ValueError):
        return None


_STORES: dict[int, Any] = {}


@dataclass
class Trials:
    """A search's trials, in the order they were asked for."""

    source: str
    metric: str | None
    flipped: bool  # loss = -score (the metric is better when greater)
    numbers: list[int] = field(default_factory=list)
    families: list[str] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    fit_seconds: list[float | None] = field(default_factory=list)
    rows: list[dict[str, str]] = field(default_factory=list)  # the leaderboard as stored

    @property
    def best_so_far(self) -> list[float]:
        out: list[float] = []
        for loss in self.losses:
            out.append(loss if not out else min(out[-1], loss))
        return out

    @property
    def loss_label(self) -> str:
        if self.metric is None:
            return "loss"
        return f"loss (−{self.metric})" if self.flipped else f"loss ({self.metric})"


def _float(text: str | None) -> float | None:
    try:
        value = float(text) if text not in (None, "") else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


def run_trials(
    project: Project, run: RunRecord, versions: list[ModelVersionRecord]
) -> Trials | None:
    """The trials of ``run``'s search, from the leaderboard of a package it registered."""
    artifacts = project.artifacts
    _STORES[id(artifacts)] = artifacts
    metric_key = next((k for k in run.metrics if k.startswith("cv_")), None)
    metric = metric_key[3:] if metric_key else None
    flipped = False
    if metric is not None:
        from lepton.learn.metrics import METRICS

        known = METRICS.get(metric)
        flipped = bool(known and known.greater_is_better)
    for version in versions:
        text = _leaderboard_text(id(artifacts), version.artifact_key)
        if not text:
            continue
        rows = list(csv.DictReader(io.StringIO(text)))
        trials = Trials(
            source=f"{version.name} v{version.version}: {LEADERBOARD}",
            metric=metric,
            flipped=flipped,
            rows=rows,
        )
        found = []
        for row in rows:
            family, _, number = (row.get("model") or "").rpartition("#")
            score = _float(row.get("score"))
            if not family or not number.isdigit() or score is None:
                continue  # the ensemble row, or one without a score
            found.append((int(number), family, -score if flipped else score, row))
        for number, family, loss, row in sorted(found, key=lambda t: t[0]):
            trials.numbers.append(number)
            trials.families.append(family)
            trials.losses.append(loss)
            trials.fit_seconds.append(_float(row.get("fit_seconds")))
        if trials.numbers:
            return trials
    return None


def trial_charts(trials: Trials, run_label: str) -> list[dict[str, Any]]:
    best = {
        "title": "best loss so far",
        "x_label": "trial",
        "y_label": trials.loss_label,
        "x": trials.numbers,
        "series": [
            {"label": f"{run_label} best so far", "values": trials.best_so_far},
            {"label": "trial loss", "values": trials.losses, "dash": [4, 4]},
        ],
    }
    families = sorted(set(trials.families))
    scatter = {
        "kind": "scatter",
        "title": "loss per family",
        "x_label": "trial",
        "y_label": trials.loss_label,
        "x": trials.numbers,
        "series": [
            {
                "label": family,
                "values": [
                    loss if fam == family else None
                    for fam, loss in zip(trials.families, trials.losses, strict=True)
                ],
            }
            for family in families
        ],
    }
    return [best, scatter]


def _display(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return "–"
    return json.dumps(value, sort_keys=True, default=str)


def _dataset(project: Project, version_id: int | None) -> Any:
    if version_id is None:
        return None
    try:
        return project.metadata.get_dataset_version_by_id(version_id)
    except LeptonError:
        return None


@router.get("/runs/compare", response_class=HTMLResponse)
def compare_runs(
    request: Request,
    ui: UiDep,
    session: PageSession,
    ids: Annotated[list[str] | None, Query()] = None,
    diff: Annotated[list[str] | None, Query()] = None,
) -> HTMLResponse:
    wanted = list(dict.fromkeys(i.strip() for i in (ids or []) if i.strip()))
    if len(wanted) < 1:
        raise LeptonError("choose runs to compare: tick their boxes on the runs page")
    if len(wanted) > MAX_COMPARE:
        raise LeptonError(f"compare at most {MAX_COMPARE} runs at once, not {len(wanted)}")
    runs: list[RunRecord] = []
    missing: list[str] = []
    for run_id in wanted:
        try:
            runs.append(ui.project.metadata.get_run(run_id))
        except NotFoundError:
            missing.append(run_id)
    if missing:
        raise NotFoundError("no run with id " + ", ".join(repr(m) for m in missing))
    only_diff = (diff or ["1"])[-1] != "0"
    params = _param_rows(runs, only_diff)
    values: dict[str, Any] = {
        "runs": runs,
        "params": params[0],
        "n_equal": params[1],
        "only_diff": only_diff,
        "ids_query": urlencode([("ids", r.id) for r in runs]),
    }
    if _hx_partial(request) and request.headers.get("hx-target") == "compare-params":
        return ui.templates.render(request, "partials/runs_compare_params.html", **values)
    metrics = _metric_rows(runs)
    chart_x: set[int] = set()
    curves = []
    for run in runs:
        versions, _ = registered_versions(ui.project, run.id)
        trials = run_trials(ui.project, run, versions)
        if trials is not None:
            chart_x.update(trials.numbers)
            curves.append((run, trials))
    chart = None
    if curves:
        xs = sorted(chart_x)
        series = []
        for run, trials in curves:
            by_trial = dict(zip(trials.numbers, trials.best_so_far, strict=True))
            last, values_ = None, []
            for x in xs:  # carried forward between this run's trials, empty after its last
                last = by_trial.get(x, last)
                values_.append(last if x <= trials.numbers[-1] else None)
            series.append({"label": f"{run.name or run.kind} {run.id[:8]}", "values": values_})
        labels = {t.loss_label for _, t in curves}
        chart = {
            "title": "best loss so far, per run",
            "x_label": "trial",
            "y_label": labels.pop() if len(labels) == 1 else "loss (each run's own metric)",
            "x": xs,
            "series": series,
        }
    return ui.templates.render(
        request,
        "runs_compare.html",
        metrics=metrics,
        chart=chart,
        no_trials=[r for r in runs if all(r is not c for c, _ in curves)],
        **values,
    )


def _metric_rows(runs: list[RunRecord]) -> list[dict[str, Any]]:
    """Each metric across the runs, with the lowest and highest value marked."""
    keys = sorted({k for r in runs for k in r.metrics})
    rows = []
    for key in keys:
        cells = [r.metrics.get(key) for r in runs]
        numbers: list[float] = [c for c in cells if _is_number(c)]  # type: ignore[misc]
        low = min(numbers) if len(set(numbers)) > 1 else None
        high = max(numbers) if len(set(numbers)) > 1 else None
        rows.append(
            {
                "name": key,
                "cells": [
                    {
                        "value": cell,
                        "number": _is_number(cell),
                        "mark": "min"
                        if low is not None and cell == low
                        else "max"
                        if high is not None and cell == high
                        else "",
                    }
                    for cell in cells
                ],
            }
        )
    return rows


def _param_rows(runs: list[RunRecord], only_diff: bool) -> tuple[list[dict[str, Any]], int]:
    keys = sorted({k for r in runs for k in r.params})
    rows, n_equal = [], 0
    for key in keys:
        shown = [_display(r.params[key]) if key in r.params else "–" for r in runs]
        same = len(set(shown)) == 1
        n_equal += same
        if only_diff and same and len(runs) > 1:
            continue
        rows.append({"name": key, "cells": shown, "same": same})
    return rows, n_equal


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_detail(request: Request, ui: UiDep, session: PageSession, run_id: str) -> HTMLResponse:
    run = ui.project.metadata.get_run(run_id)
    versions, n_versions = registered_versions(ui.project, run.id)
    trials = run_trials(ui.project, run, versions)
    label = run.name or run.kind
    return ui.templates.render(
        request,
        "runs_detail.html",
        run=run,
        params=[(k, _display(v)) for k, v in sorted(run.params.items())],
        metrics=sorted(run.metrics.items()),
        dataset=_dataset(ui.project, run.dataset_version_id),
        versions=versions,
        n_versions=n_versions,
        trials=trials,
        charts=trial_charts(trials, label) if trials else [],
        ended=run.ended_at,
    )
