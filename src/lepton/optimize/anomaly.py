"""Serving variants of an anomaly model: native only, and the table says why.

The score is a training-percentile calibration over one or more detectors (ECOD's
empirical CDFs, MinCovDet, LOF's neighbour search, an isolation forest); only the forest
has an ONNX converter (skl2onnx), and the percentile lookup on top of it would need a
hand-built graph with its own parity check. Until that exists nothing is exported, so
``lepton optimize`` measures the native pipeline and records the reason. Held-out
examples are rows; with no label, the metric is agreement with native's own scores.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.learn.anomaly.model import AnomalyModel
from lepton.learn.metrics import Metric
from lepton.optimize.choose import check_objective
from lepton.optimize.measure import BATCH, batch_frame, latency_ms, throughput
from lepton.optimize.packages import served_file
from lepton.optimize.protocol import BuiltVariant, Measure, MeasureOptions, Progress, VariantRun
from lepton.optimize.result import Variant
from lepton.runtime.manifest import PackageManifest

NOT_EXPORTED = (
    "onnx-fp32 not built: the anomaly score is a training-percentile calibration over "
    "detectors without ONNX converters (ECOD, MinCovDet, LOF); anomaly models stay native"
)


def _agreement(y: NDArray[Any], pred: NDArray[Any]) -> float:
    return float(1.0 - np.mean(np.abs(np.asarray(y, float) - np.asarray(pred, float)[:, 0])))


AGREEMENT = Metric("score_agreement", _agreement, True, False, ("anomaly",))


class AnomalyBuilder:
    """``VariantBuilder`` for ``AnomalyModel``: held-out features are a DataFrame."""

    examples = "rows"
    native_description = "the trained detector pipeline (pickle)"

    def labelled_heldout(
        self,
        model: AnomalyModel,
        manifest: PackageManifest,
        heldout: pd.DataFrame,
        objective: str,
        what: str,
    ) -> tuple[pd.DataFrame, NDArray[Any], Metric]:
        check_objective(objective)
        heldout = heldout.reset_index(drop=True)
        return heldout, model.scores(heldout), AGREEMENT

    def features(self, model: AnomalyModel, heldout: pd.DataFrame, say: Progress) -> pd.DataFrame:
        return heldout.drop(columns=[c for c in (model.label,) if c and c in heldout.columns])

    def build(
        self,
        model: AnomalyModel,
        manifest: PackageManifest,
        features: pd.DataFrame,
        train: pd.DataFrame | None,
        workdir: Path,
        tolerance: float,
        notes: list[str],
        say: Progress,
    ) -> list[BuiltVariant]:
        notes.append(NOT_EXPORTED)
        return []

    def measurer(
        self, model: AnomalyModel, features: pd.DataFrame, workdir: Path, options: MeasureOptions
    ) -> Measure:
        rows = features.head(512)
        singles = [rows.iloc[[i]] for i in range(len(rows))]
        batch = batch_frame(features)
        seconds = options.seconds

        def measure(variant: Variant) -> VariantRun:
            pred = model.predict_raw(features)
            p50, p99 = latency_ms(
                lambda i: model.predict_raw(singles[i]), len(singles), seconds=seconds
            )
            rate = throughput(lambda: model.predict_raw(batch), BATCH, seconds=seconds)
            return VariantRun(pred, p50, p99, rate, served_file(variant).stat().st_size, None)

        return measure
