"""Content hashes of tables: the identity of a dataset version."""

from __future__ import annotations

import hashlib

import pandas as pd


def frame_content_hash(frame: pd.DataFrame) -> str:
    """SHA-256 over column names, dtypes and every cell, independent of the index."""
    digest = hashlib.sha256()
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    try:
        hashed = pd.util.hash_pandas_object(frame, index=False)
    except TypeError:  # unhashable cells (lists/dicts from JSON): hash their text form
        hashed = pd.util.hash_pandas_object(frame.astype(str), index=False)
    digest.update(hashed.to_numpy().tobytes())
    return digest.hexdigest()
