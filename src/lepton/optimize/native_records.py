"""The optimizer of kinds asked with request records and no graph to export (rules, NER).

Neither has a variant to build, so ``lepton optimize`` measures the native predictor:
its predictions on every record (the metric), single-record latency, batch throughput
and the package's size, and the notes say why no ONNX variant was built.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from lepton.optimize.measure import latency_ms, throughput
from lepton.optimize.protocol import BuiltVariant, Measure, MeasureOptions, Progress, VariantRun
from lepton.optimize.result import Variant
from lepton.runtime.manifest import NATIVE, PackageManifest


def native_records_run(
    predict_records: Callable[[list[Any]], Any],
    features: list[Any],
    package: Path,
    *,
    seconds: float,
    batch: int,
    max_calls: int,
) -> VariantRun:
    """The one native measurement of kinds asked with request records (rules, NER): the
    predictions on every record, single-record latency, batch throughput, package size."""
    rows = features[:batch]
    pred = predict_records(features)
    p50, p99 = latency_ms(
        lambda i: predict_records([rows[i]]), len(rows), seconds=seconds, max_calls=max_calls
    )
    rate = throughput(lambda: predict_records(rows), len(rows), seconds=seconds)
    return VariantRun(pred, p50, p99, rate, package.stat().st_size if package.is_file() else 0)


class NativeRecordsBuilder:
    """A ``VariantBuilder`` that builds nothing and measures native; subclasses give
    ``labelled_heldout``, ``examples``, ``native_description`` and ``reason``."""

    reason: str  # why there is no ONNX graph
    batch = 256
    max_calls = 500

    def features(self, model: Any, heldout: pd.DataFrame, say: Progress) -> list[Any]:
        return list(heldout.to_dict("records"))

    def build(
        self,
        model: Any,
        manifest: PackageManifest,
        features: list[Any],
        train: pd.DataFrame | None,
        workdir: Path,
        tolerance: float,
        notes: list[str],
        say: Progress,
    ) -> list[BuiltVariant]:
        notes.append(f"onnx-fp32 not built: {self.reason}")
        return []

    def measurer(
        self, model: Any, features: list[Any], workdir: Path, options: MeasureOptions
    ) -> Measure:
        def measure(variant: Variant) -> VariantRun:
            return native_records_run(
                model.predict_records,
                features,
                variant.folder / NATIVE,
                seconds=options.seconds,
                batch=self.batch,
                max_calls=self.max_calls,
            )

        return measure
