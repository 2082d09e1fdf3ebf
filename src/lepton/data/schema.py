"""Schema inference: what each column *is*, so profiling, cleaning and learning treat it right.

Kinds: numeric, categorical, boolean, datetime, text, image_path, audio_path, id. Inference looks at
values, not just dtypes (a column of "yes"/"no" strings is boolean, a column of unique
UUIDs is an id, long multi-word strings are text).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lepton.errors import DataError
from lepton.runtime.columns import parse_timestamps

KINDS = ("numeric", "categorical", "boolean", "datetime", "text", "image_path", "audio_path", "id")
# columns naming files the catalog copies into the version (and resolves on load)
FILE_KINDS = ("image_path", "audio_path")
BOOLEAN_WORDS = {"true", "false", "yes", "no", "t", "f", "y", "n"}
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".oga", ".opus", ".m4a")
_DATE_LIKE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}|^\d{1,2}/\d{1,2}/\d{2,4}|^\d{4}/\d{1,2}/\d{1,2}")
_ID_NAME = re.compile(r"(^|[_\W])(id|uuid|guid|key)$", re.IGNORECASE)
SAMPLE = 500
MIN_ROWS_FOR_ID = 20


@dataclass(frozen=True)
class ColumnSchema:
    name: str
    kind: str
    dtype: str
    nullable: bool
    n_unique: int
    note: str | None = None


@dataclass(frozen=True)
class Schema:
    columns: list[ColumnSchema]
    target: str | None = None
    _by_name: dict[str, ColumnSchema] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_name.update({c.name: c for c in self.columns})

    def column(self, name: str) -> ColumnSchema:
        if name not in self._by_name:
            raise DataError(unknown_column_message(name, list(self._by_name)))
        return self._by_name[name]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def kinds(self) -> dict[str, str]:
        return {c.name: c.kind for c in self.columns}

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "columns": [asdict(c) for c in self.columns]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Schema:
        return cls([ColumnSchema(**c) for c in data.get("columns", [])], data.get("target"))


def unknown_column_message(name: str, columns: list[str], *, what: str = "column") -> str:
    close = difflib.get_close_matches(name, columns, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    shown = ", ".join(columns[:30]) + (" …" if len(columns) > 30 else "")
    return f"unknown {what} {name!r}{hint} (columns: {shown})"


def infer_schema(frame: pd.DataFrame, target: str | None = None) -> Schema:
    """Infer every column's kind; an unknown ``target`` is an error naming close matches."""
    names = [str(c) for c in frame.columns]
    if target is not None and target not in names:
        raise DataError(unknown_column_message(target, names, what="target column"))
    columns = [_infer_column(str(name), frame[name]) for name in frame.columns]
    return Schema(columns, target)


def _infer_column(name: str, values: pd.Series) -> ColumnSchema:
    non_null = values.dropna()
    try:
        n_unique = int(non_null.nunique())
    except TypeError:  # unhashable cells
        n_unique = int(non_null.astype(str).nunique())
    kind, note = _kind(name, values, non_null, n_unique)
    return ColumnSchema(name, kind, str(values.dtype), bool(values.isna().any()), n_unique, note)


def _kind(
    name: str, values: pd.Series, non_null: pd.Series, n_unique: int
) -> tuple[str, str | None]:
    n = len(values)
    if pd.api.types.is_bool_dtype(values):
        return "boolean", None
    if pd.api.types.is_datetime64_any_dtype(values):
        return "datetime", None
    if isinstance(values.dtype, pd.CategoricalDtype):
        return "categorical", None
    if pd.api.types.is_numeric_dtype(values):
        if n_unique == 2 and set(np.unique(non_null.to_numpy())) <= {0, 1}:
            return "boolean", None
        if _looks_like_integer_id(name, values, non_null, n_unique):
            return "id", "unique integer per row"
        return "numeric", None
    if non_null.empty:
        return "categorical", "all values missing"
    sample = non_null.head(SAMPLE)
    if not all(isinstance(v, str) for v in sample):
        return "categorical", "mixed value types"
    text = sample.astype(str).str.strip()
    lowered = set(text.str.lower())
    if n_unique <= 2 and lowered <= BOOLEAN_WORDS:
        return "boolean", None
    if text.str.lower().str.endswith(IMAGE_SUFFIXES).mean() >= 0.9:
        return "image_path", None
    if text.str.lower().str.endswith(AUDIO_SUFFIXES).mean() >= 0.9:
        return "audio_path", None
    if text.str.match(_DATE_LIKE).mean() >= 0.9:
        parsed = parse_timestamps(text)
        if parsed.notna().mean() >= 0.9:
            return "datetime", "parsed from text"
    numeric_share = float(pd.to_numeric(text, errors="coerce").notna().mean())
    unique_share = n_unique / max(len(non_null), 1)
    words = float(text.map(lambda v: len(v.split())).mean())
    if unique_share > 0.5 and (text.str.len().mean() > 40 or words >= 5):
        return "text", None
    if n_unique == n and n >= MIN_ROWS_FOR_ID and words < 2:
        return "id", "unique value per row"
    if numeric_share >= 0.9:
        return "categorical", (
            f"{numeric_share:.0%} of values are numbers: coerce it to numeric in a cleaning recipe"
        )
    return "categorical", None


def _looks_like_integer_id(
    name: str, values: pd.Series, non_null: pd.Series, n_unique: int
) -> bool:
    if not pd.api.types.is_integer_dtype(values) or len(values) < MIN_ROWS_FOR_ID:
        return False
    if n_unique != len(values):
        return False
    if _ID_NAME.search(name):
        return True
    diffs = np.diff(non_null.to_numpy())
    return bool(len(diffs) and (diffs == 1).all())  # a row counter
