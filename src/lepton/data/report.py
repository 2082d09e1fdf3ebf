"""A self-contained HTML profile report: tables plus plots, one file to open or share."""

from __future__ import annotations

import base64
import html
import io
import itertools
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from lepton.data.profile import ColumnProfile, Profile

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2330;max-width:1100px}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #d6dae3;padding:.3rem .6rem;
text-align:left;font-size:.9rem}th{background:#f0f2f7}.warn{color:#a34b00}
.col{border-top:1px solid #d6dae3;padding:1rem 0;display:flex;gap:2rem;align-items:flex-start}
.col img{max-width:420px}h1 small{color:#6b7385;font-weight:normal}
"""


def render_html(profile: Profile, *, title: str) -> str:
    """The full report as one HTML string (plots inlined as PNG data URIs)."""
    e = html.escape
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{e(title)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{e(title)} <small>profile</small></h1>",
        "<table><tr><th>rows</th><th>columns</th><th>duplicated rows</th><th>memory</th></tr>",
        f"<tr><td>{profile.n_rows:,}</td><td>{profile.n_cols}</td>"
        f"<td>{profile.n_duplicate_rows:,}</td><td>{profile.memory_bytes / 1e6:.2f} MB</td></tr></table>",
    ]
    if profile.warnings:
        parts.append("<h2>Warnings</h2><ul>")
        parts += [f"<li class='warn'>{e(w['message'])}</li>" for w in profile.warnings]
        parts.append("</ul>")
    parts.append(f"<h2>Missing values</h2>{_img(_missing_plot(profile))}")
    if profile.target and profile.target.get("class_balance"):
        parts.append(f"<h2>Target: {e(profile.target['name'])}</h2>")
        parts.append(
            _img(_bar_plot(list(profile.target["class_balance"].items()), "class balance"))
        )
    parts.append("<h2>Columns</h2>")
    for col in profile.columns:
        parts.append(_column_section(col))
    parts.append("</body></html>")
    return "".join(parts)


def _column_section(col: ColumnProfile) -> str:
    e = html.escape
    rows = [
        ("kind", col.kind),
        ("dtype", col.dtype),
        ("missing", f"{col.n_missing:,} ({col.missing_pct:.2f}%)"),
        ("unique", f"{col.n_unique:,}"),
    ]
    for key in ("mean", "std", "min", "median", "max", "n_outliers", "mean_length"):
        if key in col.stats:
            value = col.stats[key]
            rows.append((key, f"{value:,.4g}" if isinstance(value, float) else str(value)))
    table = (
        "<table>"
        + "".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in rows)
        + "</table>"
    )
    plot = ""
    if "histogram" in col.stats:
        plot = _img(_histogram(col))
    elif col.stats.get("top"):
        plot = _img(_bar_plot([(str(k), int(v)) for k, v in col.stats["top"]], "top values"))
    return f"<div class='col'><div><h3>{e(col.name)}</h3>{table}</div><div>{plot}</div></div>"


def _img(png: bytes) -> str:
    return f"<img alt='plot' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _histogram(col: ColumnProfile) -> bytes:
    hist = col.stats["histogram"]
    edges, counts = hist["edges"], hist["counts"]
    fig, ax = plt.subplots(figsize=(5, 2.4))
    ax.bar(
        edges[:-1],
        counts,
        width=[b - a for a, b in itertools.pairwise(edges)],
        align="edge",
        color="#4c72b0",
        edgecolor="white",
    )
    low, high = col.stats.get("outlier_bounds", [None, None])
    for bound in (low, high):
        if bound is not None and edges[0] <= bound <= edges[-1]:
            ax.axvline(bound, color="#c44e52", linestyle="--", linewidth=1)
    ax.set_title(f"{col.name} (dashed: IQR outlier bounds)", fontsize=9)
    return _png(fig)


def _bar_plot(items: list[tuple[str, int]], title: str) -> bytes:
    labels = [k if len(k) <= 24 else k[:22] + "…" for k, _ in items][::-1]
    fig, ax = plt.subplots(figsize=(5, 0.3 * len(items) + 0.8))
    ax.barh(labels, [v for _, v in items][::-1], color="#55a868")
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=8)
    return _png(fig)


def _missing_plot(profile: Profile) -> bytes:
    cols = [c for c in profile.columns]
    fig, ax = plt.subplots(figsize=(7, 0.25 * len(cols) + 0.8))
    ax.barh([c.name for c in cols][::-1], [c.missing_pct for c in cols][::-1], color="#dd8452")
    ax.set_xlabel("% missing", fontsize=8)
    ax.set_xlim(0, max(5.0, max((c.missing_pct for c in cols), default=0) * 1.1))
    ax.tick_params(labelsize=8)
    return _png(fig)
