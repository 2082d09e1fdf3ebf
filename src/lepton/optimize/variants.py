"""Build, measure and choose among a model's serving variants (no store involved).

Variants: ``onnx-fp32`` (must match native within a tolerance, else nothing derived
from it is built), ``onnx-fp32-slim`` (fewer fold models / members: fewer trees),
and for neural members ``onnx-int8-dynamic``, ``onnx-int8-static`` and
``onnx-pruned``. Each is written as a package folder so it can be measured exactly
as it will be served, and published as is.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pandas as pd
import torch
from numpy.typing import NDArray

from lepton.errors import LeptonError
from lepton.learn.metrics import Metric, get_metric
from lepton.learn.model import Member, TrainedModel
from lepton.learn.onnx_predictor import GraphLayout, OnnxPredictor
from lepton.learn.package import MANIFEST, NATIVE, ONNX
from lepton.optimize import quantize
from lepton.optimize.export import (
    FP32_TOLERANCE,
    ExportError,
    check_faithful,
    export_model,
    verify,
)
from lepton.optimize.measure import (
    BATCH,
    Measurement,
    batch_frame,
    latency_ms,
    metric_drop,
    peak_memory_mib,
    throughput,
)
from lepton.optimize.prune import neural_members, prunable_members, prune_model

OBJECTIVES = ("latency", "throughput", "size")
Progress = Callable[[str], None]


@dataclass
class Variant:
    name: str
    description: str
    folder: Path
    kind: str  # "native" or "onnx"
    max_abs_diff: float | None = None
    measurement: Measurement | None = None
    eligible: bool = False
    pareto: bool = False
    note: str = ""
    model: TrainedModel | None = None  # a changed native pipeline (pruned) shipped with it

    def row(self, native: Measurement | None) -> dict[str, Any]:
        m = self.measurement
        out: dict[str, Any] = {
            "variant": self.name,
            "description": self.description,
            "max_abs_diff": self.max_abs_diff,
            "eligible": self.eligible,
            "pareto": self.pareto,
            "note": self.note,
        }
        if m is not None:
            out.update(m.to_dict())
            if native is not None:
                out["latency_speedup"] = native.p50_ms / m.p50_ms if m.p50_ms else None
                out["throughput_ratio"] = m.throughput_rows_s / native.throughput_rows_s
                out["size_ratio"] = native.size_bytes / m.size_bytes if m.size_bytes else None
        return out


@dataclass
class OptimizeResult:
    variants: list[Variant]
    chosen: str
    objective: str
    max_metric_drop: float
    metric: str
    heldout: str
    notes: list[str] = field(default_factory=list)

    @property
    def native(self) -> Variant:
        return self.variants[0]

    def table(self) -> list[dict[str, Any]]:
        base = self.native.measurement
        return [{**v.row(base), "chosen": v.name == self.chosen} for v in self.variants]


def optimize_model(
    model: TrainedModel,
    manifest: dict[str, Any],
    native_folder: Path,
    heldout: pd.DataFrame,
    workdir: Path,
    *,
    train: pd.DataFrame | None = None,
    max_metric_drop: float = 0.005,
    objective: str = "latency",
    tolerance: float = FP32_TOLERANCE,
    heldout_label: str = "held-out rows",
    measure_memory: bool = True,
    measure_seconds: float = 1.5,
    on_progress: Progress | None = None,
) -> OptimizeResult:
    """Build every variant that applies, measure all of them with native, choose one."""
    heldout, y, metric = labelled_heldout(model, manifest, heldout, objective, "rows")
    say = on_progress or (lambda _msg: None)
    features = heldout.drop(columns=[model.target_name])
    result = OptimizeResult(
        [Variant("native", "the trained pipeline (pickle)", native_folder, "native")],
        "native",
        objective,
        max_metric_drop,
        metric.name,
        heldout_label,
    )
    built: list[tuple[Variant, onnx.ModelProto]] = []
    say("exporting the fp32 ONNX serving graph")
    try:
        graph, report = export_model(model)
        diff = verify(model, graph, manifest, features)
        check_faithful(diff, tolerance, "the fp32 ONNX graph")
        how = ", ".join(sorted({m["family"] for m in report.members}))
        built.append(
            (
                _variant("onnx-fp32", f"whole pipeline as one ONNX graph ({how})", workdir, diff),
                graph,
            )
        )
    except ExportError as exc:
        result.notes.append(f"onnx-fp32 not built: {exc}")
        subset = _exportable_subset(model, manifest, features, tolerance, workdir, result.notes)
        if subset is not None:
            built.append(subset)
    if built:
        base, fp32 = built[0][0].model or model, built[0][1]
        built += _derived(base, manifest, fp32, features, train, workdir, result.notes, say)
    for variant, graph in built:
        _write_package(variant, graph, manifest, None)
        result.variants.append(variant)
    _measure_all(result, model, features, y, metric, workdir, measure_memory, measure_seconds, say)
    _choose(result)
    return result


def labelled_heldout(
    model: Any, manifest: dict[str, Any], heldout: pd.DataFrame, objective: str, what: str
) -> tuple[pd.DataFrame, NDArray[np.int64], Metric]:
    """Check the request, keep the labelled held-out rows, and encode their labels."""
    if objective not in OBJECTIVES:
        raise LeptonError(
            f"unknown objective {objective!r}; choose one of: {', '.join(OBJECTIVES)}"
        )
    target = model.target_name
    if target not in heldout.columns:
        raise LeptonError(f"held-out {what} have no target column {target!r}")
    heldout = heldout[heldout[target].notna()].reset_index(drop=True)
    if heldout.empty:
        raise LeptonError(f"no labelled held-out {what} to measure variants on")
    y = model.target.encode(heldout[target])
    metric = get_metric(manifest.get("metrics", {}).get("cv", {}).get("metric"), model.task)
    return heldout, y, metric


def _exportable_subset(
    model: TrainedModel,
    manifest: dict[str, Any],
    features: pd.DataFrame,
    tolerance: float,
    workdir: Path,
    notes: list[str],
) -> tuple[Variant, onnx.ModelProto] | None:
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
    variant = _variant(
        "onnx-fp32-exportable",
        f"ensemble without {dropped} (weights renormalised), as one ONNX graph",
        workdir,
        diff,
    )
    variant.model = reduced
    return variant, graph


def _variant(name: str, description: str, workdir: Path, diff: float | None = None) -> Variant:
    return Variant(name, description, workdir / name, "onnx", diff)


def _derived(
    model: TrainedModel,
    manifest: dict[str, Any],
    fp32: onnx.ModelProto,
    features: pd.DataFrame,
    train: pd.DataFrame | None,
    workdir: Path,
    notes: list[str],
    say: Progress,
) -> list[tuple[Variant, onnx.ModelProto]]:
    out: list[tuple[Variant, onnx.ModelProto]] = []
    slim = slim_members(model.members)
    if slim is not None:
        say("building the slimmed ensemble")
        graph, _ = export_model(model, slim)
        kept = sum(len(m.models) for m in slim)
        total = sum(len(m.models) for m in model.members if m.weight > 0)
        out.append(
            (
                _variant(
                    "onnx-fp32-slim",
                    f"{kept} of {total} fold models (main members, 2 folds each)",
                    workdir,
                ),
                graph,
            )
        )
    if not neural_members(model.members):
        notes.append("no neural members: int8 quantization and pruning apply to the MLP only")
        return out
    say("quantizing (int8 dynamic)")
    out.append(
        (
            _variant(
                "onnx-int8-dynamic", "MLP MatMuls int8, activations quantized per batch", workdir
            ),
            quantize.quantize_dynamic(fp32),
        )
    )
    layout = GraphLayout(manifest["input_schema"])
    calibration = train if train is not None else features
    feeds = [
        layout.from_frame(calibration.iloc[i : i + 128][layout.columns])
        for i in range(0, min(len(calibration), 1024), 128)
    ]
    say("quantizing (int8 static, calibrated on training rows)")
    try:
        out.append(
            (
                _variant(
                    "onnx-int8-static", "MLP MatMuls int8, QDQ calibrated on training rows", workdir
                ),
                quantize.quantize_static(fp32, feeds),
            )
        )
    except Exception as exc:  # onnxruntime's calibrator raises plain exceptions
        notes.append(f"onnx-int8-static not built: {exc}")
    if train is None:
        notes.append("onnx-pruned not built: no training rows to fine-tune on")
        return out
    if not prunable_members(model.members):
        notes.append("onnx-pruned not built: no member's family takes pruning")
        return out
    say("pruning 50% of MLP weights and fine-tuning")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        rows = train[train[model.target_name].notna()]
        pruned = prune_model(
            model,
            rows.drop(columns=[model.target_name]),
            model.target.encode(rows[model.target_name]),
        )
    finally:
        torch.set_num_threads(threads)
    graph, _ = export_model(pruned)
    variant = _variant(
        "onnx-pruned", "MLP weights 50% magnitude-pruned, 2 epochs fine-tuned", workdir
    )
    variant.model = pruned
    out.append((variant, graph))
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


def _write_package(
    variant: Variant,
    graph: onnx.ModelProto,
    manifest: dict[str, Any],
    table: list[dict[str, Any]] | None,
) -> None:
    folder = variant.folder
    (folder / "onnx").mkdir(parents=True, exist_ok=True)
    if not (folder / ONNX).exists():
        onnx.save(graph, folder / ONNX)
    serving = {"onnx": ONNX}
    pruned = variant.model
    if pruned is not None and not (folder / NATIVE).exists():
        import pickle

        (folder / "native").mkdir(exist_ok=True)
        with (folder / NATIVE).open("wb") as fh:
            pickle.dump(pruned, fh, protocol=pickle.HIGHEST_PROTOCOL)
    if pruned is not None:
        serving["native"] = NATIVE
    out = copy.deepcopy(manifest)
    out["serving"] = serving
    out["variant"] = {
        "name": variant.name,
        "description": variant.description,
        "max_abs_diff": variant.max_abs_diff,
        "measurement": variant.measurement.to_dict() if variant.measurement else None,
    }
    if table is not None:
        out["optimization"] = table
    out["created_at"] = datetime.now(UTC).isoformat()
    (folder / MANIFEST).write_text(json.dumps(out, indent=1, default=_json_default))


def write_manifests(
    result: OptimizeResult, manifest: dict[str, Any], lineage_parent: dict[str, Any]
) -> None:
    """Final manifests for the variant packages: lineage to the parent and the measured table."""
    table = result.table()
    parent_manifest = copy.deepcopy(manifest)
    parent_manifest.setdefault("lineage", {})["parent"] = lineage_parent
    for variant in result.variants[1:]:
        _write_package(variant, onnx.ModelProto(), parent_manifest, table)


def _measure_all(
    result: OptimizeResult,
    model: TrainedModel,
    features: pd.DataFrame,
    y: Any,
    metric: Metric,
    workdir: Path,
    measure_memory: bool,
    seconds: float,
    say: Progress,
) -> None:
    rows = features.head(512)
    singles = [rows.iloc[[i]] for i in range(len(rows))]
    records = _records(rows)
    batch = batch_frame(features)
    batch_records = _records(batch)
    sample = workdir / "sample.parquet"
    batch.to_parquet(sample)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    baseline = math.nan
    try:
        for variant in result.variants:
            say(f"measuring {variant.name}")
            if variant.kind == "native":
                pred = model.predict_raw(features)
                p50, p99 = latency_ms(
                    lambda i: model.predict_raw(singles[i]), len(singles), seconds=seconds
                )
                rate = throughput(lambda: model.predict_raw(batch), BATCH, seconds=seconds)
                size = (variant.folder / NATIVE).stat().st_size
            else:
                predictor = OnnxPredictor.load(variant.folder, threads=1)
                pred = predictor.predict_raw(features)

                def one(i: int, p: OnnxPredictor = predictor) -> Any:
                    return p.predict_records([records[i]])

                def many(p: OnnxPredictor = predictor) -> Any:
                    return p.predict_records(batch_records)

                p50, p99 = latency_ms(one, len(records), seconds=seconds)
                rate = throughput(many, BATCH, seconds=seconds)
                size = (variant.folder / ONNX).stat().st_size
            value = metric.score(y, pred)
            if variant.kind == "native":
                baseline = value
            memory = (
                peak_memory_mib(variant.folder, variant.kind, sample) if measure_memory else None
            )
            variant.measurement = Measurement(
                p50, p99, rate, size, memory, value, metric_drop(metric, baseline, value)
            )
    finally:
        torch.set_num_threads(threads)


def _choose(result: OptimizeResult) -> None:
    measured = [v for v in result.variants if v.measurement is not None]
    for v in measured:
        assert v.measurement is not None
        v.eligible = (
            v.kind == "native" or v.measurement.metric_drop <= result.max_metric_drop + 1e-12
        )
        if not v.eligible:
            v.note = (v.note + "; " if v.note else "") + "over the accuracy budget"

    def costs(v: Variant) -> tuple[float, float, float, float]:
        m = v.measurement
        assert m is not None
        return (m.p50_ms, -m.throughput_rows_s, float(m.size_bytes), m.metric_drop)

    for v in measured:
        mine = costs(v)
        v.pareto = not any(
            all(a <= b for a, b in zip(costs(o), mine, strict=True)) and costs(o) != mine
            for o in measured
            if o is not v
        )
    key: Callable[[Variant], float] = {
        "latency": lambda v: v.measurement.p50_ms if v.measurement else np.inf,
        "throughput": lambda v: -v.measurement.throughput_rows_s if v.measurement else np.inf,
        "size": lambda v: float(v.measurement.size_bytes) if v.measurement else np.inf,
    }[result.objective]
    eligible = [v for v in measured if v.eligible]
    result.chosen = min(eligible, key=key).name if eligible else "native"


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return str(value)
