"""Monitoring: what ``lepton monitor NAME --window W`` prints, as a page with charts.

- feature drift: ``monitor.summary.summarize`` (reference = the training dataset of the
  serving version's lineage, current = the logged inputs of the window), per feature its
  test, score, p-value, threshold, PSI and verdict.
- drift over time: the summary holds one verdict for the whole window, so the window's
  logged inputs are cut into a handful of equal time buckets and each is compared with the
  same reference through the same function (``monitor.drift.detect_drift``, each column's
  kind forced to the one the summary used); buckets with too few rows are left empty.
- live metric vs training metric: the summary's ``performance`` (live value per metric and
  version next to the package's training metric) and its ``metrics`` over time (the same
  ``monitor.performance.metrics_over_time`` the HTML report plots), for the primary.

A summary loads the reference dataset and the serving model, so it is cached per
(project, deployment, window) for ``CACHE_TTL_S``; the page says how old it is.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lepton.errors import DataError, LeptonError
from lepton.store.predictions import parse_window, strip_inputs
from lepton.store.project import Project
from lepton.ui.context import UiDep
from lepton.ui.security import PageSession

router = APIRouter()
CACHE_TTL_S = 30.0
CACHE_SIZE = 64
DRIFT_BUCKETS = 6
MIN_BUCKET_ROWS = 10
MAX_REFERENCE_ROWS = 5_000
MAX_DRIFT_FEATURES = 8
MAX_METRIC_CHARTS = 4
WINDOWS = ("1h", "24h", "7d", "30d", "all")


@dataclass
class _View:
    summary: Any
    drift_rows: list[dict[str, Any]]
    drift_time: dict[str, Any] | None
    drift_table: list[dict[str, Any]]
    bucket_labels: list[str]
    metrics: list[dict[str, Any]]
    performance: list[dict[str, Any]]
    computed: float


_cache: dict[tuple[str, str, str], _View] = {}
_lock = threading.Lock()


def _key(project: Project, name: str, window: str) -> tuple[str, str, str]:
    return (str(project.settings.home), name, window)


def _ts(value: Any) -> int:
    return int(pd.Timestamp(value).timestamp())


def _float(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(number) or np.isinf(number) else number


def _drift_over_time(
    project: Project, name: str, window: str, summary: Any, reference: pd.DataFrame
) -> tuple[dict[str, Any] | None, list[dict[str, Any]], list[str]]:
    """Per time bucket: share of features drifted and each feature's score."""
    if summary.drift is None or not summary.drift.features or reference.empty:
        return None, [], []
    kinds = {f.name: f.kind for f in summary.drift.features}
    features = [f.name for f in summary.drift.features][:MAX_DRIFT_FEATURES]
    columns = ["ts", *[f"in_{c}" for c in kinds]]
    try:
        log = project.predictions.predictions(name, window=parse_window(window), columns=columns)
    except Exception:  # a column the log never had: no drift over time, the rest still shows
        return None, [], []
    if log.empty:
        return None, [], []
    ts = pd.to_datetime(log["ts"], utc=True)
    current = strip_inputs(log)
    if len(reference) > MAX_REFERENCE_ROWS:
        reference = reference.sample(MAX_REFERENCE_ROWS, random_state=0)
    reference = reference[[c for c in kinds if c in reference.columns]]
    start, end = ts.min(), ts.max()
    span = (end - start) / DRIFT_BUCKETS if end > start else pd.Timedelta(seconds=1)
    edges = [start + span * i for i in range(DRIFT_BUCKETS + 1)]
    x: list[int] = []
    labels: list[str] = []
    share: list[float | None] = []
    scores: dict[str, list[float | None]] = {f: [] for f in features}
    table: list[dict[str, Any]] = []
    for i in range(DRIFT_BUCKETS):
        low, high = edges[i], edges[i + 1]
        inside = (ts >= low) & ((ts < high) if i < DRIFT_BUCKETS - 1 else (ts <= high))
        x.append(_ts(low + (high - low) / 2))
        labels.append(f"{low:%m-%d %H:%M}–{high:%H:%M}")
        rows = int(inside.sum())
        if rows < MIN_BUCKET_ROWS:
            share.append(None)
            for f in features:
                scores[f].append(None)
            table.append({"rows": rows, "cells": {}})
            continue
        bucket = current.loc[inside.to_numpy(), list(reference.columns)].reset_index(drop=True)
        from lepton.monitor.drift import detect_drift  # scipy: only when a page asks

        report = detect_drift(reference, bucket, kinds=kinds)
        share.append(round(report.share_drifted, 4))
        by_name = {f.name: f for f in report.features}
        cells = {}
        for f in features:
            one = by_name.get(f)
            scores[f].append(None if one is None else _float(one.score))
            if one is not None:
                cells[f] = {"score": _float(one.score), "drifted": one.drifted, "test": one.test}
        table.append({"rows": rows, "cells": cells})
    if all(v is None for v in share):
        return None, table, labels
    chart = {
        "title": "share of features drifted per time bucket",
        "x": x,
        "x_time": True,
        "y_label": "share drifted",
        "series": [{"label": "share drifted", "values": share, "color": "#dc2626"}],
    }
    return chart, table, labels


def _metric_charts(summary: Any, over_time: pd.DataFrame) -> list[dict[str, Any]]:
    performance = summary.performance
    if performance is None or performance.empty:
        return []
    primary = summary.primary_version
    charts = []
    rows = performance[performance["version"] == primary]
    for row in rows.head(MAX_METRIC_CHARTS).itertuples():
        points = (
            over_time[(over_time["version"] == primary) & (over_time["metric"] == row.metric)]
            if not over_time.empty
            else over_time
        )
        points = points.sort_values("ts") if not points.empty else points
        x = [_ts(t) for t in points["ts"]] if not points.empty else []
        live = [_float(v) for v in points["value"]] if not points.empty else []
        training = _float(row.training)
        series = [{"label": f"live {row.metric}", "values": live}]
        if training is not None and x:
            series.append(
                {
                    "label": f"training {row.metric}",
                    "values": [training] * len(x),
                    "color": "#6b7280",
                    "dash": [6, 4],
                }
            )
        charts.append(
            {
                "metric": row.metric,
                "live": _float(row.live),
                "training": training,
                "n": int(row.n),
                "chart": {
                    "title": f"{row.metric}: live per bucket vs training (v{primary})",
                    "x": x,
                    "x_time": True,
                    "y_label": row.metric,
                    "series": series,
                },
            }
        )
    return charts


def _build(project: Project, name: str, window: str) -> _View:
    from lepton.monitor.summary import summarize

    summary, data = summarize(project, name, window)
    drift_rows = []
    if summary.drift is not None:
        for f in sorted(summary.drift.features, key=lambda f: (not f.drifted, f.name)):
            drift_rows.append(
                {
                    "name": f.name,
                    "kind": f.kind,
                    "test": f.test,
                    "statistic": _float(f.statistic),
                    "score": _float(f.score),
                    "p_value": _float(f.p_value),
                    "threshold": _float(f.threshold),
                    "psi": _float(f.psi),
                    "drifted": f.drifted,
                }
            )
    chart, table, labels = _drift_over_time(project, name, window, summary, data.reference)
    performance = (
        [
            {
                "version": int(str(r.version)),
                "metric": r.metric,
                "live": _float(r.live),
                "training": _float(r.training),
                "change": _float(r.change),
                "n": int(str(r.n)),
            }
            for r in summary.performance.itertuples()
        ]
        if not summary.performance.empty
        else []
    )
    return _View(
        summary,
        drift_rows,
        chart,
        table,
        labels,
        _metric_charts(summary, data.metrics),
        performance,
        time.time(),
    )


def monitor_view(project: Project, name: str, window: str) -> _View:
    """The page's numbers for (deployment, window), at most ``CACHE_TTL_S`` old."""
    key = _key(project, name, window)
    with _lock:
        cached = _cache.get(key)
    if cached is not None and time.time() - cached.computed < CACHE_TTL_S:
        return cached
    view = _build(project, name, window)
    with _lock:
        _cache[key] = view
        while len(_cache) > CACHE_SIZE:
            del _cache[next(iter(_cache))]
    return view


def forget(project: Project | None = None) -> None:
    """Drop cached views (of ``project``, or all)."""
    with _lock:
        for key in [k for k in _cache if project is None or k[0] == str(project.settings.home)]:
            del _cache[key]


@router.get("/monitoring", response_class=HTMLResponse)
def monitoring_index(request: Request, ui: UiDep, session: PageSession) -> HTMLResponse:
    from lepton.serve.deployments import DeploymentSpec

    specs = [DeploymentSpec.from_record(r) for r in ui.project.metadata.list_deployments()]
    return ui.templates.render(request, "monitoring.html", specs=specs, windows=WINDOWS)


@router.get("/monitoring/{name}", response_class=HTMLResponse)
def monitoring_detail(
    request: Request, name: str, ui: UiDep, session: PageSession, window: str = "24h"
) -> HTMLResponse:
    ui.project.metadata.get_deployment(name)  # 404 for an unknown deployment
    parse_window(window)  # 400 for a window that means nothing
    error = None
    view = None
    try:
        view = monitor_view(ui.project, name, window)
    except DataError as exc:
        error = str(exc)
    except LeptonError as exc:
        error = str(exc)
    return ui.templates.render(
        request,
        "monitoring_detail.html",
        deployment=name,
        window=window,
        windows=WINDOWS,
        view=view,
        error=error,
        age=None if view is None else time.time() - view.computed,
    )
