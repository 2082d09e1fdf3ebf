"""Train → package → predict → ONNX/int8 for an image dataset, through the normal paths."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lepton.data.catalog import DataCatalog
from lepton.runtime.loader import load_predictor, load_serving_predictor, package_folder, resolve
from lepton.runtime.manifest import read_manifest
from lepton.runtime.onnx_image import OnnxImagePredictor, image_input
from tests.helpers.home import run_lepton
from tests.images.conftest import TrainedImages, pattern_images, write_folder


def test_training_registers_an_image_package_with_its_preprocessing(
    trained: TrainedImages,
) -> None:
    record = resolve(trained.project, "patterns")
    manifest = read_manifest(package_folder(trained.project, record))
    assert manifest.task == "multiclass" and manifest.target == "label"
    assert manifest.kind == "image"
    column, pre = image_input(manifest)
    assert pre.size == (16, 16) and pre.mode == "L" and len(pre.mean) == 1
    assert manifest.input_schema[0].kind == "image" and column == "image"
    test = manifest.metrics["test"]
    assert test["metrics"]["accuracy"] >= 0.9  # the patterns are easy
    assert len(test["per_class"]) == 3 and {"precision", "recall", "f1"} <= set(
        test["per_class"][0]
    )
    assert np.asarray(test["confusion_matrix"]["counts"]).sum() == 30
    assert "holdout" in manifest.metrics["cv"]["how"]
    run = trained.project.metadata.get_run(str(record.run_id))
    assert run.status == "finished" and run.duration_s is not None and run.duration_s < 6 * 1.1 + 15


def test_native_predictor_round_trip(trained: TrainedImages) -> None:
    predictor, _ = load_predictor(trained.project, "patterns")
    frame = DataCatalog(trained.project).get("patterns-test").to_pandas()
    labels = predictor.predict(frame)
    assert (labels.to_numpy() == frame["label"].to_numpy()).mean() >= 0.9
    proba = predictor.predict_proba(frame)
    assert list(proba.columns) == ["bar", "column", "dot"]
    assert np.allclose(proba.sum(axis=1), 1.0)


def test_onnx_variants_match_native_and_one_is_chosen(trained: TrainedImages) -> None:
    result = trained.optimized.result
    names = [v.name for v in result.variants]
    assert names[:2] == ["native", "onnx-fp32"] and "onnx-int8-static" in names
    fp32 = result.variants[1]
    assert fp32.max_abs_diff is not None and fp32.max_abs_diff < 1e-5
    native, _ = load_predictor(trained.project, "patterns")
    frame = DataCatalog(trained.project).get("patterns-test").to_pandas()
    fp32_record = trained.optimized.registered["onnx-fp32"]
    onnx = OnnxImagePredictor.load(package_folder(trained.project, fp32_record))
    assert np.abs(onnx.predict_raw(frame) - native.model.predict_raw(frame)).max() < 1e-5
    serving, record = load_serving_predictor(trained.project, "patterns")
    assert record.version == 1 and serving.variant == result.chosen
    for variant in result.variants:
        assert variant.measurement is not None and variant.measurement.p50_ms > 0
    int8 = next(v for v in result.variants if v.name == "onnx-int8-static")
    assert int8.measurement is not None and int8.measurement.metric >= 0.8


def test_records_with_converted_pixels_predict_like_paths(trained: TrainedImages) -> None:
    from lepton.runtime.images import load_paths

    predictor, _ = load_predictor(trained.project, "patterns")
    frame = DataCatalog(trained.project).get("patterns-test").to_pandas().head(4)
    _, pre = image_input(predictor.manifest)
    pixels = load_paths(list(frame["image"]), pre.size, pre.mode)
    by_records = predictor.predict_records([{"image": p} for p in pixels])
    assert np.allclose(by_records, predictor.predict_proba(frame).to_numpy())
    assert isinstance(frame, pd.DataFrame)


@pytest.mark.slow  # two CLI processes: ~25 s on a busy machine
def test_cli_trains_an_image_folder(tmp_path: Path) -> None:
    """``lepton data add FOLDER`` then ``lepton train NAME``: no --target, no --task needed."""
    images, labels = pattern_images(30, seed=4)
    folder = write_folder(tmp_path / "pics", images, labels)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEPTON_")}
    env["LEPTON_HOME"] = str(tmp_path / "home")

    def lepton(*args: str) -> subprocess.CompletedProcess[str]:
        return run_lepton(env, *args)

    added = lepton("data", "add", str(folder), "--name", "pics")
    assert added.returncode == 0 and "target label" in added.stdout, added.stderr
    trained = lepton("train", "pics", "--time-limit", "8")
    assert trained.returncode == 0, trained.stderr
    assert "registered pics@1" in trained.stdout and "cnn#" in trained.stdout
