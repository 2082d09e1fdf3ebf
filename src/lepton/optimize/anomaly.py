"""Serving variants of an anomaly model: one float64 ONNX graph where parity holds.

What exports (``anomaly_graph``): the matrix and every member but LOF — the isolation
forest, ECOD, Mahalanobis (MinCovDet or its robust-z fallback) — with each member's
percentile, their mean and the final percentile, so the default ensemble
``isolation_forest + ecod + mahalanobis`` is one graph served by the tabular ONNX runner
and the anomaly codec. What does not: a model with LOF as a member (a neighbour search
over the training rows) stays native, and the notes say so.

Parity is judged as the score is: a step function of percentile lookups, where a
rounding that moves a raw score across one training score moves the answer by a step
of 1/(2n) (more across ties), never by a little. So instead of one fp32-style bound the
graph must (a) agree with native on the 0/1 flag for at least ``FLAG_AGREEMENT`` of the
held-out rows and (b) keep the largest score difference within ``max(tolerance,
SCORE_STEPS)``, a few steps of a tie broken the other way. The graph repeats native's
float64 arithmetic, so on the test data both are exact (difference 0, every flag equal);
the check is there for data where a snapped comparison lands on the other side.

Held-out examples are rows; with no label, the metric is agreement with native's own
scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pandas as pd
from numpy.typing import NDArray

from lepton.learn.anomaly.model import AnomalyModel
from lepton.learn.metrics import Metric
from lepton.optimize.anomaly_graph import export_anomaly
from lepton.optimize.choose import check_objective
from lepton.optimize.export import ExportError
from lepton.optimize.protocol import BuiltVariant, Measure, MeasureOptions, Progress
from lepton.optimize.result import Variant
from lepton.optimize.tabular import frame_records, table_measurer
from lepton.runtime.manifest import PackageManifest
from lepton.runtime.onnx_table import OnnxPredictor

FLAG_AGREEMENT = 0.999  # share of held-out rows whose 0/1 flag must match native's
SCORE_STEPS = 0.005  # largest score difference allowed: a few percentile steps of a tie


@dataclass(frozen=True)
class Parity:
    """How the graph's answers compare with native's on the held-out rows."""

    max_abs_diff: float  # largest |score difference| (frame path and record path)
    flag_agreement: float  # share of rows with the same 0/1 flag
    exact_share: float  # share of rows with the bit-identical score
    rows: int

    def describe(self) -> str:
        return (
            f"max |score diff| {self.max_abs_diff:.3g}, flag agreement "
            f"{100 * self.flag_agreement:.2f}%, identical scores "
            f"{100 * self.exact_share:.2f}% of {self.rows} held-out rows"
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
        say("exporting the ONNX serving graph")
        try:
            graph = export_anomaly(model)
            parity = anomaly_parity(model, graph, manifest, features)
            check_parity(parity, tolerance)
        except ExportError as exc:
            notes.append(f"onnx-fp32 not built: {exc}")
            return []
        notes.append(f"onnx-fp32 parity: {parity.describe()}")
        description = f"matrix + {model.detector.name} percentiles as one float64 ONNX graph"
        variant = Variant.onnx("onnx-fp32", description, workdir, parity.max_abs_diff)
        return [BuiltVariant(variant, graph)]

    def measurer(
        self, model: AnomalyModel, features: pd.DataFrame, workdir: Path, options: MeasureOptions
    ) -> Measure:
        return table_measurer(model, features, workdir, options, probe_memory=False)


def anomaly_parity(
    model: AnomalyModel, graph: onnx.ModelProto, manifest: PackageManifest, frame: pd.DataFrame
) -> Parity:
    """The graph against native on ``frame``; the record path (no DataFrame) must agree too."""
    if not len(frame):
        return Parity(0.0, 1.0, 1.0, 0)
    predictor = OnnxPredictor(graph.SerializeToString(), manifest)
    native = model.predict_raw(frame)
    exported = predictor.predict_raw(frame)
    by_record = predictor.predict_records(frame_records(frame[predictor.input_columns].head(64)))
    diff = np.abs(native[:, 0] - exported[:, 0])
    worst = max(float(np.max(diff)), float(np.max(np.abs(by_record - exported[: len(by_record)]))))
    return Parity(
        worst,
        float(np.mean(native[:, 1] == exported[:, 1])),
        float(np.mean(diff == 0)),
        len(frame),
    )


def check_parity(parity: Parity, tolerance: float) -> None:
    """``ExportError`` unless the flags agree on ``FLAG_AGREEMENT`` of the rows and the
    scores within ``max(tolerance, SCORE_STEPS)`` (see the module docstring)."""
    bound = max(tolerance, SCORE_STEPS)
    if not np.isfinite(parity.max_abs_diff) or parity.max_abs_diff > bound:
        raise ExportError(
            f"the ONNX graph's scores differ from native by {parity.max_abs_diff:.3g} "
            f"(> {bound:g}) on held-out rows ({parity.describe()}); the model stays native"
        )
    if parity.flag_agreement < FLAG_AGREEMENT:
        raise ExportError(
            f"the ONNX graph's flags agree with native on only "
            f"{100 * parity.flag_agreement:.2f}% of held-out rows "
            f"(< {100 * FLAG_AGREEMENT:g}%); the model stays native"
        )
