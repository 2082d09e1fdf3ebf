"""Serving variants of an image model: ONNX fp32, int8 dynamic and int8 static (QDQ).

Why these: the CNN's cost is its convolutions, which int8 kernels (VNNI on recent
x86) run several times faster per operation; static QDQ quantization calibrates the
activation ranges once on training images, dynamic quantization computes them per
call (cheaper to build, slower to run). Variants are timed like the tabular ones —
single-threaded p50/p99 at batch 1 on a decoded image, images/s at batch 256 — and
the driver scores and chooses them the same way. Peak memory is not probed (the
probe feeds table rows).
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pandas as pd
import torch
from numpy.typing import NDArray

from lepton.learn.vision.model import ImageModel
from lepton.optimize import quantize
from lepton.optimize.export import ExportError, check_faithful
from lepton.optimize.measure import BATCH, latency_ms, throughput
from lepton.optimize.packages import served_file
from lepton.optimize.protocol import BuiltVariant, Measure, MeasureOptions, Progress, VariantRun
from lepton.optimize.result import Variant
from lepton.runtime.manifest import PackageManifest
from lepton.runtime.onnx_image import INPUT, OnnxImagePredictor
from lepton.runtime.onnx_table import session_options

QUANTIZED_OPS = ["Conv", "MatMul", "Gemm"]
CALIBRATION_IMAGES = 512
VERIFY_IMAGES = 512


class ImageBuilder:
    """``VariantBuilder`` for ``ImageModel``: held-out features are decoded pixels."""

    examples = "images"
    native_description = "the trained CNN (PyTorch pickle)"

    def features(
        self, model: ImageModel, heldout: pd.DataFrame, say: Progress
    ) -> NDArray[np.uint8]:
        say(f"decoding {len(heldout):,} held-out images")
        return model.pixels(heldout)

    def build(
        self,
        model: ImageModel,
        manifest: PackageManifest,
        features: NDArray[np.uint8],
        train: pd.DataFrame | None,
        workdir: Path,
        tolerance: float,
        notes: list[str],
        say: Progress,
    ) -> list[BuiltVariant]:
        say("exporting the fp32 ONNX graph")
        try:
            fp32 = export_image_graph(model)
            diff = _max_diff(model, fp32, features[:VERIFY_IMAGES])
            check_faithful(diff, tolerance, "the fp32 ONNX graph")
        except ExportError as exc:
            notes.append(f"onnx-fp32 not built: {exc}")
            return []
        description = "the CNN as one ONNX graph (normalise → softmax)"
        built = [BuiltVariant(Variant.onnx("onnx-fp32", description, workdir, diff), fp32)]
        say("quantizing (int8 dynamic)")
        try:
            dynamic = Variant.onnx(
                "onnx-int8-dynamic", "Conv/Gemm int8 weights, activations per call", workdir
            )
            graph = quantize.quantize_dynamic(fp32, QUANTIZED_OPS, prepare=True)
            built.append(BuiltVariant(dynamic, graph))
        except Exception as exc:  # onnxruntime's quantizer raises plain exceptions
            notes.append(f"onnx-int8-dynamic not built: {exc}")
        say("quantizing (int8 static, calibrated on training images)")
        try:
            calibration = _calibration(model, train, features)
            static = Variant.onnx(
                "onnx-int8-static",
                f"Conv/Gemm int8 QDQ, calibrated on {len(calibration)} training images",
                workdir,
            )
            feeds = [{INPUT: calibration[i : i + 64]} for i in range(0, len(calibration), 64)]
            graph = quantize.quantize_static(fp32, feeds, QUANTIZED_OPS, prepare=True)
            built.append(BuiltVariant(static, graph))
        except Exception as exc:
            notes.append(f"onnx-int8-static not built: {exc}")
        return built

    def measurer(
        self,
        model: ImageModel,
        features: NDArray[np.uint8],
        workdir: Path,
        options: MeasureOptions,
    ) -> Measure:
        """Batch-1 latency and batch-256 rate on request records holding decoded pixels."""
        pixels, column, seconds = features, model.image_column, options.seconds
        singles = [[{column: pixels[i]}] for i in range(min(len(pixels), 512))]
        reps = math.ceil(BATCH / len(pixels))
        batch = [{column: p} for p in np.concatenate([pixels] * reps)[:BATCH]]

        def measure(variant: Variant) -> VariantRun:
            runner: Any = (
                model if variant.kind == "native" else OnnxImagePredictor.load(variant.folder)
            )
            pred = runner.predict_pixels(pixels)
            p50, p99 = latency_ms(
                lambda i: runner.predict_records(singles[i]), len(singles), seconds=seconds
            )
            rate = throughput(lambda: runner.predict_records(batch), BATCH, seconds=seconds)
            return VariantRun(pred, p50, p99, rate, served_file(variant).stat().st_size)

        return measure


def export_image_graph(model: ImageModel) -> onnx.ModelProto:
    """The network (normalisation, convolutions, temperature softmax) as one ONNX graph."""
    net = model.net.eval()
    pre = model.preprocessing
    example = torch.zeros((2, pre.size[0], pre.size[1], pre.channels), dtype=torch.uint8)
    with tempfile.TemporaryDirectory(prefix="lepton-onnx-") as tmp:
        path = Path(tmp) / "model.onnx"
        names: dict[str, Any] = {"input_names": [INPUT], "output_names": ["probabilities"]}
        try:
            torch.onnx.export(
                net,
                (example,),
                str(path),
                **names,
                dynamic_shapes={"pixels": {0: torch.export.Dim("batch", min=1, max=4096)}},
                dynamo=True,
                verbose=False,
            )
        except Exception:  # the dynamo exporter refuses some graphs the tracer handles
            torch.onnx.export(
                net,
                (example,),
                str(path),
                **names,
                dynamic_axes={INPUT: {0: "batch"}, "probabilities": {0: "batch"}},
                dynamo=False,
                opset_version=17,
            )
        return onnx.load(str(path), load_external_data=True)


def _calibration(
    model: ImageModel, train: pd.DataFrame | None, fallback: NDArray[np.uint8]
) -> NDArray[np.uint8]:
    if train is None or model.image_column not in train.columns:
        return fallback[:CALIBRATION_IMAGES]
    sample = train.sample(min(len(train), CALIBRATION_IMAGES), random_state=0)
    return model.pixels(sample)


def _max_diff(model: ImageModel, graph: onnx.ModelProto, pixels: NDArray[np.uint8]) -> float:
    import onnxruntime as ort

    session = ort.InferenceSession(
        graph.SerializeToString(), session_options(1), providers=["CPUExecutionProvider"]
    )
    got = session.run(None, {INPUT: np.ascontiguousarray(pixels)})[0]
    return float(np.max(np.abs(got - model.predict_pixels(pixels)))) if len(pixels) else 0.0
