"""The columns a batch prediction adds to a table, decided once for every way of scoring.

``lepton predict`` on this machine and on a Ray cluster write the same columns: the
prediction (``<target>_predicted``), one ``p_<label>`` per class where the model gives
probabilities, or one column per named value (anomaly: ``score``, ``is_anomaly``).
"""

from __future__ import annotations

import pandas as pd

from lepton.runtime.native import NativePredictor

TABLE_OUTPUTS = ("value", "class", "spans")


def prediction_columns(predictor: NativePredictor, frame: pd.DataFrame) -> pd.DataFrame:
    """The predicted columns for ``frame``'s rows, in its row order (a fresh 0..n-1 index)."""
    schema = predictor.manifest.output_schema
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    if schema.type not in TABLE_OUTPUTS:
        raw = predictor.predict_raw(frame)
        for j, label in enumerate(schema.labels):
            out[str(label)] = raw[:, j]
        return out
    out[f"{predictor.manifest.target}_predicted"] = predictor.predict(frame).to_numpy()
    if schema.probabilities:  # a kind's predict() need not be the argmax of these
        proba = predictor.predict_proba(frame)
        for label in proba.columns:
            out[f"p_{label}"] = proba[label].to_numpy()
    return out
