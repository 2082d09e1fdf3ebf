"""Input drift and quality per model kind: the checks each kind declares in its registry entry.

Why per kind: a table's inputs are compared column by column; a text column adds length,
vocabulary and embedding drift; an image model's inputs are logged as pixel statistics,
so those are what is compared. Each function takes the package manifest, the reference
(training) rows and the logged current inputs, and returns the same ``InputChecks``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from lepton.monitor.drift import DriftReport, detect_drift
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


def forecast_checks(
    manifest: PackageManifest, reference: pd.DataFrame, current: pd.DataFrame
) -> InputChecks:
    """Forecasts: drift of the target level in the history sent vs the training target.

    The log keeps, per forecast row, the mean target of the history its series was sent
    with (``level``; empty when a stored series was named); that is compared with the
    training rows' target. Quality covers the logged series ids and timestamps.
    """
    target = manifest.target
    schema = [
        {"name": "series", "kind": "categorical", "nullable": False},
        {"name": "time", "kind": "datetime", "nullable": False},
    ]
    quality = check_quality(schema, current)
    levels = (
        pd.to_numeric(current["level"], errors="coerce").dropna()
        if "level" in current.columns
        else pd.Series(dtype=float)
    )
    baseline = (
        pd.DataFrame({"level": pd.to_numeric(reference[target], errors="coerce").dropna()})
        if target in reference.columns
        else pd.DataFrame({"level": pd.Series(dtype=float)})
    )
    drift = None
    if len(levels) and len(baseline):
        drift = detect_drift(
            baseline.reset_index(drop=True),
            pd.DataFrame({"level": levels.to_numpy()}),
            kinds={"level": "numeric"},
        )
    return InputChecks(drift, quality, baseline)
