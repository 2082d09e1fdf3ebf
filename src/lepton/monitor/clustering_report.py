"""The clustering kind's part of the HTML report: what the clusters are, as plots.

A reader of a segmentation wants to see the segments before the numbers: a 2-D PCA
projection of training rows coloured by cluster (the package keeps up to 600 of them),
a heat map of each cluster's strongest contrasts on one effect-size scale (standardized
mean difference for numbers, Cohen's h for category shares), and the profile table
behind both. Everything comes from the package manifest, so the report needs no data.
"""

from __future__ import annotations

import html
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from lepton.data.report import _img, _png
from lepton.learn.clustering.profile import top_contrasts
from lepton.runtime.manifest import PackageManifest

MAX_HEATMAP_FEATURES = 12
NOISE_COLOR = "#b8c2d6"


def clustering_sections(manifest: PackageManifest) -> list[tuple[str, str]]:
    """[(title, html)]: the projection, the contrasts heat map and the profile table."""
    details = manifest.extra.get("clustering") or {}
    profile = details.get("profile") or []
    if not profile:
        return []
    title = (
        f"Clusters ({details.get('family')}, k={details.get('k')}, "
        f"silhouette {float(details.get('silhouette', float('nan'))):.3f})"
    )
    plots = []
    projection = details.get("projection") or {}
    if projection.get("x"):
        plots.append(_img(projection_plot(projection)))
    heat = contrast_matrix(profile)
    if heat[1]:
        plots.append(_img(contrast_plot(*heat)))
    body = "<div class='grid'>" + "".join(plots) + "</div>" + _profile_table(profile)
    return [(title, body)]


def contrast_matrix(
    profile: list[dict[str, Any]],
) -> tuple[list[str], list[str], np.ndarray[Any, Any]]:
    """(cluster names, features, effects): the features any cluster is set apart by.

    Features are ranked by their largest absolute effect in any cluster and capped at
    ``MAX_HEATMAP_FEATURES``; a cell is 0 where that feature is not among the cluster's
    recorded top contrasts.
    """
    strongest: dict[str, float] = {}
    for row in profile:
        for contrast in row["contrasts"]:
            name = str(contrast["feature"])
            strongest[name] = max(strongest.get(name, 0.0), abs(float(contrast["effect"])))
    features = sorted(strongest, key=lambda f: -strongest[f])[:MAX_HEATMAP_FEATURES]
    clusters = [_cluster_name(row) for row in profile]
    effects = np.zeros((len(clusters), len(features)))
    for i, row in enumerate(profile):
        for contrast in row["contrasts"]:
            if contrast["feature"] in features:
                effects[i, features.index(contrast["feature"])] = float(contrast["effect"])
    return clusters, features, effects


def projection_plot(projection: dict[str, Any]) -> bytes:
    x, y = np.asarray(projection["x"], float), np.asarray(projection["y"], float)
    clusters = np.asarray(projection["cluster"], int)
    explained = projection.get("explained") or []
    fig, ax = plt.subplots(figsize=(5.2, 4.0))
    palette = plt.get_cmap("tab10")
    for index, cluster in enumerate(sorted(set(clusters.tolist()))):
        keep = clusters == cluster
        color = NOISE_COLOR if cluster < 0 else palette(index % 10)
        label = "noise" if cluster < 0 else f"cluster {cluster}"
        ax.scatter(x[keep], y[keep], s=9, alpha=0.75, color=color, label=label)
    axis = [f"PC{i + 1} ({100 * v:.0f}% of variance)" for i, v in enumerate(explained[:2])]
    ax.set_xlabel(axis[0] if axis else "PC1", fontsize=8)
    ax.set_ylabel(axis[1] if len(axis) > 1 else "PC2", fontsize=8)
    ax.set_title(f"2-D projection of {len(x)} training rows", fontsize=9)
    ax.legend(fontsize=7, markerscale=1.5)
    ax.tick_params(labelsize=7)
    return _png(fig)


def contrast_plot(clusters: list[str], features: list[str], effects: np.ndarray[Any, Any]) -> bytes:
    limit = max(float(np.abs(effects).max(initial=0.0)), 0.5)
    fig, ax = plt.subplots(figsize=(0.55 * len(features) + 2.4, 0.45 * len(clusters) + 1.6))
    image = ax.imshow(effects, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(len(features)), [_short(f) for f in features], rotation=40, ha="right")
    ax.set_yticks(range(len(clusters)), clusters)
    for (i, j), value in np.ndenumerate(effects):
        if value:
            ink = "white" if abs(value) > 0.6 * limit else "#1d2330"
            ax.text(j, i, f"{value:+.1f}", ha="center", va="center", fontsize=6, color=ink)
    bar = fig.colorbar(image, ax=ax, fraction=0.04)
    bar.set_label("effect size (sd / Cohen's h)", fontsize=7)
    ax.set_title("What sets each cluster apart", fontsize=9)
    ax.tick_params(labelsize=7)
    return _png(fig)


def _profile_table(profile: list[dict[str, Any]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in ("cluster", "size", "share", "sets it apart"))
    rows = []
    for row in profile:
        cells = (
            _cluster_name(row),
            f"{row['size']:,}",
            f"{100 * row['share']:.1f}%",
            html.escape(top_contrasts(row)),
        )
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _cluster_name(row: dict[str, Any]) -> str:
    return "noise" if row.get("noise") else f"cluster {row['cluster']}"


def _short(name: str) -> str:
    return name if len(name) <= 18 else name[:16] + "…"
