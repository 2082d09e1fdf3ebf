"""Serving variants of an image model: ONNX fp32, int8 dynamic and int8 static (QDQ).

Why these: the CNN's cost is its convolutions, which int8 kernels (VNNI on recent
x86) run several times faster per operation; static QDQ quantization calibrates the
activation ranges once on training images, dynamic quantization computes them per
call (cheaper to build, slower to run). Variants are measured like the tabular ones
(``lepton.optimize.variants``) — single-threaded p50/p99 at batch 1 on a decoded
image, images/s at batch 256, file size, accuracy on held-out images — and the best
within the accuracy budget is chosen. Peak memory is not probed (the probe feeds
table rows).
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
from lepton.optimize.export import FP32_TOLERANCE, ExportError, check_faithful
from lepton.optimize.measure import BATCH, Measurement, latency_ms, metric_drop, throughput
from lepton.optimize.variants import (
    OptimizeResult,
    Progress,
    Variant,
    _choose,
    _variant,
    _write_package,
    labelled_heldout,
)
from lepton.runtime.manifest import NATIVE, ONNX
from lepton.runtime.onnx_image import INPUT, OnnxImagePredictor

QUANTIZED_OPS = ["Conv", "MatMul", "Gemm"]
CALIBRATION_IMAGES = 512
VERIFY_IMAGES = 512


def export_image_graph(model: ImageModel) -> onnx.ModelProto:
    """The network (normalisation, convolutions, temperature softmax) as one ONNX graph."""
    net = model.net.eval()
    pre = model.preprocessing
    example = torch.zeros((2, pre.size[0], pre.size[1], pre.channels), dtype=torch.uint8)
    with tempfile.TemporaryDirectory(prefix="lepton-onnx-") as tmp:
        path = Path(tmp) / "model.onnx"
        try:
            torch.onnx.export(
                net,
                (example,),
                str(path),
                input_names=[INPUT],
                output_names=["probabilities"],
                dynamic_shapes={"pixels": {0: torch.export.Dim("batch", min=1, max=4096)}},
                dynamo=True,
                verbose=False,
            )
        except Exception:  # the dynamo exporter refuses some graphs the tracer handles
            torch.onnx.export(
                net,
                (example,),
                str(path),
                input_names=[INPUT],
                output_names=["probabilities"],
                dynamic_axes={INPUT: {0: "batch"}, "probabilities": {0: "batch"}},
                dynamo=False,
                opset_version=17,
            )
        return onnx.load(str(path), load_external_data=True)


def quantize_dynamic(graph: onnx.ModelProto) -> onnx.ModelProto:
    from onnxruntime.quantization import QuantType
    from onnxruntime.quantization import quantize_dynamic as ort_quantize_dynamic

    with tempfile.TemporaryDirectory(prefix="lepton-q-") as tmp:
        source, target = _prepared(graph, Path(tmp)), Path(tmp) / "int8.onnx"
        ort_quantize_dynamic(
            source, target, weight_type=QuantType.QInt8, op_types_to_quantize=QUANTIZED_OPS
        )
        return onnx.load(target)


def quantize_static(graph: onnx.ModelProto, calibration: NDArray[np.uint8]) -> onnx.ModelProto:
    """QDQ int8, per-channel weights, activation ranges calibrated on ``calibration`` pixels."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
    )
    from onnxruntime.quantization import quantize_static as ort_quantize_static

    feeds = iter([{INPUT: calibration[i : i + 64]} for i in range(0, len(calibration), 64)])

    class Reader(CalibrationDataReader):  # type: ignore[misc]
        def get_next(self) -> dict[str, Any] | None:
            return next(feeds, None)

    with tempfile.TemporaryDirectory(prefix="lepton-q-") as tmp:
        source, target = _prepared(graph, Path(tmp)), Path(tmp) / "int8.onnx"
        ort_quantize_static(
            source,
            target,
            Reader(),
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=QUANTIZED_OPS,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=True,
        )
        return onnx.load(target)


def _prepared(graph: onnx.ModelProto, folder: Path) -> Path:
    """Shape inference + graph optimisation (folds batch norm) before quantization."""
    from onnxruntime.quantization.shape_inference import quant_pre_process

    raw, ready = folder / "fp32.onnx", folder / "fp32-prepared.onnx"
    onnx.save(graph, raw)
    try:
        quant_pre_process(str(raw), str(ready))
    except Exception:  # pre-processing is an optimisation; quantize the raw graph instead
        return raw
    return ready


def optimize_image_model(
    model: ImageModel,
    manifest: dict[str, Any],
    native_folder: Path,
    heldout: pd.DataFrame,
    workdir: Path,
    *,
    train: pd.DataFrame | None = None,
    max_metric_drop: float = 0.005,
    objective: str = "latency",
    tolerance: float = FP32_TOLERANCE,
    heldout_label: str = "held-out images",
    measure_seconds: float = 1.5,
    on_progress: Progress | None = None,
) -> OptimizeResult:
    """Build every image variant, measure them with native, choose one (nothing published)."""
    heldout, y, metric = labelled_heldout(model, manifest, heldout, objective, "images")
    say = on_progress or (lambda _msg: None)
    say(f"decoding {len(heldout):,} held-out images")
    pixels = model.pixels(heldout)
    result = OptimizeResult(
        [Variant("native", "the trained CNN (PyTorch pickle)", native_folder, "native")],
        "native",
        objective,
        max_metric_drop,
        metric.name,
        heldout_label,
    )
    say("exporting the fp32 ONNX graph")
    try:
        fp32 = export_image_graph(model)
        diff = _max_diff(model, fp32, pixels[:VERIFY_IMAGES])
        check_faithful(diff, tolerance, "the fp32 ONNX graph")
    except ExportError as exc:
        result.notes.append(f"onnx-fp32 not built: {exc}")
        _measure(result, model, pixels, y, metric, measure_seconds, say)
        _choose(result)
        return result
    built = [
        (
            _variant("onnx-fp32", "the CNN as one ONNX graph (normalise → softmax)", workdir, diff),
            fp32,
        )
    ]
    say("quantizing (int8 dynamic)")
    try:
        built.append(
            (
                _variant(
                    "onnx-int8-dynamic", "Conv/Gemm int8 weights, activations per call", workdir
                ),
                quantize_dynamic(fp32),
            )
        )
    except Exception as exc:  # onnxruntime's quantizer raises plain exceptions
        result.notes.append(f"onnx-int8-dynamic not built: {exc}")
    say("quantizing (int8 static, calibrated on training images)")
    try:
        calibration = _calibration(model, train, pixels)
        built.append(
            (
                _variant(
                    "onnx-int8-static",
                    f"Conv/Gemm int8 QDQ, calibrated on {len(calibration)} training images",
                    workdir,
                ),
                quantize_static(fp32, calibration),
            )
        )
    except Exception as exc:
        result.notes.append(f"onnx-int8-static not built: {exc}")
    for variant, graph in built:
        _write_package(variant, graph, manifest, None)
        result.variants.append(variant)
    _measure(result, model, pixels, y, metric, measure_seconds, say)
    _choose(result)
    return result


def _calibration(
    model: ImageModel, train: pd.DataFrame | None, fallback: NDArray[np.uint8]
) -> NDArray[np.uint8]:
    if train is None or model.image_column not in train.columns:
        return fallback[:CALIBRATION_IMAGES]
    sample = train.sample(min(len(train), CALIBRATION_IMAGES), random_state=0)
    return model.pixels(sample)


def _max_diff(model: ImageModel, graph: onnx.ModelProto, pixels: NDArray[np.uint8]) -> float:
    import onnxruntime as ort

    from lepton.runtime.onnx_table import session_options

    session = ort.InferenceSession(
        graph.SerializeToString(), session_options(1), providers=["CPUExecutionProvider"]
    )
    got = session.run(None, {INPUT: np.ascontiguousarray(pixels)})[0]
    return float(np.max(np.abs(got - model.predict_pixels(pixels)))) if len(pixels) else 0.0


def _measure(
    result: OptimizeResult,
    model: ImageModel,
    pixels: NDArray[np.uint8],
    y: NDArray[Any],
    metric: Any,
    seconds: float,
    say: Progress,
) -> None:
    """Single-threaded, like the tabular variants: batch-1 latency, batch-256 rate, accuracy."""
    column = model.image_column
    singles = [[{column: pixels[i]}] for i in range(min(len(pixels), 512))]
    reps = math.ceil(BATCH / len(pixels))
    batch = [{column: p} for p in np.concatenate([pixels] * reps)[:BATCH]]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    baseline = math.nan
    try:
        for variant in result.variants:
            say(f"measuring {variant.name}")
            runner: Any = (
                model if variant.kind == "native" else OnnxImagePredictor.load(variant.folder)
            )
            pred = runner.predict_pixels(pixels)

            def one(i: int, r: Any = runner) -> Any:
                return r.predict_records(singles[i])

            def many(r: Any = runner) -> Any:
                return r.predict_records(batch)

            p50, p99 = latency_ms(one, len(singles), seconds=seconds)
            rate = throughput(many, BATCH, seconds=seconds)
            file = variant.folder / (NATIVE if variant.kind == "native" else ONNX)
            value = metric.score(y, pred)
            if variant.kind == "native":
                baseline = value
            variant.measurement = Measurement(
                p50,
                p99,
                rate,
                file.stat().st_size,
                None,
                value,
                metric_drop(metric, baseline, value),
            )
    finally:
        torch.set_num_threads(threads)
