"""Size guards for reading user files: refuse a pathological input before it is loaded.

Why: Python's csv module stops at a 131,072-character field with a bare ``_csv.Error``
(a 75-line traceback on the CLI), and a 200 MB single line was read whole (1.3 GB RSS)
before anything could complain. The line scan here reads in fixed chunks, so memory
stays bounded whatever the file holds; the field limit is ours, so its error can name
the line and the column.
"""

from __future__ import annotations

import csv
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lepton.errors import DataError

MIB = 1024 * 1024
DEFAULT_MAX_FIELD_CHARS = 1 * MIB
DEFAULT_MAX_LINE_BYTES = 32 * MIB
CHUNK_BYTES = 1 * MIB
_CSV_UNLIMITED = 2**31 - 1  # a C long everywhere; our own check is the real limit
_csv_limit_lock = threading.Lock()
_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]i?b?)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ReadLimits:
    """The largest field (characters) and line (bytes) a delimited or line-based file may hold."""

    max_field_chars: int = DEFAULT_MAX_FIELD_CHARS
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES

    @classmethod
    def parse(cls, max_field: str | None = None, max_line: str | None = None) -> ReadLimits:
        """From sizes as typed on the command line (``"4MiB"``); None keeps the default."""
        return cls(
            parse_size(max_field) if max_field else DEFAULT_MAX_FIELD_CHARS,
            parse_size(max_line) if max_line else DEFAULT_MAX_LINE_BYTES,
        )

    def __post_init__(self) -> None:
        for name in ("max_field_chars", "max_line_bytes"):
            if getattr(self, name) < 1:
                raise DataError(f"{name} must be a positive size, got {getattr(self, name)}")


def parse_size(text: str) -> int:
    """``"1048576"``, ``"512k"``, ``"8MiB"``, ``"1G"`` → a count (powers of 1024)."""
    match = _SIZE.match(text)
    if match is None:
        raise DataError(f"not a size: {text!r}; use a number, optionally with k, M or G")
    unit = (match.group(2) or "").lower()[:1]
    return int(match.group(1)) * {"": 1, "k": 1024, "m": MIB, "g": 1024 * MIB}[unit]


def check_line_lengths(source: Path, max_line_bytes: int) -> None:
    """Refuse a file with a line longer than ``max_line_bytes``, reading it in bounded chunks.

    A chunk is never larger than the limit, so a line inside one chunk cannot exceed it:
    only the run of bytes across chunk edges needs counting.
    """
    chunk_size = min(CHUNK_BYTES, max_line_bytes)
    newlines = 0
    current = 0  # bytes of the line being read, so far
    with source.open("rb") as fh:
        while chunk := fh.read(chunk_size):
            first = chunk.find(b"\n")
            if first < 0:
                current += len(chunk)
            else:
                current += first
            if current > max_line_bytes:
                raise DataError(
                    f"{source}: line {newlines + 1:,} is longer than {max_line_bytes:,} bytes; "
                    "is it really a line-based file? If so, raise --max-line-size"
                )
            if first >= 0:
                newlines += chunk.count(b"\n")
                current = len(chunk) - chunk.rfind(b"\n") - 1


def check_field_sizes(
    source: Path, row: list[str], header: list[str], line: int, max_field_chars: int
) -> None:
    """One clear line naming the line and column of a field over ``max_field_chars``."""
    if max(map(len, row), default=0) <= max_field_chars:
        return  # the common case, at C speed: no per-field Python loop
    for index, value in enumerate(row):
        if len(value) > max_field_chars:
            name = header[index] if index < len(header) else f"#{index + 1}"
            shown = name if len(name) <= 40 else f"{name[:40]}…"
            raise DataError(
                f"{source}: line {line:,}, column {shown!r}: a field of {len(value):,} characters "
                f"is over the {max_field_chars:,}-character limit; raise --max-field-size if "
                "such fields are expected"
            )


@contextmanager
def csv_fields_unlimited() -> Iterator[None]:
    """Lift the csv module's process-wide field limit while our own check applies.

    The csv limit is global state: it is restored afterwards, under a lock so two readers
    in threads cannot restore it under each other.
    """
    with _csv_limit_lock:
        previous = csv.field_size_limit(_CSV_UNLIMITED)
        try:
            yield
        finally:
            csv.field_size_limit(previous)
