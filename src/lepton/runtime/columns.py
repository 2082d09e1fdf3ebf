"""Column values as the models read them: booleans and date parts, shared by training and serving.

Why here: the feature encoder (training) and the ONNX graph layout (serving) must turn
"yes" and "2024-05-01" into exactly the same numbers, so both call these functions.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from numpy.typing import NDArray

DATETIME_PARTS = ("year", "month", "day", "dayofweek", "hour", "epoch_days")
TRUE_TEXTS = frozenset({"true", "yes", "1", "y", "t"})
FALSE_TEXTS = frozenset({"false", "no", "0", "n", "f"})

F32 = NDArray[np.float32]


def booleans(values: pd.Series) -> F32:
    """1.0 / 0.0 for the usual spellings of true and false, NaN for anything else."""
    mapping = dict.fromkeys(TRUE_TEXTS, 1.0) | dict.fromkeys(FALSE_TEXTS, 0.0)
    text = values.astype("string").str.strip().str.lower()
    return text.map(mapping).astype("float32").to_numpy(na_value=np.nan)


MIXED_CHECK_ROWS = 2_000  # how many values show whether one format fits them all


def parse_timestamps(values: pd.Series, *, utc: bool = False) -> pd.Series:
    """Timestamps from text or datetimes, NaT where a value does not parse.

    Why not ``format="mixed"`` always: it parses each value on its own (dateutil), about
    30 s for 200k values, where one format inferred from the first value is vectorised
    (0.1 s). The inferred format is kept unless it fails on values that the per-value
    parser reads, checked on a sample; only genuinely mixed columns pay for the slow path.
    """
    with warnings.catch_warnings():  # "could not infer format": then it parsed per value
        warnings.simplefilter("ignore", UserWarning)
        one_format = pd.to_datetime(values, errors="coerce", utc=utc)
    failed = one_format.isna() & values.notna()
    if not failed.any():
        return one_format
    sample = values[failed].head(MIXED_CHECK_ROWS)
    if pd.to_datetime(sample, errors="coerce", format="mixed", utc=utc).notna().any():
        return pd.to_datetime(values, errors="coerce", format="mixed", utc=utc)
    return one_format


def date_parts(values: pd.Series) -> F32:
    """``DATETIME_PARTS`` of each timestamp (UTC), NaN where it does not parse."""
    stamps = pd.to_datetime(values, errors="coerce", utc=True)
    epoch = (stamps - pd.Timestamp(0, tz="UTC")).dt.total_seconds() / 86400.0
    columns: list[pd.Series] = [
        stamps.dt.year,
        stamps.dt.month,
        stamps.dt.day,
        stamps.dt.dayofweek,
        stamps.dt.hour,
        epoch,
    ]
    return np.column_stack([c.astype("float64").to_numpy(na_value=np.nan) for c in columns]).astype(
        np.float32
    )
