"""What a source reader returns, in a module of its own so every reader can share it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd


@dataclass
class SourceData:
    """What was read: the rows, the format it was read as, and the kind of data."""

    frame: pd.DataFrame
    format: str
    path: Path
    kind: str  # "table" | "images" | "text"
    scratch: Path | None = None  # a temporary folder the reader made; the caller removes it
