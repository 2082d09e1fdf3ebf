"""The optimization loop every model kind shares (no store involved).

Label the held-out rows, let the kind's ``VariantBuilder`` build its variants, write
each as a package folder (so it is measured exactly as it will be served and can be
published as is), measure native and every variant, and choose one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.errors import LeptonError
from lepton.learn.metrics import Metric, get_metric
from lepton.optimize.builders import builder_for
from lepton.optimize.choose import Candidate, check_objective, choose
from lepton.optimize.export import FP32_TOLERANCE
from lepton.optimize.measure import Measurement, metric_drop, one_torch_thread
from lepton.optimize.packages import write_variant_package
from lepton.optimize.protocol import (
    LabelsHeldout,
    Measure,
    MeasureOptions,
    NotesNative,
    Progress,
    VariantBuilder,
)
from lepton.optimize.result import OptimizeResult, Variant
from lepton.runtime.manifest import PackageManifest


def optimize_model(
    model: Any,
    manifest: PackageManifest,
    native_folder: Path,
    heldout: pd.DataFrame,
    workdir: Path,
    *,
    train: pd.DataFrame | None = None,
    max_metric_drop: float = 0.005,
    objective: str = "latency",
    tolerance: float = FP32_TOLERANCE,
    heldout_label: str | None = None,
    measure_memory: bool = True,
    measure_seconds: float = 1.5,
    on_progress: Progress | None = None,
    builder: VariantBuilder[Any, Any] | None = None,
) -> OptimizeResult:
    """Build every variant that applies, measure all of them with native, choose one.

    ``builder`` defaults to the package kind's (``builder_for``); ``heldout_label`` to
    "held-out rows" / "held-out images".
    """
    builder = builder or builder_for(manifest)
    label = builder.labelled_heldout if isinstance(builder, LabelsHeldout) else labelled_heldout
    heldout, y, metric = label(model, manifest, heldout, objective, builder.examples)
    say = on_progress or (lambda _msg: None)
    features = builder.features(model, heldout, say)
    native = Variant("native", builder.native_description, native_folder, "native")
    if isinstance(builder, NotesNative):
        native.note = builder.native_note(model)
    result = OptimizeResult(
        [native],
        "native",
        objective,
        max_metric_drop,
        metric.name,
        heldout_label or f"held-out {builder.examples}",
    )
    built = builder.build(model, manifest, features, train, workdir, tolerance, result.notes, say)
    for item in built:
        write_variant_package(item.variant, item.graph, manifest)
        result.variants.append(item.variant)
    options = MeasureOptions(seconds=measure_seconds, memory=measure_memory)
    measure = builder.measurer(model, features, workdir, options)
    _measure_all(result.variants, measure, y, metric, say)
    apply_choice(result)
    return result


def labelled_heldout(
    model: Any, manifest: PackageManifest, heldout: pd.DataFrame, objective: str, what: str
) -> tuple[pd.DataFrame, NDArray[np.int64], Metric]:
    """Check the request, keep the labelled held-out rows, and encode their labels."""
    check_objective(objective)
    target = model.target_name
    if target not in heldout.columns:
        raise LeptonError(f"held-out {what} have no target column {target!r}")
    heldout = heldout[heldout[target].notna()].reset_index(drop=True)
    if heldout.empty:
        raise LeptonError(f"no labelled held-out {what} to measure variants on")
    y = model.target.encode(heldout[target])
    metric = get_metric(manifest.cv_metric, model.task)
    return heldout, y, metric


def _measure_all(
    variants: list[Variant], measure: Measure, y: NDArray[Any], metric: Metric, say: Progress
) -> None:
    """Native first (it is the baseline of every metric drop), all on one torch thread."""
    baseline = float("nan")
    with one_torch_thread():
        for variant in variants:
            say(f"measuring {variant.name}")
            run = measure(variant)
            value = metric.score(y, run.predictions)
            if variant is variants[0]:  # the trained model itself
                baseline = value
            variant.measurement = Measurement(
                run.p50_ms,
                run.p99_ms,
                run.throughput_rows_s,
                run.size_bytes,
                run.peak_memory_mib,
                value,
                metric_drop(metric, baseline, value),
            )


def apply_choice(result: OptimizeResult) -> None:
    """Mark eligibility and the Pareto front on the measured variants; set the choice."""
    measured = [v for v in result.variants if v.measurement is not None]
    choice = choose([_candidate(v) for v in measured], result.objective, result.max_metric_drop)
    for v in measured:
        marks = choice.marks[v.name]
        v.eligible, v.pareto = marks.eligible, marks.pareto
        if marks.note:
            v.note = (v.note + "; " if v.note else "") + marks.note
    result.chosen = choice.chosen


def _candidate(variant: Variant) -> Candidate:
    m = variant.measurement
    assert m is not None
    return Candidate(
        variant.name, variant.kind, m.p50_ms, m.throughput_rows_s, m.size_bytes, m.metric_drop
    )
