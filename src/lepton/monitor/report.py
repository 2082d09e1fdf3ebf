"""The monitoring report: one self-contained HTML file (plots inlined), written atomically.

It shares the look and the PNG helpers of the dataset profile report
(``lepton.data.report``) so both read as one product. A reader should see in the first
screen whether the live data drifted and which features did, then the evidence.
"""

from __future__ import annotations

import html
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from lepton.data.report import _STYLE, _img, _png
from lepton.monitor.drift import DriftReport, FeatureDrift, _finite
from lepton.monitor.quality import QualityReport

__all__ = ["drift_strength", "render_html"]

TOP_FEATURES = 12
TOP_CATEGORIES = 10
_REF, _CUR = "#4c72b0", "#dd8452"
_EXTRA_STYLE = """
.drift td{background:#fde8e6}.ok td{}.verdict{font-size:1.1rem;padding:.6rem 1rem;border-radius:6px;
display:inline-block;margin:.5rem 0}.verdict.bad{background:#fde8e6;color:#8a1c12}
.verdict.good{background:#e6f4ea;color:#1e5631}.grid{display:flex;flex-wrap:wrap;gap:1rem}
.grid img{max-width:520px}
"""


def render_html(
    path: Path,
    *,
    title: str,
    drift: DriftReport,
    quality: QualityReport,
    reference: pd.DataFrame,
    current: pd.DataFrame,
    latency: pd.DataFrame | None = None,
    metrics: pd.DataFrame | None = None,
    summary: dict[str, Any] | None = None,
    sections: list[tuple[str, str]] | None = None,
) -> Path:
    """Write the report to ``path`` (temp file + rename, so readers never see half a file)."""
    e = html.escape
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{e(title)}</title>",
        f"<style>{_STYLE}{_EXTRA_STYLE}</style></head><body>",
        f"<h1>{e(title)} <small>monitoring</small></h1>",
        _verdict(drift, quality),
    ]
    if summary:
        parts.append("<h2>Summary</h2>" + _key_values(summary))
    parts.append("<h2>Data drift</h2>" + _drift_table(drift))
    if drift.features:
        parts.append(_img(_strength_plot(drift.features)))
    ranked = sorted(drift.features, key=drift_strength, reverse=True)[:TOP_FEATURES]
    if ranked:
        parts.append(f"<h2>Distributions: reference vs live (top {len(ranked)} by drift)</h2>")
        plots = [
            _img(_distribution_plot(f, reference[f.name], current[f.name]))
            for f in ranked
            if f.name in reference.columns and f.name in current.columns
        ]
        parts.append("<div class='grid'>" + "".join(plots) + "</div>")
    if latency is not None and not latency.empty:
        parts.append("<h2>Latency over time</h2>" + _img(_latency_plot(latency)))
    if metrics is not None and not metrics.empty:
        parts.append("<h2>Metrics over time</h2>" + _img(_metrics_plot(metrics)))
    parts.append("<h2>Data quality</h2>" + _quality_section(quality))
    for heading, body in sections or []:  # the model kind's own (HTML it escaped itself)
        parts.append(f"<h2>{e(heading)}</h2>{body}")
    parts.append("</body></html>")
    return _write_atomic(Path(path), "".join(parts))


def drift_strength(feature: FeatureDrift) -> float:
    """Score on one scale for every test: 1.0 is the threshold, above it means drift.

    Distances divide by their threshold; p-values use ``log p / log threshold`` so that
    p = 0.05 → 1 and each factor of 20 smaller adds one. Capped at 10 (p = 0 → 10).
    """
    if feature.test == "empty":
        return 10.0 if feature.drifted else 0.0
    if feature.p_value is None:
        value = feature.statistic / feature.threshold if feature.threshold > 0 else 0.0
    elif feature.p_value <= 0:
        value = 10.0
    else:
        value = math.log(min(feature.p_value, 1.0)) / math.log(feature.threshold)
    return float(min(max(value, 0.0), 10.0)) if math.isfinite(value) else 10.0


def _verdict(drift: DriftReport, quality: QualityReport) -> str:
    drifted = drift.drifted_features
    if drift.dataset_drift:
        text = (
            f"Dataset drift: {len(drifted)} of {len(drift.features)} features drifted "
            f"({drift.share_drifted:.0%})"
        )
    else:
        text = f"No dataset drift: {len(drifted)} of {len(drift.features)} features drifted"
    cls = "bad" if drift.dataset_drift else "good"
    out = f"<div class='verdict {cls}'>{html.escape(text)}</div> "
    q_cls, q_text = (
        ("good", "data quality OK")
        if quality.ok
        else ("bad", f"{len(quality.issues)} quality issues")
    )
    out += f"<div class='verdict {q_cls}'>{html.escape(q_text)}</div>"
    return (
        out + f"<p>reference rows: {drift.reference_rows:,} · live rows: {drift.current_rows:,}</p>"
    )


def _key_values(values: dict[str, Any]) -> str:
    e = html.escape
    rows = "".join(f"<tr><th>{e(str(k))}</th><td>{e(_fmt(v))}</td></tr>" for k, v in values.items())
    return f"<table>{rows}</table>"


def _drift_table(drift: DriftReport) -> str:
    e = html.escape
    head = "".join(
        f"<th>{h}</th>"
        for h in ("feature", "kind", "test", "score", "threshold", "drifted", "PSI", "strength")
    )
    rows = []
    for f in sorted(drift.features, key=drift_strength, reverse=True):
        cells = (f.name, f.kind, f.test, f.score, f.threshold, "yes" if f.drifted else "no", f.psi)
        tds = "".join(f"<td>{e(_fmt(c))}</td>" for c in cells)
        tds += f"<td>{drift_strength(f):.2f}</td>"
        rows.append(f"<tr class='{'drift' if f.drifted else 'ok'}'>{tds}</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _quality_section(quality: QualityReport) -> str:
    e = html.escape
    frame = quality.to_frame()
    head = "".join(f"<th>{e(str(c))}</th>" for c in frame.columns)
    rows = []
    for record in frame.to_dict("records"):
        tds = "".join(f"<td>{e(_fmt(v))}</td>" for v in record.values())
        rows.append(f"<tr class='{'ok' if record['ok'] else 'drift'}'>{tds}</tr>")
    out = f"<table><tr>{head}</tr>{''.join(rows)}</table>"
    if quality.issues:
        out += "<ul>" + "".join(f"<li class='warn'>{e(i)}</li>" for i in quality.issues) + "</ul>"
    if quality.extra_columns:
        out += f"<p>Live columns not in the schema: {e(', '.join(quality.extra_columns))}</p>"
    return out


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        return f"{value:.4g}"
    if isinstance(value, int | np.integer):
        return f"{value:,}"
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return str(value)


def _strength_plot(features: list[FeatureDrift]) -> bytes:
    ranked = sorted(features, key=drift_strength)
    fig, ax = plt.subplots(figsize=(7, 0.28 * len(ranked) + 1.0))
    strengths = [drift_strength(f) for f in ranked]
    colors = ["#c44e52" if f.drifted else "#55a868" for f in ranked]
    ax.barh([f.name for f in ranked], strengths, color=colors)
    ax.axvline(1.0, color="#1d2330", linestyle="--", linewidth=1)
    ax.set_xlabel("drift strength (1 = threshold; red = drifted)", fontsize=8)
    ax.tick_params(labelsize=8)
    return _png(fig)


def _distribution_plot(feature: FeatureDrift, reference: pd.Series, current: pd.Series) -> bytes:
    fig, ax = plt.subplots(figsize=(5.2, 2.6))
    if feature.kind == "numeric":
        ref = _finite(reference)
        cur = _finite(current)
        both = np.concatenate([ref, cur])
        if both.size:
            low, high = np.quantile(both, [0.005, 0.995])
            bins: int | list[float] = np.linspace(low, high, 31).tolist() if high > low else 10
            ax.hist(ref, bins=bins, density=True, alpha=0.55, color=_REF, label="reference")
            ax.hist(cur, bins=bins, density=True, alpha=0.55, color=_CUR, label="live")
    else:
        ref_share = (
            reference.astype(str).where(reference.notna(), "(missing)").value_counts(normalize=True)
        )
        cur_share = (
            current.astype(str).where(current.notna(), "(missing)").value_counts(normalize=True)
        )
        top = (ref_share.add(cur_share, fill_value=0)).nlargest(TOP_CATEGORIES).index
        x = np.arange(len(top))
        ax.bar(x - 0.2, ref_share.reindex(top, fill_value=0), 0.4, color=_REF, label="reference")
        ax.bar(x + 0.2, cur_share.reindex(top, fill_value=0), 0.4, color=_CUR, label="live")
        ax.set_xticks(
            x, [t if len(t) <= 14 else t[:12] + "…" for t in top], rotation=30, ha="right"
        )
        ax.set_ylabel("share", fontsize=8)
    verdict = "DRIFT" if feature.drifted else "no drift"
    ax.set_title(f"{feature.name}: {feature.test} {feature.score:.3g} ({verdict})", fontsize=9)
    ax.legend(fontsize=7)
    ax.tick_params(labelsize=7)
    return _png(fig)


def _latency_plot(latency: pd.DataFrame) -> bytes:
    """p50/p99 per time bucket (about 60 buckets), so a million requests stay readable."""
    frame = latency[["ts", "latency_ms"]].dropna().copy()
    frame["ts"] = pd.to_datetime(frame["ts"])
    frame = frame.sort_values("ts")
    span = (frame["ts"].iloc[-1] - frame["ts"].iloc[0]) if len(frame) else pd.Timedelta(0)
    step = max(span / 60, pd.Timedelta(seconds=1))
    buckets = frame.groupby(frame["ts"].dt.floor(step))["latency_ms"]
    p50, p99 = buckets.quantile(0.5), buckets.quantile(0.99)
    fig, ax = plt.subplots(figsize=(8, 2.8))
    if len(frame) <= 5_000:
        ax.scatter(frame["ts"], frame["latency_ms"], s=3, color="#b8c2d6", label="requests")
    ax.plot(p50.index, p50.to_numpy(), color=_REF, label="p50")
    ax.plot(p99.index, p99.to_numpy(), color="#c44e52", label="p99")
    ax.set_ylabel("latency (ms)", fontsize=8)
    ax.legend(fontsize=7)
    ax.tick_params(labelsize=7)
    fig.autofmt_xdate()
    return _png(fig)


def _metrics_plot(metrics: pd.DataFrame) -> bytes:
    """One panel per metric, one line per model version."""
    x_col = "ts" if "ts" in metrics.columns else "window"
    names = list(dict.fromkeys(metrics["metric"]))
    fig, axes = plt.subplots(len(names), 1, figsize=(8, 2.2 * len(names)), squeeze=False)
    for ax, name in zip(axes[:, 0], names, strict=True):
        subset = metrics[metrics["metric"] == name]
        groups = subset.groupby("version") if "version" in subset.columns else [("", subset)]
        for version, group in groups:
            group = group.sort_values(x_col)
            label = f"v{version}" if version != "" else name
            ax.plot(group[x_col], group["value"], marker="o", markersize=3, label=label)
        ax.set_title(name, fontsize=9)
        ax.legend(fontsize=7)
        ax.tick_params(labelsize=7)
    fig.autofmt_xdate()
    return _png(fig)


def _write_atomic(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
