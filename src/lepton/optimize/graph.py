"""A small builder for ONNX graphs: named constants, one-line ops, absorbing converted subgraphs.

Every part of the serving graph (category lookup, imputation, trees, nets, blend) is
written through this, so names never clash and opsets are declared once.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 18
ML_OPSET = 3


class GraphBuilder:
    """Collects nodes and initializers; ``model`` turns them into a checked ``ModelProto``."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.functions: list[onnx.FunctionProto] = []
        self._count = 0

    def fresh(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, value: Any, hint: str = "c", dtype: Any = None) -> str:
        array = np.asarray(value, dtype=dtype)
        name = self.fresh(hint)
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def op(
        self, op_type: str, inputs: list[str], hint: str = "", domain: str = "", **attrs: Any
    ) -> str:
        """Add a single-output node and return its output name."""
        out = self.fresh(hint or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], domain=domain or None, **attrs))
        return out

    def absorb(self, model: onnx.ModelProto, prefix: str, inputs: dict[str, str]) -> dict[str, str]:
        """Splice a converted model in: its inputs are fed from ``inputs``; returns its outputs."""
        tag = f"{self.fresh(prefix)}/"
        prefixed = onnx.compose.add_prefix(model, prefix=tag)
        graph = prefixed.graph
        graph_inputs = {i.name[len(tag) :]: i.name for i in graph.input}
        for original, source in inputs.items():
            self.nodes.append(helper.make_node("Identity", [source], [graph_inputs[original]]))
        self.nodes.extend(graph.node)
        self.initializers.extend(graph.initializer)
        self.functions.extend(prefixed.functions)
        return {o.name[len(tag) :]: o.name for o in graph.output}

    def model(
        self,
        inputs: list[onnx.ValueInfoProto],
        outputs: list[onnx.ValueInfoProto],
        *,
        doc: str = "",
    ) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, "lepton_serving", inputs, outputs, self.initializers)
        model = helper.make_model(
            graph,
            opset_imports=[
                helper.make_opsetid("", OPSET),
                helper.make_opsetid("ai.onnx.ml", ML_OPSET),
            ],
            producer_name="lepton",
            doc_string=doc,
            functions=self.functions or None,
        )
        model.ir_version = 9
        onnx.checker.check_model(model, full_check=False)
        return model


def tensor_input(name: str, elem: int, width: int | None) -> onnx.ValueInfoProto:
    shape: list[str | int | None] = ["N"] if width is None else ["N", width]
    return helper.make_tensor_value_info(name, elem, shape)


FLOAT = TensorProto.FLOAT
STRING = TensorProto.STRING
INT64 = TensorProto.INT64


def category_code(g: GraphBuilder, column: int, vocabulary: Any) -> str:
    """Column ``column`` of the string input ``cat`` as codes ``(N,)``: 1.. for the
    training vocabulary in order, 0 for an unseen or missing value (the encoder's rule)."""
    text = g.op("Gather", ["cat", g.const(np.int64(column), "col")], axis=1)
    return g.op(
        "LabelEncoder",
        [text],
        domain="ai.onnx.ml",
        keys_strings=[str(v) for v in vocabulary],
        values_int64s=list(range(1, len(vocabulary) + 1)),
        default_int64=0,
    )


def category_codes(g: GraphBuilder, vocabularies: list[Any]) -> str:
    """Every categorical column's codes as ``(N, n_cat)`` int64; "" when there are none."""
    if not vocabularies:
        return ""
    axis = g.const(np.array([1], np.int64), "ax")
    columns = [
        g.op("Unsqueeze", [category_code(g, j, vocabulary), axis])
        for j, vocabulary in enumerate(vocabularies)
    ]
    return columns[0] if len(columns) == 1 else g.op("Concat", columns, axis=1)
