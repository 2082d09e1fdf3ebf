"""Append-only logs as immutable Parquet parts in a local folder.

Each append is a new file written under a temporary name and renamed into place, so a
reader (DuckDB, pandas) never sees half a file and a crash never corrupts earlier parts.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd


def write_part(folder: Path, frame: pd.DataFrame, *, tag: str | None = None) -> Path:
    """Write one part under ``folder/date=YYYY-MM-DD/``; returns its path.

    ``tag`` (unique per part and folder) replaces the random suffix of the name.
    """
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    target = folder / f"date={day}"
    target.mkdir(parents=True, exist_ok=True)
    name = f"part-{int(time.time() * 1000)}-{tag or uuid.uuid4().hex[:8]}.parquet"
    tmp = target / f".{name}.tmp"
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, target / name)
    return target / name
