"""Entity span annotations: parse, validate and normalise ``[[start, end, label], …]``.

Why strict: a span that overlaps another or runs past its text cannot be learnt (spaCy
drops it silently, so the model trains on less than the user thinks). Every problem is a
``DataError`` naming the row and the field, before anything is trained or registered.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lepton.errors import DataError


@dataclass(frozen=True, order=True)
class Span:
    start: int
    end: int
    label: str

    def to_list(self) -> list[Any]:
        return [self.start, self.end, self.label]


def parse_spans(value: Any, text: str, *, row: int, field: str = "entities") -> list[Span]:
    """One row's annotations (a list, or its JSON text) as sorted, checked ``Span``s."""
    if value is None or (isinstance(value, float) and value != value):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except json.JSONDecodeError as exc:
            raise DataError(
                f"row {row}: {field} is not JSON [[start, end, label], …] ({exc.msg})",
                field=field,
            ) from None
    if hasattr(value, "tolist"):  # a numpy array out of Parquet
        value = value.tolist()
    if not isinstance(value, list | tuple):
        raise DataError(f"row {row}: {field} must be a list of [start, end, label]", field=field)
    spans = [_span(item, text, row=row, field=field) for item in value]
    spans.sort()
    for before, after in itertools.pairwise(spans):
        if after.start < before.end:
            raise DataError(
                f"row {row}: {field} overlap: {before.to_list()} and {after.to_list()} "
                "(entities must not overlap)",
                field=field,
            )
    return spans


def _span(item: Any, text: str, *, row: int, field: str) -> Span:
    if hasattr(item, "tolist"):
        item = item.tolist()
    if isinstance(item, dict):
        item = [item.get("start"), item.get("end"), item.get("label")]
    if not isinstance(item, list | tuple) or len(item) != 3:
        raise DataError(f"row {row}: {field} item {item!r} is not [start, end, label]", field=field)
    start, end, label = item
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in (start, end)):
        raise DataError(f"row {row}: {field} offsets must be integers, got {item!r}", field=field)
    if not isinstance(label, str) or not label.strip():
        raise DataError(f"row {row}: {field} label must be a non-empty string", field=field)
    if not 0 <= start < end <= len(text):
        raise DataError(
            f"row {row}: {field} span {item!r} is out of range for a text of {len(text)} "
            "characters (need 0 <= start < end <= length)",
            field=field,
        )
    if not text[start:end].strip():
        raise DataError(f"row {row}: {field} span {item!r} covers only whitespace", field=field)
    return Span(start, end, label.strip())


def dumps(spans: Iterable[Span]) -> str:
    return json.dumps([s.to_list() for s in spans], ensure_ascii=False)
