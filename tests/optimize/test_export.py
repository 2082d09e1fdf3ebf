"""The exported ONNX graph reproduces the native pipeline, family by family."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lepton.learn.package import build_manifest
from lepton.optimize.export import ExportError, check_faithful, export_model, verify
from lepton.runtime.native import NativePredictor
from lepton.runtime.onnx_table import OnnxPredictor
from tests.optimize.conftest import heldout, trained

BINARY = ["lightgbm", "xgboost", "catboost", "mlp", "linear", "random_forest", "extra_trees"]


def _manifest(model):  # type: ignore[no-untyped-def]
    return build_manifest(model, metrics={}, lineage={})


@pytest.mark.parametrize(
    ("task", "family"),
    [("binary", f) for f in BINARY]
    + [("multiclass", f) for f in ("lightgbm", "xgboost", "catboost")]
    + [("regression", f) for f in ("lightgbm", "xgboost", "catboost", "linear")]
    + [pytest.param("multiclass", "mlp", marks=pytest.mark.slow)]
    + [pytest.param("regression", "mlp", marks=pytest.mark.slow)],
)
def test_onnx_matches_native(task: str, family: str) -> None:
    model = trained(task, family)
    assert {m.family for m in model.members} == {family}
    frame = heldout(task).drop(columns=["y"])
    graph, report = export_model(model)
    assert [m["family"] for m in report.members] == [family] * len(report.members)
    diff = verify(model, graph, _manifest(model), frame)
    assert diff < 1e-5
    onnx_out = OnnxPredictor(graph.SerializeToString(), _manifest(model)).predict_raw(frame)
    native = model.predict_raw(frame)
    assert onnx_out.shape == native.shape
    assert np.max(np.abs(onnx_out - native)) < 1e-5


def test_knn_is_refused_with_a_reason() -> None:
    model = trained("binary", "knn")
    with pytest.raises(ExportError, match="k-NN stays native"):
        export_model(model)


def test_a_difference_over_tolerance_is_rejected() -> None:
    with pytest.raises(ExportError, match="tolerance"):
        check_faithful(2e-5, 1e-5, "the graph")
    with pytest.raises(ExportError):
        check_faithful(float("nan"), 1e-5, "the graph")
    check_faithful(5e-6, 1e-5, "the graph")


def test_predict_records_agrees_with_predict_proba() -> None:
    model = trained("binary", "lightgbm")
    frame = heldout("binary").drop(columns=["y"])
    manifest = _manifest(model)
    graph, _ = export_model(model)
    records = frame.to_dict(orient="records")
    for predictor in (
        NativePredictor(model, manifest),
        OnnxPredictor(graph.SerializeToString(), manifest),
    ):
        by_records = predictor.predict_records(records)
        proba = predictor.predict_proba(frame).to_numpy()
        assert by_records.shape == (len(frame), 2)
        assert np.max(np.abs(by_records - proba)) < 1e-6
        columns = {c: frame[c].tolist() for c in frame.columns}
        assert np.max(np.abs(predictor.predict_records(columns) - proba)) < 1e-6
    onnx_labels = OnnxPredictor(graph.SerializeToString(), manifest).predict(frame)
    assert (onnx_labels.to_numpy() == model.predict(frame).to_numpy()).all()


def test_members_without_an_exporter_are_dropped_in_a_variant_of_their_own(
    tmp_path: Path,
) -> None:
    """One k-NN member must not keep the rest of the ensemble off ONNX."""
    from dataclasses import replace

    from lepton.optimize.tabular import _exportable_subset

    linear, knn = trained("binary", "linear"), trained("binary", "knn")
    both = replace(
        linear,
        members=[replace(linear.members[0], weight=0.7), replace(knn.members[0], weight=0.3)],
    )
    with pytest.raises(ExportError, match="k-NN"):
        export_model(both)
    manifest = _manifest(both)
    notes: list[str] = []
    features = heldout("binary").drop(columns="y")
    built = _exportable_subset(both, manifest, features, 1e-5, tmp_path, notes)
    assert built is not None, notes
    variant = built.variant
    assert variant.name == "onnx-fp32-exportable" and "knn" in variant.description
    assert variant.max_abs_diff is not None and variant.max_abs_diff < 1e-5
    assert variant.model is not None and [m.family for m in variant.model.members] == ["linear"]
    assert variant.model.members[0].weight == pytest.approx(1.0)


def test_strict_splits_become_inclusive_without_changing_a_decision() -> None:
    """XGBoost's ``x < t`` is emitted as ``x <= below32(t)``: same answer for every float32."""
    from lepton.optimize.trees import below32

    rng = np.random.default_rng(0)
    thresholds = np.concatenate([rng.normal(size=200), [0.0, -0.0, 1.0, 1e-30, -1e30]])
    for t in thresholds.astype(np.float32):
        near = np.nextafter(t, np.float32([-np.inf, np.inf]))
        xs = np.concatenate([[t], near, rng.normal(size=50).astype(np.float32)]).astype(np.float32)
        assert np.array_equal(xs < t, xs <= np.float32(below32(float(t))))


def test_missing_values_take_each_split_s_learned_side() -> None:
    """NaN in one input at a time (the others present): routed per node, as the booster does."""
    for family in ("lightgbm", "xgboost", "catboost"):
        model = trained("binary", family)
        frame = heldout("binary").drop(columns=["y"]).iloc[10:].reset_index(drop=True)
        for column in ("x1", "x2"):
            holes = frame.copy()
            holes.loc[::3, column] = np.nan
            graph, _ = export_model(model)
            assert verify(model, graph, _manifest(model), holes) < 1e-5
        nodes = [n for n in graph.graph.node if n.op_type == "TreeEnsembleRegressor"]
        assert nodes, "trees are exported as TreeEnsembleRegressor nodes"
        for node in nodes:
            attrs = {a.name: a for a in node.attribute}
            assert set(attrs["nodes_modes"].strings) <= {b"BRANCH_LEQ", b"LEAF"}
            assert not any(attrs["nodes_missing_value_tracks_true"].ints)
