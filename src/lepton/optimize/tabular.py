"""Serving variants of a tabular model (a ``TrainedModel`` ensemble) and how to time them.

Variants: ``onnx-fp32`` (must match native within a tolerance, else nothing derived
from it is built), ``onnx-fp32-exportable`` (when some members cannot be exported:
the rest, renormalised), ``onnx-fp32-slim`` (fewer fold models / members: fewer
trees), and for neural members ``onnx-int8-dynamic``, ``onnx-int8-static`` and
``onnx-pruned``. Timing: a prepared one-row DataFrame for native, one request dict
for ONNX (turning it into graph inputs included), and a peak-memory probe.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import onnx
import pandas as pd

from lepton.learn.model import Member, TrainedModel
from lepton.optimize import quantize
from lepton.optimize.export import ExportError, check_faithful, export_model, verify
from lepton.optimize.measure import (
    BATCH,
    batch_frame,
    latency_ms,
    one_torch_thread,
    peak_memory_mib,
    throughput,
)
from lepton.optimize.packages import served_file
from lepton.optimize.protocol import BuiltVariant, Measure, MeasureOptions, Progress, VariantRun
from lepton.optimize.prune import neural_members, prunable_members, prune_model
from lepton.optimize.result import Variant
from lepton.runtime.manifest import PackageManifest
from lepton.runtime.onnx_table import GraphLayout, OnnxPredictor


class TabularBuilder:
    """``VariantBuilder`` for ``TrainedModel``: held-out features are a DataFrame."""

    examples = "rows"
    native_description = "the trained pipeline (pickle)"

    def features(self, model: TrainedModel, heldout: pd.DataFrame, say: Progress) -> pd.DataFrame:
        return heldout.drop(columns=[model.target_name])

    def build(
        self,
        model: TrainedModel,
        manifest: PackageManifest,
        features: pd.DataFrame,
        train: pd.DataFrame | None,
        workdir: Path,
        tolerance: float,
        notes: list[str],
        say: Progress,
    ) -> list[BuiltVariant]:
        say("exporting the fp32 ONNX serving graph")
        base: TrainedModel = model
        try:
            graph, report = export_model(model)
            diff = verify(model, graph, manifest, features)
            check_faithful(diff, tolerance, "the fp32 ONNX graph")
            how = ", ".join(sorted({m["family"] for m in report.members}))
            fp32 = Variant.onnx(
                "onnx-fp32", f"whole pipeline as one ONNX graph ({how})", workdir, diff
            )
            built = [BuiltVariant(fp32, graph)]
        except ExportError as exc:
            notes.append(f"onnx-fp32 not built: {exc}")
            subset = _exportable_subset(model, manifest, features, tolerance, workdir, notes)
            if subset is None:
                return []
            built, base = [subset], subset.variant.model
        head = built[0].graph
        assert head is not None  # the ONNX export (or its subset) always has one
        return built + _derived(base, manifest, head, features, train, workdir, notes, say)

    def measurer(
        self, model: TrainedModel, features: pd.DataFrame, workdir: Path, options: MeasureOptions
    ) -> Measure:
        return table_measurer(model, features, workdir, options)


def _exportable_subset(
    model: TrainedModel,
    manifest: PackageManifest,
    features: pd.DataFrame,
    tolerance: float,
    workdir: Path,
    notes: list[str],
) -> BuiltVariant | None:
    """The ensemble without the members that cannot be exported, weights renormalised.

    It is a different model from the parent, so it is verified against that reduced
    ensemble run natively, and like every variant it only wins if the held-out metric
    stays within the budget.
    """
    active = [m for m in model.members if m.weight > 0]
    keep = []
    for member in active:
        try:
            export_model(model, [member])
        except ExportError:
            continue
        keep.append(member)
    if not keep or len(keep) == len(active):
        return None
    total = sum(m.weight for m in keep)
    members = [replace(m, weight=m.weight / total) for m in keep]
    reduced = replace(model, members=members)
    try:
        graph, _ = export_model(reduced)
        diff = verify(reduced, graph, manifest, features)
        check_faithful(diff, tolerance, "the exportable-members graph")
    except ExportError as exc:
        notes.append(f"onnx-fp32-exportable not built: {exc}")
        return None
    dropped = ", ".join(m.name for m in active if m not in keep)
    variant = Variant.onnx(
        "onnx-fp32-exportable",
        f"ensemble without {dropped} (weights renormalised), as one ONNX graph",
        workdir,
        diff,
    )
    variant.model = reduced
    return BuiltVariant(variant, graph)


def _derived(
    model: TrainedModel,
    manifest: PackageManifest,
    fp32: onnx.ModelProto,
    features: pd.DataFrame,
    train: pd.DataFrame | None,
    workdir: Path,
    notes: list[str],
    say: Progress,
) -> list[BuiltVariant]:
    """What is built from a faithful fp32 graph: slim, int8 dynamic/static, pruned."""
    out: list[BuiltVariant] = []
    slim = slim_members(model.members)
    if slim is not None:
        say("building the slimmed ensemble")
        graph, _ = export_model(model, slim)
        kept = sum(len(m.models) for m in slim)
        total = sum(len(m.models) for m in model.members if m.weight > 0)
        description = f"{kept} of {total} fold models (main members, 2 folds each)"
        out.append(BuiltVariant(Variant.onnx("onnx-fp32-slim", description, workdir), graph))
    if not neural_members(model.members):
        notes.append("no neural members: int8 quantization and pruning apply to the MLP only")
        return out
    say("quantizing (int8 dynamic)")
    dynamic = Variant.onnx(
        "onnx-int8-dynamic", "MLP MatMuls int8, activations quantized per batch", workdir
    )
    out.append(BuiltVariant(dynamic, quantize.quantize_dynamic(fp32)))
    layout = GraphLayout(manifest.input_schema)
    calibration = train if train is not None else features
    feeds = [
        layout.from_frame(calibration.iloc[i : i + 128][layout.columns])
        for i in range(0, min(len(calibration), 1024), 128)
    ]
    say("quantizing (int8 static, calibrated on training rows)")
    try:
        static = Variant.onnx(
            "onnx-int8-static", "MLP MatMuls int8, QDQ calibrated on training rows", workdir
        )
        out.append(BuiltVariant(static, quantize.quantize_static(fp32, feeds)))
    except Exception as exc:  # onnxruntime's calibrator raises plain exceptions
        notes.append(f"onnx-int8-static not built: {exc}")
    if train is None:
        notes.append("onnx-pruned not built: no training rows to fine-tune on")
        return out
    if not prunable_members(model.members):
        notes.append("onnx-pruned not built: no member's family takes pruning")
        return out
    say("pruning 50% of MLP weights and fine-tuning")
    with one_torch_thread():
        rows = train[train[model.target_name].notna()]
        pruned = prune_model(
            model,
            rows.drop(columns=[model.target_name]),
            model.target.encode(rows[model.target_name]),
        )
    graph, _ = export_model(pruned)
    variant = Variant.onnx(
        "onnx-pruned", "MLP weights 50% magnitude-pruned, 2 epochs fine-tuned", workdir
    )
    variant.model = pruned
    out.append(BuiltVariant(variant, graph))
    return out


def slim_members(
    members: list[Member], min_weight: float = 0.1, folds: int = 2
) -> list[Member] | None:
    """Main members only (weight ≥ ``min_weight``, renormalised), first ``folds`` fold models each."""
    active = [m for m in members if m.weight > 0]
    keep = [m for m in active if m.weight >= min_weight] or active[:1]
    total = sum(m.weight for m in keep)
    slim = [replace(m, models=m.models[:folds], weight=m.weight / total) for m in keep]
    if sum(len(m.models) for m in slim) >= sum(len(m.models) for m in active):
        return None
    return slim


def table_measurer(
    model: Any,
    features: pd.DataFrame,
    workdir: Path,
    options: MeasureOptions,
    *,
    probe_memory: bool = True,
) -> Measure:
    """Latency, throughput, size (and peak memory) of a table model's variants.

    Native is ``model.predict_raw`` on DataFrames; an ONNX variant is the served runner
    (``OnnxPredictor``) on records, as the server calls it. ``probe_memory`` False leaves
    the memory column empty (the anomaly kind is not run through the memory probe).
    """
    rows = features.head(512)
    singles = [rows.iloc[[i]] for i in range(len(rows))]
    records = frame_records(rows)
    batch = batch_frame(features)
    batch_records = frame_records(batch)
    sample = workdir / "sample.parquet"
    if probe_memory:
        batch.to_parquet(sample)
    seconds = options.seconds

    def measure(variant: Variant) -> VariantRun:
        if variant.kind == "native":
            pred = model.predict_raw(features)
            p50, p99 = latency_ms(
                lambda i: model.predict_raw(singles[i]), len(singles), seconds=seconds
            )
            rate = throughput(lambda: model.predict_raw(batch), BATCH, seconds=seconds)
        else:
            predictor = OnnxPredictor.load(variant.folder, threads=1)
            pred = predictor.predict_raw(features)
            p50, p99 = latency_ms(
                lambda i: predictor.predict_records([records[i]]),
                len(records),
                seconds=seconds,
            )
            rate = throughput(
                lambda: predictor.predict_records(batch_records), BATCH, seconds=seconds
            )
        memory = (
            peak_memory_mib(variant.folder, variant.kind, sample)
            if probe_memory and options.memory
            else None
        )
        return VariantRun(pred, p50, p99, rate, served_file(variant).stat().st_size, memory)

    return measure


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A DataFrame as the JSON records a request carries (string keys)."""
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]
