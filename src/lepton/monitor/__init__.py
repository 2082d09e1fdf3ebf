"""Monitoring: drift, data quality, live performance, alerts and retraining for deployments."""

from lepton.monitor.drift import (
    DriftReport,
    FeatureDrift,
    column_drift,
    detect_drift,
    detect_prediction_drift,
)
from lepton.monitor.quality import ColumnQuality, QualityReport, check_quality

__all__ = [
    "ColumnQuality",
    "DriftReport",
    "FeatureDrift",
    "QualityReport",
    "check_quality",
    "column_drift",
    "detect_drift",
    "detect_prediction_drift",
]
