"""Cluster share shift: the live traffic's cluster shares against the training shares.

Why shares: a clustering model has no ground truth to score live, but a segment that
grows or empties is the change its users care about. The test is chi² on the live
cluster counts against the training shares, with PSI as the size of the shift (the same
PSI as the column drift; 0.2 is the usual "significant shift" line).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lepton.monitor.drift import FeatureDrift, _psi
from lepton.runtime.manifest import PackageManifest

PSI_THRESHOLD = 0.2
NAME = "cluster_share"


def training_shares(manifest: PackageManifest) -> np.ndarray[Any, Any]:
    return np.asarray((manifest.extra.get("clustering") or {}).get("shares", []), dtype=float)


def share_shift(manifest: PackageManifest, clusters: pd.Series) -> FeatureDrift | None:
    """Chi² and PSI of the live cluster ids' shares against training; None without traffic."""
    from scipy.stats import chisquare

    reference = training_shares(manifest)
    ids = pd.to_numeric(clusters, errors="coerce").dropna().astype(int).to_numpy()
    ids = ids[(ids >= 0) & (ids < len(reference))]
    if not len(ids) or not len(reference):
        return None
    counts = np.bincount(ids, minlength=len(reference)).astype(float)
    expected = np.clip(reference, 1e-6, None)
    expected = expected / expected.sum() * counts.sum()
    statistic, p_value = chisquare(counts, expected)
    psi = float(_psi(reference, counts / counts.sum()))
    return FeatureDrift(
        NAME,
        "categorical",
        "chisquare",
        float(statistic),
        float(p_value),
        PSI_THRESHOLD,
        psi > PSI_THRESHOLD,
        psi,
    )


def logged_share_shift(manifest: PackageManifest, log: pd.DataFrame) -> FeatureDrift | None:
    """The kind's ``output_shift``: the share shift of the logged answers (``out_prediction``)."""
    if "out_prediction" not in log.columns:
        return None
    return share_shift(manifest, log["out_prediction"])
