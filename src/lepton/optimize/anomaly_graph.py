"""The ONNX graph of an ``AnomalyModel``: ``num, cat → [score, is_anomaly]`` per row.

Why float64 and not float32: the served score is a chain of percentile lookups (each
member's raw score against its sorted training scores, then their mean against the
sorted training means), i.e. a step function. A float32 rounding that moves a value
across a reference point changes the answer by a whole step, and ties are common (every
row with the same category frequencies, the same tree leaves, the same ECDF ranks).
So the graph repeats native's float64 arithmetic op for op:

- the matrix (median impute, robust scale, category frequency), ECOD's tail terms and
  the robust-z terms are the same IEEE operations; ECOD's ``-log`` of a rank is a table
  numpy computed, so those values are bit-identical. Their sums over features follow
  numpy's pairwise order for a C-ordered array (``numpy_sum``), but native's order
  depends on memory layout (``x[:, mask]`` is F-ordered and numpy then adds column by
  column; one row is summed pairwise), so a sum may differ in its last bits;
- the isolation forest's trees return leaf ids (thresholds rounded down to float32,
  which is exact for sklearn's float32 inputs), the per-leaf path lengths are summed
  tree by tree as sklearn does; only ``2 ** -x`` is onnxruntime's ``Pow``. skl2onnx's
  converter is not used: its ``scores`` are ``decision_function`` in float32, and on a
  table with one integer column that moved 46% of held-out rows' member percentiles;
- Mahalanobis is a ``MatMul`` (summation order is the BLAS's; scipy's compiled loop,
  which native uses, could not be matched bit for bit).

Where the raw score may not be bit-identical (sums, ``Pow``, ``MatMul``) the member
lookup treats values within a per-row error bound (``margin``) of a reference as equal
to it: ``(d + 2)`` ulps of a sum of ``d`` non-negative terms, a few ulps for ``Pow``;
for x'Px the summation's forward-error bound
(``d · ε · |x-μ|ᵀ|P||x-μ|``, scaled up), which stays tight where the distance is large
and the reference points dense, unlike a fixed relative tolerance. ``searchsorted``
is a vectorised binary search (log2(n) unrolled steps of ``Gather``), so memory stays
O(rows x features) whatever the training size. LOF (a neighbour search) is not exported.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from numpy.typing import NDArray
from onnx import TensorProto, helper

from lepton.learn.anomaly.detectors import ECOD, LOF, IForest, Mahalanobis
from lepton.learn.anomaly.model import AnomalyModel
from lepton.optimize.export import ExportError
from lepton.optimize.graph import (
    FLOAT,
    STRING,
    GraphBuilder,
    category_code,
    tensor_input,
)

DOUBLE = TensorProto.DOUBLE
LOF_NATIVE = (
    "LOF is a member: its score is a k-nearest-neighbour search over the training rows, "
    "not exported; the model stays native"
)
POW_SNAP = 1e-12  # 2 ** -x: onnxruntime's Pow and numpy's may differ in the last bits
ULPS = 8.0 * float(np.finfo(np.float64).eps)  # per term of a reordered sum, with slack


def export_anomaly(model: AnomalyModel) -> onnx.ModelProto:
    """The serving graph of ``model``; ``ExportError`` names what cannot be exported."""
    enc = model.matrix.encoder
    if enc.text_:
        raise ExportError("cannot export to ONNX: text columns are not part of the graph")
    if any(isinstance(m, LOF) for m in model.detector.members):
        raise ExportError(f"cannot export to ONNX: {LOF_NATIVE}")
    g = GraphBuilder()
    x = _matrix(g, model)
    ranks: list[str] = []
    for member, reference in zip(model.detector.members, model.detector.references, strict=True):
        raw, margin = _member(g, member, x)
        ranks.append(percentile(g, raw, np.asarray(reference, np.float64), margin))
    mean = ranks[0]
    for rank in ranks[1:]:  # np.mean over members: added in order, then divided
        mean = g.op("Add", [mean, rank])
    mean = g.op("Div", [mean, g.const(np.float64(len(ranks)), "m")])
    score = percentile(g, mean, np.asarray(model.detector.combined, np.float64), "")
    flag = g.op("Cast", [g.op("Greater", [score, g.const(np.float64(model.threshold))])], to=DOUBLE)
    axis = g.const(np.array([1], np.int64), "ax")
    columns = [g.op("Unsqueeze", [score, axis]), g.op("Unsqueeze", [flag, axis])]
    g.nodes.append(helper.make_node("Concat", columns, ["anomaly"], axis=1))
    inputs = [
        tensor_input("num", FLOAT, len(enc.num_names_)),
        tensor_input("cat", STRING, len(enc.categorical_)),
        tensor_input("missing", FLOAT, None),
    ]
    output = helper.make_tensor_value_info("anomaly", DOUBLE, ["N", 2])
    return g.model(inputs, [output], doc=f"lepton serving graph: anomaly {model.detector.name}")


def _matrix(g: GraphBuilder, model: AnomalyModel) -> str:
    """``AnomalyMatrix.transform`` in float64: [numbers, category frequencies], scaled."""
    matrix = model.matrix
    enc = matrix.encoder
    parts = []
    if enc.num_names_:
        parts.append(g.op("Cast", ["num"], to=DOUBLE))
    axis = g.const(np.array([1], np.int64), "ax")
    for j, (vocabulary, freq) in enumerate(
        zip(enc.categorical_.values(), matrix.frequencies_, strict=True)
    ):
        codes = g.op("Unsqueeze", [category_code(g, j, vocabulary), axis])
        table = np.concatenate([[0.0], np.asarray(freq, np.float64)])  # code 0: unseen
        parts.append(g.op("Gather", [g.const(table, "freq"), codes], axis=0))
    raw = parts[0] if len(parts) == 1 else g.op("Concat", parts, axis=1)
    median = g.const(matrix.median_, "median")
    filled = g.op("Where", [g.op("IsNaN", [raw]), median, raw])
    centred = g.op("Sub", [filled, median])
    return g.op("Div", [centred, g.const(matrix.scale_, "scale")])


def _member(g: GraphBuilder, member: Any, x: str) -> tuple[str, str]:
    """A member's raw score [N] and how far it may sit from native's ([N], "" = exact)."""
    if isinstance(member, ECOD):
        raw = ecod(g, member, x)
        return raw, _sum_margin(g, raw, member.sorted_.shape[1])
    if isinstance(member, Mahalanobis):
        return mahalanobis(g, member, x)
    if isinstance(member, IForest):
        raw = isolation_forest(g, member, x)
        return raw, g.op("Mul", [g.op("Abs", [raw]), g.const(np.float64(POW_SNAP), "snap")])
    raise ExportError(f"cannot export to ONNX: detector {member.name!r} has no exporter")


def _sum_margin(g: GraphBuilder, total: str, d: int) -> str:
    """The error bound of a sum of ``d`` non-negative terms in another order."""
    return g.op("Mul", [total, g.const(np.float64(ULPS * (d + 2)), "ulps")])


def numpy_sum(g: GraphBuilder, x: str, d: int) -> str:
    """``x.sum(axis=1)`` of a C-ordered [N, d] float64 in numpy's pairwise order, [N]."""
    if d == 0:
        raise ExportError("cannot export to ONNX: a detector sees no columns")
    names = [g.fresh("col") for _ in range(d)]
    if d == 1:
        g.nodes.append(helper.make_node("Identity", [x], names))
    else:
        g.nodes.append(helper.make_node("Split", [x], names, axis=1, num_outputs=d))
    total = _pairwise(g, names)
    return g.op("Squeeze", [total, g.const(np.array([1], np.int64), "ax")])


def _pairwise(g: GraphBuilder, cols: list[str]) -> str:
    """numpy's ``pairwise_sum``: sequential below 8, eight accumulators up to 128, halves."""
    n = len(cols)
    if n < 8:
        total = cols[0]
        for c in cols[1:]:
            total = g.op("Add", [total, c])
        return total
    if n <= 128:
        acc = list(cols[:8])
        i = 8
        while i + 8 <= n:
            acc = [g.op("Add", [acc[j], cols[i + j]]) for j in range(8)]
            i += 8
        pairs = [g.op("Add", [acc[j], acc[j + 1]]) for j in range(0, 8, 2)]
        total = g.op("Add", [g.op("Add", [pairs[0], pairs[1]]), g.op("Add", [pairs[2], pairs[3]])])
        for c in cols[i:]:
            total = g.op("Add", [total, c])
        return total
    half = n // 2
    half -= half % 8
    return g.op("Add", [_pairwise(g, cols[:half]), _pairwise(g, cols[half:])])


def searchsorted(
    g: GraphBuilder, reference: NDArray[np.float64], values: str, side: str, d: int = 1
) -> str:
    """``np.searchsorted`` per column: ``reference`` [n, d] sorted by column, ``values``
    [N, d] (or [N] when the reference is 1-D) → int64 counts.

    Binary lifting: ``pos`` advances by 2^k, 2^(k-1), …, 1 while the probed reference
    point still satisfies ``<`` (left) or ``<=`` (right); four ops a step. Each column is
    laid out as ``[unused, ref...]`` in one flat constant, ``pos`` is a flat index.
    """
    n = reference.shape[0]
    columns = reference.reshape(n, -1).T  # [d, n]
    padded = np.concatenate([np.zeros((columns.shape[0], 1)), columns], axis=1)
    flat = g.const(np.ascontiguousarray(padded).reshape(-1), "ref")
    base = np.arange(columns.shape[0], dtype=np.int64) * (n + 1)
    if reference.ndim == 1:
        base = base.reshape(())
    zeros = g.op(
        "ConstantOfShape",
        [g.op("Shape", [values])],
        value=helper.make_tensor("zero", TensorProto.INT64, [1], [0]),
    )
    pos = g.op("Add", [zeros, g.const(base, "base")])
    limit = g.const(base + n, "limit")
    compare = "Less" if side == "left" else "LessOrEqual"
    for k in reversed(range(max(1, n.bit_length()))):
        probe = g.op("Min", [g.op("Add", [pos, g.const(np.int64(1 << k), "step")]), limit])
        value = g.op("Gather", [flat, probe], axis=0)
        pos = g.op("Where", [g.op(compare, [value, values]), probe, pos])
    return g.op("Sub", [pos, g.const(base, "base")])


def percentile(g: GraphBuilder, values: str, reference: NDArray[np.float64], margin: str) -> str:
    """``scoring.percentile`` [N] float64; values within ``margin`` ([N], or "" for
    exact) of a reference point count as equal to it."""
    below, upto = values, values
    if margin:
        below = g.op("Sub", [values, margin])
        upto = g.op("Add", [values, margin])
    lo = searchsorted(g, reference, below, "left")
    hi = searchsorted(g, reference, upto, "right")
    counts = g.op("Cast", [g.op("Add", [lo, hi])], to=DOUBLE)
    return g.op("Div", [counts, g.const(np.float64(2.0 * len(reference)), "twon")])


def ecod(g: GraphBuilder, member: ECOD, x: str) -> str:
    """``ECOD.score``: ranks by binary search, ``-log`` from numpy-made tables, same ops;
    the terms are positive (``-log`` of a probability below 1)."""
    reference = np.asarray(member.sorted_, np.float64)
    n, d = reference.shape
    k = np.arange(n + 1)
    left_table = -np.log((k + 1) / (n + 2))
    right_table = -np.log((n - k + 1) / (n + 2))
    left = searchsorted(g, reference, x, "right", d)
    right = searchsorted(g, reference, x, "left", d)
    u_left = g.op("Gather", [g.const(left_table, "uleft"), left], axis=0)
    u_right = g.op("Gather", [g.const(right_table, "uright"), right], axis=0)
    auto = g.op("Where", [g.const(member.skew_ < 0, "skew"), u_left, u_right])
    both = g.op("Div", [g.op("Add", [u_left, u_right]), g.const(np.float64(2.0), "two")])
    return numpy_sum(g, g.op("Max", [auto, both]), d)


def mahalanobis(g: GraphBuilder, member: Mahalanobis, x: str) -> tuple[str, str]:
    """The MinCovDet distance ``(x-μ)ᵀP(x-μ)`` or the robust-z fallback, on kept columns."""
    keep = np.flatnonzero(member.keep_).astype(np.int64)
    data = g.op("Gather", [x, g.const(keep, "keep")], axis=1)
    if member.mcd_ is None:
        z = g.op(
            "Div",
            [g.op("Sub", [data, g.const(member.center_, "centre")]), g.const(member.scale_)],
        )
        raw = numpy_sum(g, g.op("Mul", [z, z]), len(keep))
        return raw, _sum_margin(g, raw, len(keep))
    mcd = member.mcd_
    diff = g.op("Sub", [data, g.const(np.asarray(mcd.location_, np.float64), "loc")])
    precision = np.asarray(mcd.get_precision(), np.float64)
    product = g.op("Mul", [g.op("MatMul", [diff, g.const(precision, "prec")]), diff])
    axis = g.const(np.array([1], np.int64), "ax")
    total = g.op("ReduceSum", [product, axis], keepdims=0)
    size = g.op("Abs", [diff])  # the bound: d · ε · |x-μ|ᵀ|P||x-μ|, times ULPS / ε
    spread = g.op("Mul", [g.op("MatMul", [size, g.const(np.abs(precision), "absprec")]), size])
    bound = g.op("ReduceSum", [spread, axis], keepdims=0)
    scale = np.float64(ULPS * (len(keep) + 2))
    return total, g.op("Mul", [bound, g.const(scale, "ulps")])


def isolation_forest(g: GraphBuilder, member: IForest, x: str) -> str:
    """``-score_samples``: leaf ids from one tree ensemble, sklearn's per-leaf path lengths
    summed tree by tree, then ``2 ** -(depth / (trees · c(max_samples)))``."""
    from sklearn.ensemble._iforest import _average_path_length

    forest = member.model_
    attrs, tables, offsets = _leaf_ids(forest)
    n_trees = len(forest.estimators_)
    leaves = g.op(
        "TreeEnsembleRegressor",
        [g.op("Cast", [x], to=FLOAT)],  # sklearn's trees read float32 too
        domain="ai.onnx.ml",
        n_targets=n_trees,
        aggregate_function="SUM",
        post_transform="NONE",
        nodes_missing_value_tracks_true=[0] * len(attrs["nodes_nodeids"]),
        **attrs,
    )
    ids = g.op("Cast", [leaves], to=TensorProto.INT64)
    index = g.op("Add", [ids, g.const(np.array(offsets, np.int64), "off")])
    per_tree = g.op("Gather", [g.const(np.concatenate(tables), "paths"), index], axis=0)
    names = [g.fresh("tree") for _ in range(n_trees)]
    if n_trees == 1:
        g.nodes.append(helper.make_node("Identity", [per_tree], names))
    else:
        g.nodes.append(helper.make_node("Split", [per_tree], names, axis=1, num_outputs=n_trees))
    depths = names[0]
    for name in names[1:]:  # sklearn adds tree by tree
        depths = g.op("Add", [depths, name])
    depths = g.op("Squeeze", [depths, g.const(np.array([1], np.int64), "ax")])
    denominator = n_trees * _average_path_length([forest._max_samples])
    if not denominator[0]:
        raise ExportError("cannot export to ONNX: the isolation forest was fitted on one row")
    ratio = g.op("Neg", [g.op("Div", [depths, g.const(np.float64(denominator[0]), "den")])])
    return g.op("Pow", [g.const(np.float64(2.0), "two"), ratio])


def _leaf_ids(forest: Any) -> tuple[dict[str, Any], list[NDArray[np.float64]], list[int]]:
    """``TreeEnsembleRegressor`` attributes answering each tree's leaf id (target t = tree
    t), each tree's per-node path term, and each tree's offset into their concatenation."""
    subsample = forest._max_features != int(forest.n_features_in_)
    attrs: dict[str, list[Any]] = {k: [] for k in TREE_ATTRIBUTES}
    tables: list[NDArray[np.float64]] = []
    offsets: list[int] = []
    offset = 0
    for t, (tree, features) in enumerate(
        zip(forest.estimators_, forest.estimators_features_, strict=True)
    ):
        s = tree.tree_
        lengths = forest._decision_path_lengths[t]
        average = forest._average_path_length_per_tree[t]
        tables.append(np.asarray(lengths + average - 1.0, np.float64))  # sklearn's term
        offsets.append(offset)
        offset += s.node_count
        for node in range(s.node_count):
            leaf = bool(s.children_left[node] == -1)
            feature = 0 if leaf else int(s.feature[node])
            if subsample and not leaf:
                feature = int(features[feature])
            attrs["nodes_treeids"].append(t)
            attrs["nodes_nodeids"].append(node)
            attrs["nodes_featureids"].append(feature)
            attrs["nodes_values"].append(0.0 if leaf else _float32_floor(s.threshold[node]))
            attrs["nodes_modes"].append("LEAF" if leaf else "BRANCH_LEQ")
            attrs["nodes_truenodeids"].append(0 if leaf else int(s.children_left[node]))
            attrs["nodes_falsenodeids"].append(0 if leaf else int(s.children_right[node]))
            if leaf:
                attrs["target_treeids"].append(t)
                attrs["target_nodeids"].append(node)
                attrs["target_ids"].append(t)
                attrs["target_weights"].append(float(node))
    return attrs, tables, offsets


TREE_ATTRIBUTES = (
    "nodes_treeids",
    "nodes_nodeids",
    "nodes_featureids",
    "nodes_values",
    "nodes_modes",
    "nodes_truenodeids",
    "nodes_falsenodeids",
    "target_treeids",
    "target_nodeids",
    "target_ids",
    "target_weights",
)


def _float32_floor(threshold: float) -> float:
    """The largest float32 <= ``threshold``: ``x32 <= t`` ⇔ ``x32 <= floor32(t)``."""
    rounded = np.float32(threshold)
    if float(rounded) > threshold:
        rounded = np.nextafter(rounded, np.float32(-np.inf))
    return float(rounded)
