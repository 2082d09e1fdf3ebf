"""Export a ``TrainedModel`` — preprocessing, every member, blend, calibration — as one ONNX graph.

``export_model`` builds the graph; ``verify`` runs it against the native pipeline on
held-out rows and rejects it when probabilities (or values) differ by more than a
tolerance. A member that cannot be represented exactly raises ``ExportError`` naming
the family and the reason, so the caller keeps the native predictor. Which function
exports a member is its family's business: ``FamilySpec.exporter`` names it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx
import pandas as pd
from onnx import helper

from lepton.errors import LeptonError
from lepton.learn.families import family_spec
from lepton.learn.model import HEDGE_COUNTS, HEDGE_PSEUDO_ROWS, Member, TrainedModel
from lepton.optimize.graph import (
    FLOAT,
    STRING,
    GraphBuilder,
    category_codes,
    tensor_input,
)
from lepton.optimize.members import GraphInputs, MemberContext, MemberExporter
from lepton.optimize.trees import (
    DerivedFeatures,
    EnsembleAttributes,
    TreeGroup,
    UnsupportedModel,
)
from lepton.runtime.manifest import PackageManifest
from lepton.runtime.onnx_table import OnnxPredictor

FP32_TOLERANCE = 1e-5
TEXT_REFUSAL = (
    "text column(s) {columns}: the text pipeline (scikit-learn TF-IDF tokenisation with "
    "char_wb n-grams, MiniLM sentence embeddings and their PCA) has no exact ONNX "
    "counterpart here (skl2onnx has no char_wb analyzer and its regex tokenizer is not "
    "verified to split text as scikit-learn does), so text models stay native"
)


class ExportError(LeptonError):
    """The model (or a member of it) cannot be exported, or the export is not faithful."""

    http_status = 422


@dataclass
class ExportReport:
    """What went into the graph: per member, its family, fold models and how it was exported."""

    members: list[dict[str, Any]] = field(default_factory=list)
    n_trees: int = 0
    n_tree_nodes: int = 0
    n_derived_features: int = 0


def export_model(
    model: TrainedModel, members: list[Member] | None = None
) -> tuple[onnx.ModelProto, ExportReport]:
    """The serving graph of ``model`` (or of ``members`` of it, for slimmed variants)."""
    chosen = [m for m in (members if members is not None else model.members) if m.weight > 0]
    problems: list[str] = []
    for m in chosen:
        spec = family_spec(m.family)
        if spec.exporter is None:
            problems.append(
                f"{m.name}: family {m.family!r} has no ONNX exporter ({spec.no_export_reason})"
            )
    if getattr(model.encoder, "text_", None):
        problems.append(TEXT_REFUSAL.format(columns=", ".join(map(repr, model.encoder.text_))))
    if problems:
        raise ExportError(
            "cannot export to ONNX: " + "; ".join(problems) + "; keep the native predictor"
        )
    enc = model.encoder
    cards = [len(v) for v in enc.categorical_.values()]
    n_num, n_cat = len(enc.num_names_), len(cards)
    classifier = model.task != "regression"
    k = len(model.labels) if classifier else 1
    g = GraphBuilder()
    report = ExportReport()

    isnan = g.op("IsNaN", ["num"], "isnan")
    codes1 = category_codes(g, list(enc.categorical_.values()))
    x = GraphInputs("num", isnan, codes1, n_num, n_cat)

    contributions: list[str] = []
    derived = DerivedFeatures(n_num, cards)
    ctx = MemberContext(g, x, derived, model.task, k)
    tree_groups: list[tuple[EnsembleAttributes, float]] = []  # one per fold model
    for member in chosen:
        share = member.weight / len(member.models)
        spec = family_spec(member.family)
        export: MemberExporter = spec.load_exporter()
        try:
            for fitted in member.models:
                out = export(ctx, fitted)
                if isinstance(out, TreeGroup):  # joins the one tree block (see _tree_block)
                    tree_groups.append((EnsembleAttributes.from_group(out), share))
                    report.n_trees += len(out.trees)
                else:
                    contributions.append(g.op("Mul", [out, g.const(np.float32(share), "w")]))
        except UnsupportedModel as exc:
            problems.append(f"{member.name} ({member.family}): {exc}")
            continue
        report.members.append(
            {
                "name": member.name,
                "family": member.family,
                "weight": member.weight,
                "fold_models": len(member.models),
                "export": spec.exporter,
            }
        )
    if problems:
        raise ExportError(
            "cannot export to ONNX: " + "; ".join(problems) + "; keep the native predictor"
        )

    if tree_groups:
        contributions.append(_tree_block(g, x, derived, tree_groups, model.task, k))
        report.n_tree_nodes = sum(len(a.nodes["nodes_nodeids"]) for a, _ in tree_groups)
        report.n_derived_features = len(derived)
    total = contributions[0]
    for part in contributions[1:]:
        total = g.op("Add", [total, part])

    if classifier:
        norm = g.op("ReduceSum", [total, g.const(np.array([1], np.int64), "ax")], keepdims=1)
        out = g.op("Div", [total, norm])
        if model.temperature != 1.0:
            clipped = g.op(
                "Clip", [out, g.const(np.float32(1e-12), "lo"), g.const(np.float32(1.0), "hi")]
            )
            logits = g.op(
                "Div", [g.op("Log", [clipped]), g.const(np.float32(model.temperature), "t")]
            )
            out = g.op("Softmax", [logits], axis=1)
    else:
        out = total
    if model.prior is not None:
        out = _hedge(g, x, model, out, classifier)
    name = "probabilities" if classifier else "value"
    if classifier:
        g.nodes.append(helper.make_node("Identity", [out], [name]))
        output = helper.make_tensor_value_info(name, FLOAT, ["N", k])
    else:
        g.nodes.append(
            helper.make_node("Reshape", [out, g.const(np.array([-1], np.int64), "shape")], [name])
        )
        output = helper.make_tensor_value_info(name, FLOAT, ["N"])
    inputs = [
        tensor_input("num", FLOAT, n_num),
        tensor_input("cat", STRING, n_cat),
        tensor_input("missing", FLOAT, None),
    ]
    return g.model(
        inputs, [output], doc=f"lepton serving graph: {model.task} on {model.target_name}"
    ), report


def _hedge(g: GraphBuilder, x: GraphInputs, model: TrainedModel, out: str, classifier: bool) -> str:
    """``TrainedModel._hedge_uninformed``: blend rows missing >= half their inputs toward a prior.

    The prior is conditioned on the categories the row still has: each column's per-code
    shift (log share ratio, or mean difference) and a seen-flag are one table lookup.
    """
    assert model.prior is not None
    prior = np.asarray(model.prior, dtype=np.float64)
    k = len(prior) if classifier else 1
    tables = (model.extra.get(HEDGE_COUNTS) or []) if x.n_cat else []
    shift_sum = ""
    for j, table in enumerate(tables):
        lookup = np.zeros((_cardinality(model, j) + 1, k + 1))
        counts = np.asarray(table, dtype=np.float64)
        n_known = min(len(counts), len(lookup) - 1)
        if n_known == 0:
            continue
        counts = counts[:n_known]
        if classifier:
            n = counts.sum(axis=1, keepdims=True)
            shares = (counts + HEDGE_PSEUDO_ROWS * prior) / (n + HEDGE_PSEUDO_ROWS)
            lookup[1 : n_known + 1, :k] = np.log(shares) - np.log(prior)
        else:
            mean = (counts[:, 1] + HEDGE_PSEUDO_ROWS * prior[0]) / (
                counts[:, 0] + HEDGE_PSEUDO_ROWS
            )
            lookup[1 : n_known + 1, 0] = mean - prior[0]
        lookup[1 : n_known + 1, k] = 1.0
        code = g.op("Gather", [x.codes1, g.const(np.int64(j), "col")], axis=1)
        part = g.op("Gather", [g.const(lookup.astype(np.float32), "hedge"), code], axis=0)
        shift_sum = part if not shift_sum else g.op("Add", [shift_sum, part])
    base = prior[None, :] if classifier else prior[:1].reshape(1, 1)
    conditioned = g.const(base.astype(np.float32), "prior")
    if shift_sum:
        shift = g.op(
            "Slice",
            [
                shift_sum,
                g.const(np.array([0], np.int64), "s"),
                g.const(np.array([k], np.int64), "e"),
                g.const(np.array([1], np.int64), "a"),
            ],
        )
        seen = g.op(
            "Slice",
            [
                shift_sum,
                g.const(np.array([k], np.int64), "s"),
                g.const(np.array([k + 1], np.int64), "e"),
                g.const(np.array([1], np.int64), "a"),
            ],
        )
        mean_shift = g.op("Div", [shift, g.op("Max", [seen, g.const(np.float32(1.0), "one")])])
        if classifier:
            logits = g.op("Add", [g.const(np.log(base).astype(np.float32), "logprior"), mean_shift])
            conditioned = g.op("Softmax", [logits], axis=1)
        else:
            conditioned = g.op("Add", [conditioned, mean_shift])
    share_missing = g.op(
        "Where",
        [
            g.op("GreaterOrEqual", ["missing", g.const(np.float32(0.5), "half")]),
            "missing",
            g.const(np.float32(0.0), "zero"),
        ],
    )
    h = g.op("Unsqueeze", [share_missing, g.const(np.array([1], np.int64), "ax")])
    keep = g.op("Sub", [g.const(np.float32(1.0), "one"), h])
    return g.op("Add", [g.op("Mul", [keep, out]), g.op("Mul", [h, conditioned])])


def _cardinality(model: TrainedModel, j: int) -> int:
    return len(list(model.encoder.categorical_.values())[j])


def _tree_block(
    g: GraphBuilder,
    x: GraphInputs,
    derived: DerivedFeatures,
    groups: list[tuple[EnsembleAttributes, float]],
    task: str,
    k: int,
) -> str:
    """Derived category features, a tree ensemble per fold model, the link and weighted sum.

    One ``TreeEnsembleRegressor`` per fold model rather than one with a target per fold:
    with a single target onnxruntime keeps each leaf's value in the node itself, which
    saves a memory access per tree.

    The tree input is ``[numbers with NaN → -inf, numbers with NaN → +inf, derived]``: a
    split that sends missing values to its true side (``x <= t``) reads the first copy,
    every other numeric split the second, so no node needs a NaN check.
    """
    n = x.n_num
    blocks = []
    if n:
        infinity = np.float32(np.inf)
        blocks.append(g.op("Where", [x.isnan, g.const(-infinity, "neginf"), x.num]))
        blocks.append(g.op("Where", [x.isnan, g.const(infinity, "posinf"), x.num]))
    offsets: dict[tuple[int, ...], int] = {}
    position = 2 * n
    for columns, tables in derived.tables.items():
        sizes = [derived.cardinalities[c] + 1 for c in columns]
        key = g.op("Gather", [x.codes1, g.const(np.int64(columns[0]), "col")], axis=1)
        for c, size in zip(columns[1:], sizes[1:], strict=True):
            part = g.op("Gather", [x.codes1, g.const(np.int64(c), "col")], axis=1)
            key = g.op("Add", [g.op("Mul", [key, g.const(np.int64(size), "radix")]), part])
        matrix = np.stack(tables, axis=1).astype(np.float32)  # [codes, n features]
        blocks.append(g.op("Gather", [g.const(matrix, "table"), key], axis=0))
        offsets[columns] = position
        position += matrix.shape[1]
    remap = [offsets[cols] + pos for cols, pos in derived.layout()]
    tree_input = blocks[0] if len(blocks) == 1 else g.op("Concat", blocks, axis=1)
    outputs = []
    for attrs, _ in groups:
        nodes = attrs.nodes
        tracks = nodes["nodes_missing_value_tracks_true"]
        nodes["nodes_featureids"] = [
            _tree_column(f, bool(track), n, remap) if mode != "LEAF" else f
            for f, mode, track in zip(
                nodes["nodes_featureids"], nodes["nodes_modes"], tracks, strict=True
            )
        ]
        nodes["nodes_missing_value_tracks_true"] = [0] * len(tracks)
        outputs.append(
            g.op(
                "TreeEnsembleRegressor",
                [tree_input],
                domain="ai.onnx.ml",
                n_targets=attrs.n_targets,
                base_values=attrs.base_values,
                aggregate_function="SUM",
                post_transform="NONE",
                **nodes,  # type: ignore[arg-type]
            )
        )
    margins = outputs[0] if len(outputs) == 1 else g.op("Concat", outputs, axis=1)
    weights = np.array([w for _, w in groups], dtype=np.float32)
    n_groups = len(groups)
    if task == "multiclass":
        cube = g.op("Reshape", [margins, g.const(np.array([-1, n_groups, k], np.int64), "shape")])
        proba = g.op("Softmax", [cube], axis=2)
        weighted = g.op("Mul", [proba, g.const(weights.reshape(1, -1, 1), "w")])
        return g.op("ReduceSum", [weighted, g.const(np.array([1], np.int64), "ax")], keepdims=0)
    if task == "binary":
        p1 = g.op("MatMul", [g.op("Sigmoid", [margins]), g.const(weights.reshape(-1, 1), "w")])
        p0 = g.op("Sub", [g.const(np.float32(weights.sum()), "wsum"), p1])
        return g.op("Concat", [p0, p1], axis=1)
    return g.op("MatMul", [margins, g.const(weights.reshape(-1, 1), "w")])


def _tree_column(feature: int, missing_true: bool, n_num: int, remap: list[int]) -> int:
    """Where a split's feature sits in the tree input (see ``_tree_block``)."""
    if feature >= n_num:
        return remap[feature - n_num]
    return feature if missing_true else feature + n_num


def verify(
    model: TrainedModel, graph: onnx.ModelProto, manifest: PackageManifest, frame: pd.DataFrame
) -> float:
    """Max absolute difference between the graph and the native pipeline on ``frame``.

    Also checks that the record path (no DataFrame) gives what the frame path gives.
    """
    predictor = OnnxPredictor(graph.SerializeToString(), manifest)
    native = model.predict_raw(frame)
    exported = predictor.predict_raw(frame)
    records: list[dict[str, Any]] = [
        {str(k): v for k, v in row.items()}
        for row in frame[predictor.input_columns].head(64).to_dict(orient="records")
    ]
    by_record = predictor.predict_records(records)
    diff = float(np.max(np.abs(native - exported))) if len(frame) else 0.0
    if len(records):
        diff = max(diff, float(np.max(np.abs(by_record - exported[: len(records)]))))
    return diff


def check_faithful(diff: float, tolerance: float, what: str) -> None:
    if not np.isfinite(diff) or diff > tolerance:
        raise ExportError(
            f"{what} differs from the native model by {diff:.3g} (> tolerance {tolerance:g}) "
            "on held-out rows; rejected, the native model is unchanged"
        )
