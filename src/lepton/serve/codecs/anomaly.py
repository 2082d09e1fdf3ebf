"""Anomaly models read tables like any tabular model and answer a score and flag per row."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from lepton.serve.codecs.tabular import TabularCodec


class AnomalyCodec(TabularCodec):
    """JSON records / columns, CSV, Parquet in; ``[{score, is_anomaly}]`` out."""

    values = True  # logged as out_prediction (the score) and out_is_anomaly

    def encode(self, outputs: NDArray[Any], labels: list[Any] | None) -> dict[str, Any]:
        values = np.asarray(outputs, dtype=float).reshape(-1, 2)
        return {
            "predictions": [
                {"score": round(float(s), 6), "is_anomaly": bool(f)} for s, f in values
            ],
        }
