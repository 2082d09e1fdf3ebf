"""Recommenders in production: the hit rate of what was served, from clicks sent back.

A served record is logged with its items (``in_served``); feedback labels it with the
item the user then clicked or bought. A hit is that item being among those served.
Input checks compare the share of cold-start (fallback) answers, since user ids are
not a distribution to test for drift.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lepton.monitor.drift import detect_drift
from lepton.monitor.inputs import InputChecks
from lepton.monitor.performance import COLUMNS, OVER_TIME, LivePerformance
from lepton.monitor.quality import check_quality
from lepton.runtime.manifest import PackageManifest

if TYPE_CHECKING:
    from lepton.store.project import Project


def hits(labelled: pd.DataFrame) -> np.ndarray:
    """1.0 where the fed-back item was among the served ones, per labelled row."""
    served = labelled.get("in_served", pd.Series("", index=labelled.index)).fillna("")
    labels = labelled["label"].astype(str)
    return np.array(
        [label in set(str(s).split()) for s, label in zip(served, labels, strict=True)],
        dtype=float,
    )


def recommend_performance(
    project: Project, model: str, manifest: PackageManifest, labelled: pd.DataFrame, bucket: str
) -> LivePerformance:
    """Live hit rate per version (and per time bucket), next to the validation recall@k."""
    if labelled.empty:
        return LivePerformance()
    frame = labelled.assign(hit=hits(labelled))
    validation = dict((manifest.extra.get("recommend") or {}).get("validation") or {})
    k = int((manifest.extra.get("recommend") or {}).get("k") or 10)
    trained = validation.get(f"recall@{k}")
    rows = []
    for version, group in frame.groupby("version"):
        live = float(group["hit"].mean())
        rows.append(
            {
                "version": int(str(version)),
                "metric": "hit_rate",
                "live": live,
                "n": len(group),
                "training": trained,
                "change": None if trained is None else live - float(trained),
            }
        )
    timed = frame.assign(bucket=frame["ts"].dt.floor(bucket))
    over_time = [
        {
            "ts": ts,
            "version": int(str(v)),
            "metric": "hit_rate",
            "value": float(g["hit"].mean()),
            "n": len(g),
        }
        for (ts, v), g in timed.groupby(["bucket", "version"])
    ]
    return LivePerformance(
        pd.DataFrame(rows, columns=COLUMNS), pd.DataFrame(over_time, columns=OVER_TIME)
    )


def recommend_checks(
    manifest: PackageManifest, reference: pd.DataFrame, current: pd.DataFrame
) -> InputChecks:
    """Whether the users asking are the users trained on: categorical drift of the
    requested user (and item) ids against the training interactions; new ids count as
    unseen categories, so a wave of cold-start users shows as drift."""
    settings = manifest.extra.get("recommend") or {}
    names = {"user": settings.get("user_column"), "item": settings.get("item_column")}
    columns = [
        c
        for c, source in names.items()
        if source in reference.columns and c in current.columns and current[c].notna().any()
    ]
    base = reference.rename(columns={v: k for k, v in names.items() if v}).astype(
        {c: str for c in columns}
    )
    asked = current[columns].dropna().astype(str)
    drift = (
        detect_drift(base[columns], asked, kinds=dict.fromkeys(columns, "categorical"))
        if columns and len(asked)
        else None
    )
    return InputChecks(drift, check_quality([], current[columns]), base)
