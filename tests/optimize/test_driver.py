"""The shared loop with a fake kind: what any ``VariantBuilder`` gets from the driver."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import onnx
import pandas as pd
import pytest
import torch
from onnx import TensorProto, helper

from lepton.optimize.builders import builder_for
from lepton.optimize.choose import OVER_BUDGET
from lepton.optimize.driver import optimize_model
from lepton.optimize.images import ImageBuilder
from lepton.optimize.protocol import BuiltVariant, Measure, MeasureOptions, Progress, VariantRun
from lepton.optimize.result import Variant
from lepton.optimize.tabular import TabularBuilder
from lepton.runtime.manifest import ColumnSpec, OutputSpec, PackageManifest


def _manifest(kind: str = "tabular", column_kind: str = "numeric") -> PackageManifest:
    return PackageManifest(
        kind=kind,
        task="regression",
        target="y",
        input_schema=(ColumnSpec("x", column_kind),),
        output_schema=OutputSpec.for_task("regression", "y", []),
    )


class _Target:
    def encode(self, values: pd.Series) -> Any:
        return values.to_numpy(dtype=float)


@dataclass
class _Model:
    target_name: str = "y"
    task: str = "regression"
    target: _Target = field(default_factory=_Target)


def _graph() -> onnx.ModelProto:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [None])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None])
    return helper.make_model(
        helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y])
    )


# predictions offset from the labels, and timings, per variant
_OFFSET = {"native": 0.0, "close": 0.001, "off": 10.0}
_P50 = {"native": 5.0, "close": 2.0, "off": 1.0}


class _FakeBuilder:
    examples = "rows"
    native_description = "the fake model"

    def __init__(self) -> None:
        self.measured: list[str] = []
        self.threads: list[int] = []

    def features(self, model: _Model, heldout: pd.DataFrame, say: Progress) -> Any:
        return heldout[model.target_name].to_numpy(dtype=float)  # the fake predicts from y

    def build(
        self,
        model: _Model,
        manifest: PackageManifest,
        features: Any,
        train: pd.DataFrame | None,
        workdir: Path,
        tolerance: float,
        notes: list[str],
        say: Progress,
    ) -> list[BuiltVariant]:
        notes.append("int8 not built: fake")
        return [
            BuiltVariant(Variant.onnx(name, f"{name} graph", workdir, 0.0), _graph())
            for name in ("close", "off")
        ]

    def measurer(
        self, model: _Model, features: Any, workdir: Path, options: MeasureOptions
    ) -> Measure:
        def measure(variant: Variant) -> VariantRun:
            self.measured.append(variant.name)
            self.threads.append(torch.get_num_threads())
            assert (variant.folder / "lepton.json").exists() or variant.kind == "native"
            pred = features + _OFFSET[variant.name]
            return VariantRun(pred, _P50[variant.name], 2 * _P50[variant.name], 100.0, 10)

        return measure


def test_the_driver_writes_measures_and_chooses_with_any_builder(tmp_path: Path) -> None:
    heldout = pd.DataFrame({"y": [1.0, 2.0, None, 4.0]})
    builder = _FakeBuilder()
    threads = torch.get_num_threads()
    result = optimize_model(
        _Model(),
        _manifest(),
        tmp_path / "native",
        heldout,
        tmp_path,
        max_metric_drop=0.01,
        builder=builder,
    )
    assert [v.name for v in result.variants] == ["native", "close", "off"]
    assert builder.measured == ["native", "close", "off"] and set(builder.threads) == {1}
    assert torch.get_num_threads() == threads
    assert result.heldout == "held-out rows" and result.notes == ["int8 not built: fake"]
    native, close, off = result.variants
    assert native.description == "the fake model"
    assert native.measurement is not None and native.measurement.metric_drop == 0.0
    assert close.measurement is not None
    assert close.measurement.metric_drop == pytest.approx(0.001)
    assert not off.eligible and off.note == OVER_BUDGET and off.pareto  # fastest, over budget
    assert result.chosen == "close" and close.eligible
    manifest = json.loads((tmp_path / "close" / "lepton.json").read_text())
    assert manifest["variant"]["name"] == "close" and manifest["serving"] == {
        "onnx": "onnx/model.onnx"
    }
    assert onnx.load(str(tmp_path / "close" / "onnx" / "model.onnx")).graph.node[0].op_type == (
        "Identity"
    )


def test_builder_for_is_the_one_the_kind_declares() -> None:
    assert isinstance(builder_for(_manifest("image", "image")), ImageBuilder)
    assert isinstance(builder_for(_manifest("tabular")), TabularBuilder)
    assert isinstance(builder_for(_manifest("text", "text")), TabularBuilder)
