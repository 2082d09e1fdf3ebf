"""Time-bucketed traffic of a deployment, for the dashboard's live charts.

Two sources, never mixed:

- the prediction log (``project.predictions``): what every answered request looked like
  (its ``ts``, ``request_id`` and in-server ``latency_ms``, one row per predicted record)
  and the error events (``ts``, ``status``). Only those three columns are read (DuckDB
  projects the Parquet parts), one row per request is kept, and the rows are bucketed per
  minute: requests/s, p50/p99 latency, errors per minute. Every minute of the window is on
  the axis (0 requests, no latency) so an idle minute shows as idle, not as a gap closed.
- the server's own Prometheus counters (``ServerMetrics``), when the dashboard runs inside
  ``lepton serve``: totals since the server started and what is in flight now. They keep
  no history, so none is drawn from them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lepton.store.project import Project

if TYPE_CHECKING:
    from lepton.serve.metrics import ServerMetrics

WINDOW = timedelta(hours=1)
BUCKET = "1min"


def _utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True)


def traffic(
    project: Project, deployment: str, *, window: timedelta = WINDOW, now: datetime | None = None
) -> dict[str, Any]:
    """Per-minute requests/s, p50/p99 latency (ms) and errors of ``deployment``'s primary
    traffic over the last ``window``, as chart specs for ``static/app.js`` and totals."""
    store = project.predictions
    end = pd.Timestamp(now or datetime.now(UTC)).floor(BUCKET)
    minutes = pd.date_range(end - pd.Timedelta(window), end, freq=BUCKET)
    log = store.predictions(deployment, window=window, columns=["ts", "request_id", "latency_ms"])
    errors = store.errors(deployment, window=window)
    index = pd.DatetimeIndex(minutes)
    if log.empty:
        requests = pd.Series(0, index=index, dtype="int64")
        p50 = p99 = pd.Series(np.nan, index=index)
    else:
        per_request = log.drop_duplicates("request_id")
        bucket = _utc(per_request["ts"]).dt.floor(BUCKET)
        grouped = per_request["latency_ms"].groupby(bucket.to_numpy())
        requests = grouped.size().reindex(index, fill_value=0)
        p50 = grouped.quantile(0.5).reindex(index)
        p99 = grouped.quantile(0.99).reindex(index)
    if errors.empty:
        failed = pd.Series(0, index=index, dtype="int64")
    else:
        error_bucket = _utc(errors["ts"]).dt.floor(BUCKET)
        failed = error_bucket.value_counts().reindex(index, fill_value=0)
    x = [int(t.timestamp()) for t in index]

    def values(series: pd.Series, digits: int = 3) -> list[float | None]:
        return [None if pd.isna(v) else round(float(v), digits) for v in series]

    total_requests = int(requests.sum())
    return {
        "requests": total_requests,
        "errors": int(failed.sum()),
        "p50_ms": None
        if log.empty
        else float(np.percentile(log.drop_duplicates("request_id")["latency_ms"], 50)),
        "p99_ms": None
        if log.empty
        else float(np.percentile(log.drop_duplicates("request_id")["latency_ms"], 99)),
        "charts": {
            "rps": {
                "title": "requests/s (per minute, last hour)",
                "x": x,
                "x_time": True,
                "y_label": "req/s",
                "series": [{"label": "requests/s", "values": values(requests / 60.0, 4)}],
            },
            "latency": {
                "title": "latency in server (ms)",
                "x": x,
                "x_time": True,
                "y_label": "ms",
                "series": [
                    {"label": "p50", "values": values(p50)},
                    {"label": "p99", "values": values(p99)},
                ],
            },
            "errors": {
                "title": "errors per minute",
                "x": x,
                "x_time": True,
                "y_label": "errors",
                "series": [{"label": "errors", "values": values(failed, 0), "color": "#dc2626"}],
            },
        },
    }


def server_counters(metrics: ServerMetrics | None, deployment: str) -> dict[str, Any] | None:
    """What the running server counted for ``deployment`` since it started (no history):
    requests by version and status, errors by status, mean latency and queued rows per
    version, and the server's requests in flight (all deployments)."""
    if metrics is None:
        return None
    requests: dict[tuple[str, str], float] = {}
    errors: dict[str, float] = {}
    latency_sum: dict[str, float] = {}
    latency_count: dict[str, float] = {}
    queued: dict[str, float] = {}
    in_flight: float | None = None
    for family in metrics.registry.collect():
        for sample in family.samples:
            labels = sample.labels
            if sample.name == "lepton_in_flight_requests":
                in_flight = sample.value
                continue
            if labels.get("deployment") != deployment:
                continue
            version = labels.get("version", "")
            if sample.name == "lepton_requests_total":
                requests[(version, labels.get("status", ""))] = sample.value
            elif sample.name == "lepton_errors_total":
                errors[labels.get("status", "")] = sample.value
            elif sample.name == "lepton_request_latency_seconds_sum":
                latency_sum[version] = sample.value
            elif sample.name == "lepton_request_latency_seconds_count":
                latency_count[version] = sample.value
            elif sample.name == "lepton_queue_depth_rows":
                queued[version] = sample.value
    versions = sorted(set(latency_count) | {v for v, _ in requests} | set(queued))
    rows = [
        {
            "version": v,
            "requests": int(sum(n for (ver, _), n in requests.items() if ver == v)),
            "by_status": {s: int(n) for (ver, s), n in sorted(requests.items()) if ver == v},
            "mean_latency_ms": (latency_sum.get(v, 0.0) / latency_count[v] * 1000.0)
            if latency_count.get(v)
            else None,
            "queued_rows": int(queued.get(v, 0)),
        }
        for v in versions
    ]
    return {
        "versions": rows,
        "errors": {s: int(n) for s, n in sorted(errors.items())},
        "in_flight": None if in_flight is None else int(in_flight),
    }
