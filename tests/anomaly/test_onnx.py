"""The anomaly ONNX graph against the native model: the ensemble and each exportable
detector give native's scores and flags on held-out rows (ties with training rows,
missing numbers, unseen and missing categories included); LOF stays native with its
reason; ``optimize`` on a trained package builds and serves the ``onnx-fp32`` variant."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lepton.learn.anomaly.automl import ENSEMBLE
from lepton.learn.anomaly.matrix import AnomalyMatrix
from lepton.learn.anomaly.model import OUTPUTS, AnomalyModel
from lepton.learn.anomaly.scoring import ScoredDetector
from lepton.learn.features import FeatureEncoder
from lepton.learn.package import build_manifest
from lepton.optimize.anomaly import (
    FLAG_AGREEMENT,
    AnomalyBuilder,
    Parity,
    anomaly_parity,
    check_parity,
)
from lepton.optimize.anomaly_graph import (
    DOUBLE,
    LOF_NATIVE,
    export_anomaly,
    numpy_sum,
    searchsorted,
)
from lepton.optimize.driver import optimize_model
from lepton.optimize.export import FP32_TOLERANCE, ExportError
from lepton.optimize.graph import INT64, GraphBuilder, tensor_input
from lepton.optimize.pipeline import optimize
from lepton.runtime.loader import package_folder
from lepton.runtime.manifest import OutputSpec, PackageManifest, read_manifest
from lepton.runtime.onnx_table import OnnxPredictor
from lepton.runtime.package import load_native, write_package
from tests.anomaly.conftest import AnomalyProject, planted

KINDS = {
    "amount": "numeric",
    "delay": "numeric",
    "items": "numeric",
    "paid": "boolean",
    "when": "datetime",
    "shop": "categorical",
}


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training rows with integer, boolean and date columns (ties) and gaps; held-out rows add unseen and
    missing categories, missing numbers, and copies of training rows (exact ties)."""
    rng = np.random.default_rng(5)
    frame = planted(900, seed=3).drop(columns="is_fraud")
    frame["items"] = rng.integers(0, 4, len(frame)).astype(float)
    frame["paid"] = rng.random(len(frame)) < 0.3
    days = pd.to_timedelta(rng.integers(0, 90, len(frame)), "D")
    frame["when"] = pd.Timestamp("2025-01-01") + days
    frame.loc[::13, "amount"] = np.nan
    train, rest = frame.iloc[:700].reset_index(drop=True), frame.iloc[700:].copy()
    rest.loc[rest.index[:5], "shop"] = "west"
    rest.loc[rest.index[5:10], "shop"] = None
    rest.loc[rest.index[10:15], "delay"] = np.nan
    return train, pd.concat([rest, train.iloc[:60]], ignore_index=True)


def _model(names: tuple[str, ...], train: pd.DataFrame) -> AnomalyModel:
    matrix = AnomalyMatrix(FeatureEncoder(dict(KINDS))).fit(train)
    detector = ScoredDetector.fit(names, matrix.transform(train), seed=0)
    return AnomalyModel(
        matrix, detector, 0.05, label=None, training_rate=0.05, details={"selection": {}}
    )


def _manifest(model: AnomalyModel) -> PackageManifest:
    return PackageManifest(
        "anomaly",
        "anomaly",
        "anomaly",
        model.input_schema(),
        OutputSpec.for_task("anomaly", "anomaly", list(OUTPUTS)),
    )


@pytest.mark.parametrize(
    "names",
    [ENSEMBLE, ("isolation_forest",), ("ecod",), ("mahalanobis",), ("ecod", "mahalanobis")],
    ids=lambda n: "+".join(n),
)
def test_graph_scores_match_native_on_heldout_rows(names: tuple[str, ...]) -> None:
    train, heldout = _frames()
    model = _model(names, train)
    graph = export_anomaly(model)
    parity = anomaly_parity(model, graph, _manifest(model), heldout)
    assert parity.rows == len(heldout)
    assert parity.max_abs_diff <= FP32_TOLERANCE, parity.describe()
    assert parity.flag_agreement == 1.0, parity.describe()
    # the held-out rows are not all alike: a constant graph would not pass the above
    native = model.predict_raw(heldout)
    assert native[:, 1].sum() >= 1 and np.ptp(native[:, 0]) > 0.5


def test_mahalanobis_fallback_exports() -> None:
    """The robust-z fallback (MinCovDet failed) is its own branch of the graph."""
    train, heldout = _frames()
    model = _model(("mahalanobis",), train)
    member = model.detector.members[0]
    member.mcd_ = None  # type: ignore[attr-defined]
    x = model.matrix.transform(train)
    model.detector.references = [np.sort(member.score(x))]
    model.detector.combined = np.sort(model.detector.raw(x))
    parity = anomaly_parity(model, export_anomaly(model), _manifest(model), heldout)
    assert parity.max_abs_diff <= FP32_TOLERANCE and parity.flag_agreement == 1.0


def test_a_model_with_lof_stays_native_with_the_reason(tmp_path: Path) -> None:
    train, heldout = _frames()
    model = _model(("isolation_forest", "lof"), train)
    notes: list[str] = []
    built = AnomalyBuilder().build(
        model, _manifest(model), heldout, train, tmp_path, FP32_TOLERANCE, notes, lambda _: None
    )
    assert built == []
    assert any(LOF_NATIVE in n and n.startswith("onnx-fp32 not built") for n in notes), notes


def test_builder_builds_the_variant_and_states_its_parity(tmp_path: Path) -> None:
    train, heldout = _frames()
    model = _model(ENSEMBLE, train)
    notes: list[str] = []
    built = AnomalyBuilder().build(
        model, _manifest(model), heldout, train, tmp_path, FP32_TOLERANCE, notes, lambda _: None
    )
    assert [b.variant.name for b in built] == ["onnx-fp32"]
    assert built[0].variant.max_abs_diff is not None
    assert built[0].variant.max_abs_diff <= FP32_TOLERANCE
    assert any(n.startswith("onnx-fp32 parity") and "flag agreement" in n for n in notes)


def test_parity_check_rejects_moved_scores_and_flipped_flags() -> None:
    check_parity(Parity(0.0, 1.0, 1.0, 100), FP32_TOLERANCE)
    with pytest.raises(ExportError, match="scores differ"):
        check_parity(Parity(0.02, 1.0, 0.9, 100), FP32_TOLERANCE)
    with pytest.raises(ExportError, match="flags agree"):
        check_parity(Parity(1e-3, FLAG_AGREEMENT - 0.001, 0.9, 1000), FP32_TOLERANCE)
    with pytest.raises(ExportError):
        check_parity(Parity(float("nan"), 1.0, 1.0, 10), FP32_TOLERANCE)


def _run(graph_inputs: dict[str, np.ndarray], build: object, elem: int, rank: int) -> np.ndarray:
    """A one-helper graph run on ``graph_inputs`` (float64 [N, d] each)."""
    import onnxruntime as ort
    from onnx import TensorProto, helper

    g = GraphBuilder()
    out = build(g)  # type: ignore[operator]
    g.nodes.append(helper.make_node("Identity", [out], ["out"]))
    inputs = [tensor_input(k, TensorProto.DOUBLE, v.shape[1]) for k, v in graph_inputs.items()]
    output = helper.make_tensor_value_info("out", elem, ["N", "d"][:rank])
    model = g.model(inputs, [output])
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return np.asarray(session.run(None, graph_inputs)[0])


@pytest.mark.parametrize("d", [1, 3, 7, 8, 9, 17, 40, 130, 300])
def test_numpy_sum_adds_in_numpys_order(d: int) -> None:
    """Bit for bit on a C-ordered array: most sums then equal native's exactly."""
    rng = np.random.default_rng(d)
    x = rng.normal(size=(50, d)) * rng.choice([1e-3, 1.0, 1e6], size=(50, d))
    out = _run({"x": x}, lambda g: numpy_sum(g, "x", d), DOUBLE, 1)
    assert np.array_equal(out, x.sum(axis=1))


def test_searchsorted_counts_as_numpy_does_with_ties() -> None:
    rng = np.random.default_rng(0)
    reference = np.sort(rng.integers(0, 20, size=(101, 3)).astype(float), axis=0)
    values = rng.integers(-2, 23, size=(40, 3)).astype(float)
    for side in ("left", "right"):
        out = _run({"v": values}, lambda g, s=side: searchsorted(g, reference, "v", s, 3), INT64, 2)
        expected = np.column_stack(
            [np.searchsorted(reference[:, j], values[:, j], side=side) for j in range(3)]
        )
        assert np.array_equal(out, expected), side


def test_optimize_builds_the_onnx_variant_of_a_trained_package(an: AnomalyProject) -> None:
    """``lepton optimize``'s entry on the fixture's trained package (whatever it chose)."""
    outcome = optimize(an.project, "orders@1", measure_memory=False, measure_seconds=0.1)
    parent = load_native(package_folder(an.project, outcome.parent))
    variant = next(v for v in outcome.result.variants if v.name == "onnx-fp32")
    assert variant.max_abs_diff is not None and variant.max_abs_diff <= FP32_TOLERANCE
    assert variant.measurement is not None and variant.measurement.metric_drop <= 1e-9
    served = OnnxPredictor.load(package_folder(an.project, outcome.registered["onnx-fp32"]))
    rows = planted(80, seed=11).drop(columns="is_fraud")
    records = [{str(k): v for k, v in r.items()} for r in rows.to_dict("records")]
    assert np.array_equal(served.predict_raw(rows), parent.predict_raw(rows))
    assert np.array_equal(served.predict_records(records), parent.predict_raw(rows))


def test_optimize_model_builds_the_ensemble_variant(tmp_path: Path) -> None:
    """The driver on a package of the default ensemble: the graph is built, measured and
    served with native's answers."""
    train, heldout = _frames()
    model = _model(ENSEMBLE, train)
    manifest = build_manifest(model, metrics={}, lineage={}, training_frame=train)
    write_package(tmp_path / "native", manifest, native=model)
    result = optimize_model(
        model,
        read_manifest(tmp_path / "native"),
        tmp_path / "native",
        heldout,
        tmp_path / "work",
        train=train,
        measure_memory=False,
        measure_seconds=0.1,
    )
    variant = next(v for v in result.variants if v.name == "onnx-fp32")
    assert variant.max_abs_diff is not None and variant.max_abs_diff <= FP32_TOLERANCE
    assert variant.measurement is not None and variant.measurement.metric_drop <= 1e-9
    served = OnnxPredictor.load(variant.folder)
    assert np.array_equal(served.predict_raw(heldout), model.predict_raw(heldout))
