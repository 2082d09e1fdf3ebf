"""One look at a deployment over a window: traffic, latency, errors, drift, quality, metrics.

The reference is the dataset version in the serving model's lineage (what it learned
from); the current data is what the prediction log says the deployment was asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lepton.data.catalog import DataCatalog
from lepton.errors import DataError
from lepton.monitor.drift import DriftReport, FeatureDrift, detect_drift
from lepton.monitor.inputs import InputChecks
from lepton.monitor.performance import LivePerformance
from lepton.monitor.quality import QualityReport
from lepton.monitor.text_drift import TextDrift
from lepton.runtime.kinds import get_kind, resolve
from lepton.runtime.loader import load_predictor, package_folder
from lepton.runtime.manifest import PackageManifest, read_manifest
from lepton.serve.deployments import get_spec
from lepton.store.predictions import parse_window, strip_inputs
from lepton.store.project import Project

MAX_REFERENCE_ROWS = 50_000


@dataclass
class MonitorSummary:
    deployment: str
    model: str
    window: str
    primary_version: int
    requests: int = 0
    rows: int = 0
    rows_by_version: dict[int, int] = field(default_factory=dict)
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None
    errors: int = 0
    error_rate: float = 0.0
    labelled_rows: int = 0
    drift: DriftReport | None = None
    prediction_drift: FeatureDrift | None = None
    quality: QualityReport | None = None
    performance: pd.DataFrame = field(default_factory=pd.DataFrame)
    text_drift: list[TextDrift] = field(default_factory=list)  # text columns only
    residual_drift: FeatureDrift | None = None  # forecasts: live vs backtest scaled residuals
    output_shift: FeatureDrift | None = None  # the kind's output check (cluster shares)

    def headline(self) -> dict[str, Any]:
        """Flat numbers for alerts, JSON output and the report's summary block."""
        out: dict[str, Any] = {
            "deployment": self.deployment,
            "model": self.model,
            "window": self.window,
            "primary_version": self.primary_version,
            "requests": self.requests,
            "rows": self.rows,
            "latency_p50_ms": self.latency_p50_ms,
            "latency_p99_ms": self.latency_p99_ms,
            "errors": self.errors,
            "error_rate": self.error_rate,
            "labelled_rows": self.labelled_rows,
        }
        if self.drift is not None:
            out["dataset_drift"] = self.drift.dataset_drift
            out["drift_share"] = self.drift.share_drifted
            out["drifted_features"] = [f.name for f in self.drift.features if f.drifted]
        if self.prediction_drift is not None:
            out["prediction_drift"] = self.prediction_drift.drifted
        if self.residual_drift is not None:
            out["residual_drift"] = self.residual_drift.drifted
        if self.output_shift is not None:
            out["output_shift"] = self.output_shift.drifted
            out["output_shift_psi"] = self.output_shift.psi
        if self.text_drift:
            out["text_drifted_columns"] = [t.name for t in self.text_drift if t.drifted]
        for row in self.performance.itertuples():
            out[f"live_{row.metric}_v{row.version}"] = row.live
        return out


@dataclass
class MonitorData:
    """What a summary was computed from, kept for plots."""

    reference: pd.DataFrame
    current: pd.DataFrame
    latency: pd.DataFrame
    metrics: pd.DataFrame
    # the kind's own report sections (title, HTML), e.g. a rules model's top rules
    sections: list[tuple[str, str]] = field(default_factory=list)


def summarize(
    project: Project, deployment: str, window: str = "24h"
) -> tuple[MonitorSummary, MonitorData]:
    spec = get_spec(project, deployment)
    span = parse_window(window)
    store = project.predictions
    record = project.metadata.get_model_version(spec.model, spec.primary)
    manifest = read_manifest(package_folder(project, record))
    summary = MonitorSummary(deployment, spec.model, window, spec.primary)
    log = store.predictions(deployment, window=span)
    errors = store.errors(deployment, window=span)
    summary.errors = len(errors)
    empty = MonitorData(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), pd.DataFrame())
    if log.empty:
        total = summary.errors
        summary.error_rate = 1.0 if total else 0.0
        return summary, empty
    per_request = log.drop_duplicates("request_id")
    summary.requests = len(per_request)
    summary.rows = len(log)
    counts = log["version"].value_counts()
    summary.rows_by_version = {int(str(k)): int(v) for k, v in counts.items()}
    summary.latency_p50_ms = float(np.percentile(per_request["latency_ms"], 50))
    summary.latency_p99_ms = float(np.percentile(per_request["latency_ms"], 99))
    summary.error_rate = summary.errors / (summary.requests + summary.errors)

    current = strip_inputs(log)
    reference = _reference(project, manifest)
    kind = get_kind(manifest.kind)
    checks: InputChecks = kind.entry("input_checks")(manifest, reference, current)
    summary.drift, summary.quality, summary.text_drift = (
        checks.drift,
        checks.quality,
        checks.text_drift,
    )
    if kind.prediction_drift:
        summary.prediction_drift = _prediction_drift(
            project, spec.model, spec.primary, reference, log
        )

    if kind.output_shift:
        summary.output_shift = resolve(kind.output_shift)(manifest, log)
    labelled = store.labelled(deployment, window=span)
    summary.labelled_rows = len(labelled)
    live: LivePerformance = kind.entry("live_performance")(
        project, spec.model, manifest, labelled, _bucket(log)
    )
    summary.performance = live.metrics
    if kind.live_outputs is not None:
        rates = kind.entry("live_outputs")(manifest, log)
        rows = live.metrics.to_dict("records") + rates.to_dict("records")
        summary.performance = pd.DataFrame(rows, columns=list(live.metrics.columns))
    summary.residual_drift = live.residual_drift
    latency = per_request[["ts", "latency_ms", "version"]].reset_index(drop=True)
    sections = kind.entry("report_sections")(manifest) if kind.report_sections else []
    return summary, MonitorData(checks.reference, current, latency, live.over_time, sections)


def _reference(project: Project, manifest: PackageManifest) -> pd.DataFrame:
    """The training rows of the package's lineage (sampled), restricted to its inputs."""
    columns = manifest.input_columns
    ref = manifest.lineage.get("dataset")
    if not ref:
        raise DataError("the model package records no training dataset; cannot compute drift")
    frame = DataCatalog(project).get(ref).to_pandas()
    if len(frame) > MAX_REFERENCE_ROWS:
        frame = frame.sample(MAX_REFERENCE_ROWS, random_state=0)
    return frame[[c for c in columns if c in frame.columns]].reset_index(drop=True)


def _prediction_drift(
    project: Project, model: str, version: int, reference: pd.DataFrame, log: pd.DataFrame
) -> FeatureDrift | None:
    """Drift of the model's answers: its predictions on the reference vs live predictions."""
    predictor, _ = load_predictor(project, f"{model}@{version}")
    sample = reference.sample(min(len(reference), 5_000), random_state=0)
    expected = pd.DataFrame({"prediction": predictor.predict(sample).astype(str).to_numpy()})
    live = log[log["version"] == version]
    if live.empty:
        return None
    regression = predictor.task == "regression"
    if regression:
        expected = expected.astype(float)
    observed = pd.DataFrame(
        {"prediction": live["out_prediction"].astype(float if regression else str).to_numpy()}
    )
    kind = "numeric" if regression else "categorical"
    report = detect_drift(expected, observed, kinds={"prediction": kind})
    return report.features[0]


def _bucket(log: pd.DataFrame) -> str:
    span = log["ts"].max() - log["ts"].min()
    seconds = span.total_seconds() if pd.notna(span) else 0
    for limit, bucket in ((600, "1min"), (6 * 3600, "10min"), (3 * 86400, "1h")):
        if seconds <= limit:
            return bucket
    return "1D"


def write_report(summary: MonitorSummary, data: MonitorData, path: Path) -> Path:
    """The HTML report with plots for a summary."""
    from lepton.monitor.report import render_html

    if summary.quality is None:
        raise DataError(f"no traffic logged for {summary.deployment!r} in {summary.window}")
    # no comparable inputs (forecasts of stored series send no history): an empty drift table
    drift = summary.drift or DriftReport([], 0.0, False, len(data.reference), len(data.current))
    return render_html(
        path,
        title=f"{summary.deployment} — {summary.model} v{summary.primary_version}, {summary.window}",
        drift=drift,
        quality=summary.quality,
        reference=data.reference,
        current=data.current,
        latency=data.latency,
        metrics=None if data.metrics.empty else data.metrics,
        summary=summary.headline(),
        sections=data.sections,
    )
