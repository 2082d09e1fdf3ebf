"""CoNLL / IOB files → one row per sentence: ``text`` (tokens joined by spaces) and spans.

The last column of each token line is the tag (IOB1, IOB2/BIO or BIOES/BILOU); blank lines
end a sentence and ``-DOCSTART-`` lines are skipped, as in the CoNLL-2003 files.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from lepton.errors import DataError


def read_conll(path: Path, text: str) -> pd.DataFrame:
    rows: list[dict[str, str]] = []
    tokens: list[str] = []
    tags: list[str] = []

    def flush(line_no: int) -> None:
        if tokens:
            rows.append(_sentence(tokens, tags, path, line_no))
            tokens.clear()
            tags.clear()

    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            flush(number)
            continue
        if stripped.startswith("-DOCSTART-"):  # ("#" lines are tokens: hashtags in tweets)
            flush(number)
            continue
        parts = stripped.split()
        if len(parts) < 2:
            raise DataError(f"{path}: line {number} needs a token and a tag ({stripped[:60]!r})")
        tokens.append(parts[0])
        tags.append(parts[-1])
    flush(len(text.splitlines()) + 1)
    if not rows:
        raise DataError(f"{path}: no tagged sentences found")
    return pd.DataFrame(rows, columns=["text", "entities"])


def _sentence(tokens: list[str], tags: list[str], path: Path, line_no: int) -> dict[str, str]:
    offsets, position = [], 0
    for token in tokens:
        offsets.append((position, position + len(token)))
        position += len(token) + 1
    spans: list[list[object]] = []
    start = label = None
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, name = tag.partition("-")
        if tag != "O" and (not name or prefix not in {"B", "I", "E", "S", "L", "U"}):
            raise DataError(f"{path}: sentence ending line {line_no}: bad tag {tag!r}")
        begins = prefix in {"B", "S", "U"} or (prefix in {"I", "E", "L"} and name != label)
        if start is not None and (tag == "O" or begins):
            spans.append([offsets[start][0], offsets[i - 1][1], str(label)])
            start = label = None
        if tag != "O" and start is None:
            start, label = i, name
        if prefix in {"E", "L", "S", "U"} and start is not None:
            spans.append([offsets[start][0], offsets[i][1], str(label)])
            start = label = None
    return {"text": " ".join(tokens), "entities": json.dumps(spans, ensure_ascii=False)}
