"""What sets each cluster apart: its size and its strongest feature contrasts.

Effect sizes are on one scale so numbers and categories rank together:

- a numeric column: the standardized mean difference (Cohen's d) of the cluster against
  the other rows, with the pooled standard deviation;
- a category value: Cohen's h between its share in the cluster and in the other rows,
  reported with its share lift (share in the cluster / share overall).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

TOP_CONTRASTS = 5
NOISE = -1


def profile_clusters(
    frame: pd.DataFrame,
    labels: np.ndarray[Any, Any],
    numeric: list[str],
    categorical: list[str],
    top: int = TOP_CONTRASTS,
) -> list[dict[str, Any]]:
    """One entry per cluster (and HDBSCAN's noise, as cluster -1): size, share, contrasts."""
    labels = np.asarray(labels)
    n = len(labels)
    out: list[dict[str, Any]] = []
    for cluster in sorted(set(labels.tolist())):
        inside = labels == cluster
        contrasts = [*_numeric(frame, numeric, inside), *_categorical(frame, categorical, inside)]
        contrasts.sort(key=lambda c: -abs(c["effect"]))
        out.append(
            {
                "cluster": int(cluster),
                "noise": cluster == NOISE,
                "size": int(inside.sum()),
                "share": round(float(inside.mean()) if n else 0.0, 4),
                "contrasts": contrasts[:top],
            }
        )
    return out


def _numeric(
    frame: pd.DataFrame, columns: list[str], inside: np.ndarray[Any, Any]
) -> list[dict[str, Any]]:
    found = []
    for column in columns:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        a, b = values[inside], values[~inside]
        a, b = a[~np.isnan(a)], b[~np.isnan(b)]
        if len(a) < 2 or len(b) < 2:
            continue
        pooled = np.sqrt(
            ((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / (len(a) + len(b) - 2)
        )
        if not pooled > 0:
            continue
        d = float((a.mean() - b.mean()) / pooled)
        found.append(
            {
                "feature": column,
                "kind": "numeric",
                "effect": round(d, 3),
                "measure": "standardized mean difference",
                "cluster_mean": round(float(a.mean()), 4),
                "other_mean": round(float(b.mean()), 4),
            }
        )
    return found


def _categorical(
    frame: pd.DataFrame, columns: list[str], inside: np.ndarray[Any, Any]
) -> list[dict[str, Any]]:
    found = []
    for column in columns:
        values = frame[column].astype("string").fillna("(missing)").to_numpy(dtype=object)
        best: dict[str, Any] | None = None
        for value in pd.unique(values):
            p_in = float(np.mean(values[inside] == value))
            p_out = float(np.mean(values[~inside] == value)) if (~inside).any() else 0.0
            overall = float(np.mean(values == value))
            h = 2 * np.arcsin(np.sqrt(p_in)) - 2 * np.arcsin(np.sqrt(p_out))
            if best is None or abs(h) > abs(best["effect"]):
                best = {
                    "feature": f"{column}={value}",
                    "kind": "categorical",
                    "effect": round(float(h), 3),
                    "measure": "Cohen's h of the share",
                    "cluster_share": round(p_in, 4),
                    "overall_share": round(overall, 4),
                    "lift": round(p_in / overall, 3) if overall > 0 else None,
                }
        if best is not None:
            found.append(best)
    return found


def describe_contrast(contrast: dict[str, Any]) -> str:
    """One line for a contrast: ``bill_length +1.8 sd`` / ``island=Biscoe 80% vs 40% (x2.00)``."""
    if contrast["kind"] == "numeric":
        return f"{contrast['feature']} {contrast['effect']:+.2f} sd"
    lift = contrast.get("lift")
    share = f"{100 * contrast['cluster_share']:.0f}% vs {100 * contrast['overall_share']:.0f}%"
    return f"{contrast['feature']} {share}" + (f" (x{lift:.2f})" if lift is not None else "")


def top_contrasts(row: dict[str, Any], n: int = 3) -> str:
    """A cluster's ``n`` strongest contrasts on one line: its summary in every table."""
    return "; ".join(describe_contrast(c) for c in row["contrasts"][:n])
