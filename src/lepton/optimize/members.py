"""How a family's fitted model becomes ONNX nodes, and the subgraphs of the non-tree families.

A family names its exporter in its ``FamilySpec`` (``"module:function"``); every
exporter is a ``MemberExporter``: given the ``MemberContext`` (the graph so far, its
input tensors, the derived category features all trees share) and one fitted model,
it returns either the name of its output tensor ([N, K] probabilities, [N, 1] values)
or a ``TreeGroup`` for the shared tree ensemble (``lepton.optimize.trees``).

- ``dense_features``: the ``DenseEncoder`` (median impute, standardise, missing flags,
  one-hot) as graph ops, so requests need no numpy preprocessing;
- scikit-learn estimators behind it go through skl2onnx;
- the PyTorch ``TabularMLP`` is written from its weights (embeddings → Gather, batch
  norm folded into the linear layer before it). ``torch.onnx.export`` produces the same
  ops (Gather, Concat, Gemm, Relu) but takes seconds per net and a bag holds five nets
  per member; writing them directly is exact and instant, and keeps plain ``MatMul``
  nodes that the int8 quantizers recognise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lepton.learn.families.base import DenseEncoder
from lepton.optimize.graph import ML_OPSET, OPSET, GraphBuilder
from lepton.optimize.trees import DerivedFeatures, TreeGroup, UnsupportedModel


@dataclass(frozen=True)
class GraphInputs:
    """Tensors every member starts from (all batch-major)."""

    num: str  # float [N, F], NaN = missing
    isnan: str  # bool [N, F]
    codes1: str  # int64 [N, C]: category code + 1, 0 = missing/unseen
    n_num: int
    n_cat: int


@dataclass(frozen=True)
class MemberContext:
    """What an exporter builds on; ``n_outputs`` is K for classification, 1 for regression."""

    g: GraphBuilder
    x: GraphInputs
    derived: DerivedFeatures
    task: str
    n_outputs: int

    @property
    def classifier(self) -> bool:
        return self.task != "regression"


MemberExporter = Callable[[MemberContext, Any], str | TreeGroup]


def dense_features(
    g: GraphBuilder, x: GraphInputs, enc: DenseEncoder, with_onehot: bool = True
) -> str:
    """``DenseEncoder.transform`` in float32, op for op."""
    assert enc.medians_ is not None and enc.means_ is not None and enc.scales_ is not None
    assert enc.flag_columns_ is not None
    blocks: list[str] = []
    if x.n_num:
        filled = g.op("Where", [x.isnan, g.const(enc.medians_, "median"), x.num])
        centred = g.op("Sub", [filled, g.const(enc.means_, "mean")])
        scaled = g.op("Div", [centred, g.const(enc.scales_, "scale")])
        blocks.append(
            g.op("Clip", [scaled, g.const(np.float32(-10), "lo"), g.const(np.float32(10), "hi")])
        )
    if len(enc.flag_columns_):
        picked = g.op(
            "Gather", [x.isnan, g.const(enc.flag_columns_.astype(np.int64), "flags")], axis=1
        )
        blocks.append(g.op("Cast", [picked], to=1))
    if with_onehot and enc.levels_ and sum(enc.levels_):
        columns = np.repeat(np.arange(len(enc.levels_), dtype=np.int64), enc.levels_)
        levels = np.concatenate([np.arange(1, n + 1, dtype=np.int64) for n in enc.levels_])
        repeated = g.op("Gather", [x.codes1, g.const(columns, "cols")], axis=1)
        hot = g.op("Equal", [repeated, g.const(levels[None, :], "levels")])
        blocks.append(g.op("Cast", [hot], to=1))
    if len(blocks) == 1:
        return blocks[0]
    return g.op("Concat", blocks, axis=1)


def dense_member(ctx: MemberContext, fitted: Any) -> str:
    """A ``DenseModel`` (``DenseEncoder`` + scikit-learn estimator): encoder ops, then skl2onnx."""
    enc = fitted.encoder
    dense = dense_features(ctx.g, ctx.x, enc)
    width = int(ctx.x.n_num + len(enc.flag_columns_) + sum(enc.levels_))
    return sklearn_member(ctx.g, dense, fitted.estimator, width, ctx.classifier)


def sklearn_member(
    g: GraphBuilder, dense: str, estimator: Any, width: int, classifier: bool
) -> str:
    """Probabilities [N, K] for classifiers, values [N, 1] for regressors."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    options = {id(estimator): {"zipmap": False}} if classifier else None
    try:
        converted = convert_sklearn(
            estimator,
            initial_types=[("X", FloatTensorType([None, width]))],
            target_opset={"": OPSET, "ai.onnx.ml": ML_OPSET},
            options=options,
        )
    except Exception as exc:  # skl2onnx raises many kinds for unsupported estimators
        raise UnsupportedModel(
            f"skl2onnx cannot convert {type(estimator).__name__}: {exc}"
        ) from exc
    outputs = g.absorb(converted, "sk", {"X": dense})
    if classifier:
        return outputs["probabilities"]
    return g.op("Reshape", [outputs["variable"], g.const(np.array([-1, 1], np.int64), "shape")])


def mlp_member(ctx: MemberContext, model: Any) -> str:
    """A ``MLPModel`` (encoder + ``TabularMLP``) as ops; [N, K] probabilities or [N, 1] values."""
    import torch

    g, x, classifier = ctx.g, ctx.x, ctx.classifier
    dense = dense_features(g, x, model.encoder, with_onehot=False)
    net = model.net
    parts = [dense]
    for j, emb in enumerate(net.embeddings):
        index = g.op("Gather", [x.codes1, g.const(np.int64(j), "col")], axis=1)
        weight = emb.weight.detach().numpy().astype(np.float32)
        parts.append(g.op("Gather", [g.const(weight, "emb"), index], axis=0))
    h = parts[0] if len(parts) == 1 else g.op("Concat", parts, axis=1)
    layers = list(net.body)
    i = 0
    while i < len(layers):
        layer = layers[i]
        if isinstance(layer, torch.nn.Linear):
            w = layer.weight.detach().double().numpy()
            b = layer.bias.detach().double().numpy()
            if i + 1 < len(layers) and isinstance(layers[i + 1], torch.nn.BatchNorm1d):
                bn = layers[i + 1]
                assert bn.running_mean is not None and bn.running_var is not None
                s = bn.weight.detach().double().numpy() / np.sqrt(
                    bn.running_var.double().numpy() + bn.eps
                )
                w = w * s[:, None]
                b = (b - bn.running_mean.double().numpy()) * s + bn.bias.detach().double().numpy()
                i += 1
            h = g.op("MatMul", [h, g.const(w.T.astype(np.float32), "w")])
            h = g.op("Add", [h, g.const(b.astype(np.float32), "b")])
        elif isinstance(layer, torch.nn.ReLU):
            h = g.op("Relu", [h])
        elif not isinstance(layer, torch.nn.Dropout):
            raise UnsupportedModel(f"MLP layer {type(layer).__name__} is not exported")
        i += 1
    if classifier:
        return g.op("Softmax", [h], axis=1)
    value = g.op("Mul", [h, g.const(np.float32(model.y_scale), "ys")])
    return g.op("Add", [value, g.const(np.float32(model.y_mean), "ym")])
