"""BentoML peer: the same model behind a batchable API (adaptive batching on).

Run from benchmarks/.venv-serve-bentoml:
``BENCH_PACKAGE=DIR bentoml serve bentoml_service:AdultModel --port PORT``.
"""

from __future__ import annotations

import os
from typing import Any

import bentoml
import pandas as pd

from lepton.runtime.native import NativePredictor


@bentoml.service(workers=1, threads=1)
class AdultModel:
    def __init__(self) -> None:
        self.predictor = NativePredictor.load(os.environ["BENCH_PACKAGE"], trust=True)

    @bentoml.api(route="/healthz")
    def healthz(self) -> dict[str, str]:
        return {"status": "ok"}

    @bentoml.api(batchable=True, max_batch_size=256, max_latency_ms=1000)
    def predict(self, records: list[dict[str, Any]]) -> list[list[float]]:
        frame = pd.DataFrame.from_records(records)
        return self.predictor.predict_proba(frame).to_numpy().tolist()
