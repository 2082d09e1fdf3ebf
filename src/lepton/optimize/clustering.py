"""Serving variants of a clustering model: one ONNX graph where parity holds.

What exports: k-means (skl2onnx's ``KMeans`` converter, whose ``scores`` are the
Euclidean distances to the centroids) and HDBSCAN's nearest-medoid rule (the same
converter over a ``KMeans`` holding the medoids), behind the tabular graph's category
lookup and ``DenseEncoder`` ops; the graph answers minus the distances, as the native
model does, and is served by the tabular ONNX runner. What does not: the Gaussian
mixture's membership log-probabilities (skl2onnx converts its ``predict_proba``, but
the log of float32 probabilities loses the far tails the native model keeps), so it
stays native, and the table says so.

Held-out "labels" are the native model's own assignments: a variant is scored by how
many rows it puts in the same cluster (accuracy of its argmax against native).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pandas as pd
from numpy.typing import NDArray
from onnx import helper

from lepton.learn.clustering.model import ClusterModel
from lepton.learn.metrics import Metric, get_metric
from lepton.optimize.choose import check_objective
from lepton.optimize.export import ExportError, check_faithful, verify
from lepton.optimize.graph import (
    FLOAT,
    STRING,
    GraphBuilder,
    category_codes,
    tensor_input,
)
from lepton.optimize.members import GraphInputs, dense_features
from lepton.optimize.protocol import BuiltVariant, Progress
from lepton.optimize.result import Variant
from lepton.optimize.tabular import TabularBuilder
from lepton.runtime.manifest import PackageManifest

GMM_NATIVE = (
    "the Gaussian mixture's log membership probabilities lose their tails in float32; "
    "it stays native"
)


class ClusteringBuilder(TabularBuilder):
    """``VariantBuilder`` for ``ClusterModel``: held-out rows, native assignments as labels."""

    native_description = "the trained clustering pipeline (pickle)"

    def features(self, model: Any, heldout: pd.DataFrame, say: Progress) -> pd.DataFrame:
        return heldout[[c for c in model.input_columns if c in heldout.columns]]

    def labelled_heldout(
        self,
        model: Any,
        manifest: PackageManifest,
        heldout: pd.DataFrame,
        objective: str,
        what: str,
    ) -> tuple[pd.DataFrame, NDArray[Any], Metric]:
        check_objective(objective)
        heldout = heldout.reset_index(drop=True)
        y = np.asarray(model.predict_raw(heldout).argmax(axis=1), dtype=np.int64)
        return heldout, y, get_metric("accuracy", "multiclass")

    def build(
        self,
        model: Any,
        manifest: PackageManifest,
        features: pd.DataFrame,
        train: pd.DataFrame | None,
        workdir: Path,
        tolerance: float,
        notes: list[str],
        say: Progress,
    ) -> list[BuiltVariant]:
        say("exporting the fp32 ONNX serving graph")
        try:
            graph = export_clusters(model)
            diff = verify(model, graph, manifest, features)
            check_faithful(diff, tolerance, "the fp32 ONNX graph")
        except ExportError as exc:
            notes.append(f"onnx-fp32 not built: {exc}")
            return []
        family = model.fitted.family
        return [
            BuiltVariant(
                Variant.onnx(
                    "onnx-fp32", f"encoder + {family} distances as one ONNX graph", workdir, diff
                ),
                graph,
            )
        ]


def export_clusters(model: ClusterModel) -> onnx.ModelProto:
    """The graph ``num, cat, missing → -distance (N, k)`` of a k-means or HDBSCAN model."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.cluster import KMeans

    from lepton.optimize.graph import ML_OPSET, OPSET

    if model.fitted.family == "gmm":
        raise ExportError(f"cannot export to ONNX: {GMM_NATIVE}")
    enc = model.space.encoder
    dense = model.space.dense
    n_num, n_cat = len(enc.num_names_), len(enc.categorical_)
    g = GraphBuilder()
    isnan = g.op("IsNaN", ["num"], "isnan")
    codes1 = category_codes(g, list(enc.categorical_.values()))
    x = dense_features(g, GraphInputs("num", isnan, codes1, n_num, n_cat), dense)
    centers = model.fitted.centers
    means = KMeans(n_clusters=len(centers), n_init=1).fit(centers)  # a carrier for the centres
    means.cluster_centers_ = centers.astype(np.float64)
    converted = convert_sklearn(
        means,
        initial_types=[("X", FloatTensorType([None, centers.shape[1]]))],
        target_opset={"": OPSET, "ai.onnx.ml": ML_OPSET},
    )
    outputs = g.absorb(converted, "km", {"X": x})
    g.nodes.append(helper.make_node("Neg", [outputs["scores"]], ["probabilities"]))
    output = helper.make_tensor_value_info("probabilities", FLOAT, ["N", len(centers)])
    inputs = [
        tensor_input("num", FLOAT, n_num),
        tensor_input("cat", STRING, n_cat),
        tensor_input("missing", FLOAT, None),
    ]
    return g.model(inputs, [output], doc=f"lepton serving graph: {model.fitted.family} clusters")
