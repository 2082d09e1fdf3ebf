"""int8 quantization of a serving graph's matrix products and convolutions.

Dynamic: weights stored as int8, activations quantized per batch at run time.
Static: activation ranges calibrated once on training inputs (QDQ format). By default
only ``MatMul`` nodes are touched (the tabular neural members), so preprocessing and
trees stay exact in fp32; image CNNs also quantize ``Conv``/``Gemm`` and have the graph
prepared first (shape inference, batch norm folded).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import onnx

QUANTIZED_OPS = ["MatMul"]


def has_matmul(graph: onnx.ModelProto) -> bool:
    return any(node.op_type in QUANTIZED_OPS for node in graph.graph.node)


def quantize_dynamic(
    graph: onnx.ModelProto, ops: Sequence[str] = QUANTIZED_OPS, *, prepare: bool = False
) -> onnx.ModelProto:
    from onnxruntime.quantization import QuantType
    from onnxruntime.quantization import quantize_dynamic as ort_quantize_dynamic

    with tempfile.TemporaryDirectory(prefix="lepton-q-") as tmp:
        source, target = _source(graph, Path(tmp), prepare), Path(tmp) / "int8.onnx"
        ort_quantize_dynamic(
            source, target, weight_type=QuantType.QInt8, op_types_to_quantize=list(ops)
        )
        return onnx.load(target)


class _Calibration:
    """Feeds graph inputs batch by batch, as ``CalibrationDataReader`` expects."""

    def __init__(self, feeds: list[dict[str, Any]]) -> None:
        self._feeds: Iterator[dict[str, Any]] = iter(feeds)

    def get_next(self) -> dict[str, Any] | None:
        return next(self._feeds, None)


def quantize_static(
    graph: onnx.ModelProto,
    feeds: list[dict[str, Any]],
    ops: Sequence[str] = QUANTIZED_OPS,
    *,
    prepare: bool = False,
) -> onnx.ModelProto:
    """``feeds``: graph inputs built from training examples (a few batches)."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType
    from onnxruntime.quantization import quantize_static as ort_quantize_static

    reader = type("Reader", (_Calibration, CalibrationDataReader), {})(feeds)
    with tempfile.TemporaryDirectory(prefix="lepton-q-") as tmp:
        source, target = _source(graph, Path(tmp), prepare), Path(tmp) / "int8.onnx"
        ort_quantize_static(
            source,
            target,
            reader,
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=list(ops),
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=True,
        )
        return onnx.load(target)


def _source(graph: onnx.ModelProto, folder: Path, prepare: bool) -> Path:
    """The graph saved for the quantizer; ``prepare``: shape inference + graph
    optimisation first (folds batch norm), falling back to the raw graph."""
    raw = folder / "fp32.onnx"
    onnx.save(graph, raw)
    if not prepare:
        return raw
    from onnxruntime.quantization.shape_inference import quant_pre_process

    ready = folder / "fp32-prepared.onnx"
    try:
        quant_pre_process(str(raw), str(ready))
    except Exception:  # pre-processing is an optimisation; quantize the raw graph instead
        return raw
    return ready
