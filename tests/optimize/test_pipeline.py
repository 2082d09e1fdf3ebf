"""``optimize`` on a real store: variants published, registered, chosen, loaded for serving."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lepton.data.catalog import DataCatalog
from lepton.errors import LeptonError, NotFoundError
from lepton.learn.training import train_dataset
from lepton.optimize import load_serving_predictor, optimize
from lepton.runtime.loader import load_package_predictor, load_predictor, package_folder, resolve
from lepton.runtime.native import NativePredictor
from lepton.runtime.onnx_table import OnnxPredictor
from lepton.store.project import Project
from tests.conftest import CliRunner
from tests.optimize.conftest import heldout, make_frame

QUICK = {"measure_memory": False, "measure_seconds": 0.05}


@pytest.fixture()
def project(lepton_home: Path) -> Project:
    return Project.open()


def _train(project: Project, families: list[str], time_limit: float = 8) -> str:
    catalog = DataCatalog(project)
    train_ref = catalog.add_frame(make_frame("binary"), name="churn", target="y")[0].ref
    test_ref = catalog.add_frame(heldout("binary"), name="churn-test", target="y")[0].ref
    train_dataset(
        project, train_ref, test_ref=test_ref, time_limit=time_limit, families=families, n_folds=2
    )
    return "churn"


def _artifact_keys(project: Project, prefix: str) -> list[str]:
    return project.artifacts.list(prefix)


def test_optimize_registers_variants_and_serves_the_chosen_one(project: Project) -> None:
    name = _train(project, ["lightgbm", "linear"], time_limit=6)
    outcome = optimize(project, name, objective="latency", **QUICK)  # type: ignore[arg-type]
    names = [v.name for v in outcome.result.variants]
    assert names[:2] == ["native", "onnx-fp32"]
    assert "onnx-int8-dynamic" not in names  # no neural member
    fp32 = outcome.result.variants[1]
    assert fp32.max_abs_diff is not None and fp32.max_abs_diff < 1e-5
    chosen = outcome.parent.metadata["optimization"]["chosen"]
    assert chosen["variant"] == outcome.result.chosen
    assert len(outcome.parent.metadata["optimization"]["table"]) == len(names)
    variant = outcome.registered["onnx-fp32"]
    assert variant.name == "churn.optimized"
    assert variant.metadata["variant_of"] == {"model": "churn", "version": 1}
    manifest = json.loads((package_folder(project, variant) / "lepton.json").read_text())
    assert manifest["lineage"]["parent"] == {"model": "churn", "version": 1}
    assert manifest["serving"] == {"onnx": "onnx/model.onnx"}
    assert [row["variant"] for row in manifest["optimization"]] == names
    # the parent package itself is untouched and still loads natively
    native, record = load_predictor(project, "churn@1")
    assert isinstance(native, NativePredictor) and record.version == 1
    # a variant package loads on its own as an ONNX predictor
    assert isinstance(load_package_predictor(project, "churn.optimized@1")[0], OnnxPredictor)

    predictor, served = load_serving_predictor(project, "churn")
    assert served.name == "churn" and served.version == 1
    assert predictor.variant == outcome.result.chosen
    frame = heldout("binary").drop(columns=["y"])
    records = frame.to_dict(orient="records")
    expected = native.predict_proba(frame).to_numpy()
    fp32_package = load_package_predictor(project, f"{variant.name}@{variant.version}")[0]
    assert np.max(np.abs(fp32_package.predict_records(records) - expected)) < 1e-4
    # serving answers exactly as the chosen variant's own package: which variant wins is
    # a latency measurement, and a lossy one (the slimmed ensemble) may win under load
    chosen_record = outcome.registered.get(outcome.result.chosen)
    if chosen_record is not None:
        ref = f"{chosen_record.name}@{chosen_record.version}"
        expected = load_package_predictor(project, ref)[0].predict_records(records)
    assert np.max(np.abs(predictor.predict_records(records) - expected)) < 1e-6


def test_serving_falls_back_to_native_when_nothing_is_chosen(project: Project) -> None:
    name = _train(project, ["linear"], time_limit=4)
    predictor, record = load_serving_predictor(project, name)
    assert record.version == 1
    assert isinstance(predictor, NativePredictor) and predictor.variant == "native"
    frame = heldout("binary").drop(columns=["y"])
    assert predictor.predict_records(frame.to_dict(orient="records")).shape == (len(frame), 2)


def test_export_over_tolerance_registers_nothing_and_keeps_native(project: Project) -> None:
    name = _train(project, ["lightgbm"], time_limit=4)
    outcome = optimize(project, name, tolerance=0.0, **QUICK)  # type: ignore[arg-type]
    assert [v.name for v in outcome.result.variants] == ["native"]
    assert any("rejected" in note for note in outcome.result.notes)
    assert outcome.parent.metadata["optimization"]["chosen"]["variant"] == "native"
    assert outcome.registered == {}
    with pytest.raises(NotFoundError):
        project.metadata.get_model_version("churn.optimized")
    predictor, _ = load_serving_predictor(project, name)
    assert isinstance(predictor, NativePredictor)


def test_corrupt_package_is_refused_and_nothing_is_registered(project: Project) -> None:
    name = _train(project, ["linear"], time_limit=4)
    record = resolve(project, name)
    pickle_path = package_folder(project, record) / "native" / "model.pkl"
    pickle_path.write_bytes(b"not a pickle")
    with pytest.raises(LeptonError):
        optimize(project, name, **QUICK)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        project.metadata.get_model_version("churn.optimized")
    assert "optimization" not in resolve(project, name).metadata
    assert _artifact_keys(project, "models/churn.optimized") == []


def test_failed_registration_deletes_the_published_variants(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = _train(project, ["lightgbm"], time_limit=4)

    def broken(*args: object, **kwargs: object) -> None:
        raise LeptonError("database went away")

    monkeypatch.setattr(project.metadata, "register_model_variants", broken)
    with pytest.raises(LeptonError, match="went away"):
        optimize(project, name, **QUICK)  # type: ignore[arg-type]
    assert _artifact_keys(project, "models/churn.optimized") == []
    assert "optimization" not in resolve(project, name).metadata


def test_optimizing_a_variant_is_refused(project: Project) -> None:
    name = _train(project, ["lightgbm"], time_limit=4)
    optimize(project, name, **QUICK)  # type: ignore[arg-type]
    with pytest.raises(LeptonError, match="already an optimized variant"):
        optimize(project, "churn.optimized@1", **QUICK)  # type: ignore[arg-type]


def test_cli_optimize_end_to_end(cli: CliRunner) -> None:
    project = Project.open()
    _train(project, ["lightgbm"], time_limit=4)
    result = cli("optimize", "churn@1", "--objective", "size", "--max-metric-drop", "0.01")
    assert result.code == 0, result.err
    assert "onnx-fp32" in result.out and "serving churn@1 with" in result.out
    record = resolve(project, "churn@1")
    assert record.metadata["optimization"]["objective"] == "size"
    bad = cli("optimize", "churn", "--objective", "speed")
    assert bad.code != 0 and "unknown objective" in bad.err and "Traceback" not in bad.err
    missing = cli("optimize", "nosuchmodel")
    assert missing.code != 0 and "Traceback" not in missing.err


@pytest.mark.slow
def test_neural_variants_are_built_and_measured(project: Project) -> None:
    name = _train(project, ["mlp"], time_limit=20)
    outcome = optimize(project, name, **QUICK)  # type: ignore[arg-type]
    names = {v.name for v in outcome.result.variants}
    assert {"onnx-int8-dynamic", "onnx-int8-static", "onnx-pruned"} <= names
    int8 = next(v for v in outcome.result.variants if v.name == "onnx-int8-dynamic")
    assert (
        int8.measurement is not None
        and int8.measurement.size_bytes < outcome.result.native.measurement.size_bytes
    )  # type: ignore[union-attr]
    frame = pd.DataFrame(heldout("binary").drop(columns=["y"]))
    assert OnnxPredictor.load(
        package_folder(project, outcome.registered["onnx-int8-dynamic"])
    ).predict_records(frame.to_dict(orient="records")).shape == (len(frame), 2)
