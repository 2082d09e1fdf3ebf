"""Lepton AI SDK Photon peer (leptonai==0.27.3): the same model with Photon's batching.

Run from benchmarks/.venv-serve-leptonai: ``python photon_service.py PACKAGE_DIR PORT``.
Photon batches handler calls: a batched handler receives one list entry per request.
"""

from __future__ import annotations

import sys
from typing import Any

import pandas as pd
from leptonai.photon import Photon

from lepton.runtime.native import NativePredictor


class AdultPhoton(Photon):
    def init(self) -> None:
        self.predictor = NativePredictor.load(sys.argv[1], trust=True)

    @Photon.handler("predict", max_batch_size=256, max_wait_time=0.01)
    def predict(self, records: list[dict[str, Any]]) -> list[list[float]]:
        per_request: list[list[dict[str, Any]]] = records  # type: ignore[assignment]
        flat = [row for rows in per_request for row in rows]
        probs = self.predictor.predict_proba(pd.DataFrame.from_records(flat)).to_numpy()
        out, start = [], 0
        for rows in per_request:
            out.append(probs[start : start + len(rows)].tolist())
            start += len(rows)
        return out


if __name__ == "__main__":
    AdultPhoton(name="adult").launch(host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
