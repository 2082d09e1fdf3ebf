"""Input drift and quality per model kind: the checks each kind declares in its registry entry.

Why per kind: a table's inputs are compared column by column; a text column adds length,
vocabulary and embedding drift; an image model's inputs are logged as pixel statistics,
so those are what is compared. Each function takes the package manifest, the reference
(training) rows and the logged current inputs, and returns the same ``InputChecks``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lepton.monitor.drift import DriftReport, FeatureDrift, detect_drift
from lepton.monitor.image_drift import pixel_drift, reference_statistics, statistics_schema
from lepton.monitor.quality import QualityReport, check_quality
from lepton.monitor.text_drift import TextDrift, text_drift
from lepton.runtime.manifest import PackageManifest
from lepton.runtime.onnx_image import image_input

DRIFT_TYPES = {"numeric": "numeric", "categorical": "categorical", "boolean": "categorical"}


@dataclass
class InputChecks:
    """What the monitor reports about a deployment's inputs."""

    drift: DriftReport | None
    quality: QualityReport
    reference: pd.DataFrame  # what the drift plots compare the current inputs with
    text_drift: list[TextDrift] = field(default_factory=list)


def table_checks(
    manifest: PackageManifest, reference: pd.DataFrame, current: pd.DataFrame
) -> InputChecks:
    """Per-column drift (Evidently's tests) and quality against the package's input schema."""
    kinds = {c.name: DRIFT_TYPES[c.kind] for c in manifest.input_schema if c.kind in DRIFT_TYPES}
    columns = [c for c in kinds if c in current.columns and c in reference.columns]
    drift = detect_drift(reference[columns], current[columns], kinds=kinds) if columns else None
    return InputChecks(drift, check_quality(manifest.schema_dicts(), current), reference)


def text_checks(
    manifest: PackageManifest, reference: pd.DataFrame, current: pd.DataFrame
) -> InputChecks:
    """The table's checks plus length, vocabulary and embedding drift per text column."""
    checks = table_checks(manifest, reference, current)
    checks.text_drift = [
        text_drift(c.name, reference[c.name], current[c.name])
        for c in manifest.columns_of_kind("text")
        if c.name in current.columns and c.name in reference.columns
    ]
    return checks


def image_checks(
    manifest: PackageManifest, reference: pd.DataFrame, current: pd.DataFrame
) -> InputChecks:
    """Logged pixel statistics against the same statistics of the training images."""
    column, preprocessing = image_input(manifest)
    statistics = reference_statistics(reference, column, preprocessing)
    return InputChecks(
        pixel_drift(statistics, current),
        check_quality(statistics_schema(current), current),
        statistics,
    )


LEVEL_Z = 3.0  # a history whose mean is this many training standard deviations away drifted


def forecast_checks(
    manifest: PackageManifest, reference: pd.DataFrame, current: pd.DataFrame
) -> InputChecks:
    """Forecasts: has the target level of the history sent moved from training?

    The log keeps, per forecast row, the mean target of the history its series was sent
    with (``level``; empty when a stored series was named). Each (series, level) is set
    against that series' training target (all series pooled for ids training never saw)
    as a z-score; the median z over them is the drift statistic (``level_z``, drifted
    above 3). Per-series, because series of different sizes are not drift of each other.
    Quality covers the logged series ids and timestamps.
    """
    target = manifest.target
    settings = manifest.extra.get("forecast") or {}
    id_column = settings.get("id_column")
    schema = [
        {"name": "series", "kind": "categorical", "nullable": False},
        {"name": "time", "kind": "datetime", "nullable": False},
    ]
    quality = check_quality(schema, current)
    values = (
        pd.to_numeric(reference[target], errors="coerce")
        if target in reference.columns
        else pd.Series(dtype=float)
    )
    ids = (
        reference[id_column].astype(str)
        if id_column and id_column in reference.columns
        else pd.Series("series", index=reference.index)
    )
    baseline = pd.DataFrame({"series": ids.to_numpy(), "level": values.to_numpy(float)}).dropna()
    if "level" not in current.columns or "series" not in current.columns or baseline.empty:
        return InputChecks(None, quality, baseline[["level"]])
    sent = current[["series", "level"]].assign(
        series=current["series"].astype(str), level=pd.to_numeric(current["level"], "coerce")
    )
    sent = sent.dropna().drop_duplicates()
    if sent.empty:
        return InputChecks(None, quality, baseline[["level"]])
    stats = baseline.groupby("series")["level"].agg(["mean", "std"])
    pooled_mean, pooled_std = float(baseline["level"].mean()), float(baseline["level"].std())
    mean = sent["series"].map(stats["mean"]).fillna(pooled_mean).to_numpy(float)
    std = sent["series"].map(stats["std"]).fillna(pooled_std).to_numpy(float)
    spread = np.where(std > 0, std, np.maximum(np.abs(mean) * 1e-3, 1e-9))
    z = float(np.median(np.abs(sent["level"].to_numpy(float) - mean) / spread))
    drifted = z > LEVEL_Z
    feature = FeatureDrift("level", "numeric", "level_z", z, None, LEVEL_Z, drifted, 0.0)
    drift = DriftReport([feature], float(drifted), drifted, len(baseline), len(sent))
    shown = baseline[baseline["series"].isin(set(sent["series"]))]
    return InputChecks(drift, quality, (shown if len(shown) else baseline)[["level"]])
