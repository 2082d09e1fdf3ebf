"""int8 quantization of the serving graph's matrix products (the neural members).

Dynamic: weights stored as int8, activations quantized per batch at run time.
Static: activation ranges calibrated once on training rows (QDQ format). Only
``MatMul`` nodes are touched, so preprocessing and trees stay exact in fp32.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import onnx

QUANTIZED_OPS = ["MatMul"]


def has_matmul(graph: onnx.ModelProto) -> bool:
    return any(node.op_type in QUANTIZED_OPS for node in graph.graph.node)


def quantize_dynamic(graph: onnx.ModelProto) -> onnx.ModelProto:
    from onnxruntime.quantization import QuantType
    from onnxruntime.quantization import quantize_dynamic as ort_quantize_dynamic

    with tempfile.TemporaryDirectory(prefix="lepton-q-") as tmp:
        source, target = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        onnx.save(graph, source)
        ort_quantize_dynamic(
            source, target, weight_type=QuantType.QInt8, op_types_to_quantize=QUANTIZED_OPS
        )
        return onnx.load(target)


class _Calibration:
    """Feeds graph inputs batch by batch, as ``CalibrationDataReader`` expects."""

    def __init__(self, feeds: list[dict[str, Any]]) -> None:
        self._feeds: Iterator[dict[str, Any]] = iter(feeds)

    def get_next(self) -> dict[str, Any] | None:
        return next(self._feeds, None)


def quantize_static(graph: onnx.ModelProto, feeds: list[dict[str, Any]]) -> onnx.ModelProto:
    """``feeds``: graph inputs built from training rows (a few batches)."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType
    from onnxruntime.quantization import quantize_static as ort_quantize_static

    reader = type("Reader", (_Calibration, CalibrationDataReader), {})(feeds)
    with tempfile.TemporaryDirectory(prefix="lepton-q-") as tmp:
        source, target = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        onnx.save(graph, source)
        ort_quantize_static(
            source,
            target,
            reader,
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=QUANTIZED_OPS,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=True,
        )
        return onnx.load(target)
