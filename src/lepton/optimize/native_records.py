"""The one native measurement of kinds asked with request records (rules, NER).

Neither has a variant to build, so ``lepton optimize`` measures the native predictor:
its predictions on every record (the metric), single-record latency, batch throughput
and the package's size.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from lepton.optimize.measure import latency_ms, throughput
from lepton.optimize.protocol import VariantRun


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
