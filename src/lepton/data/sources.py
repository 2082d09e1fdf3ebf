"""Reading user files into DataFrames, with one clear line for every way they can be wrong.

Tables: CSV, TSV, Parquet, JSON Lines, JSON (records), Excel. Folders:
``root/<class>/<image>`` becomes a table of image paths (relative to ``root``),
labels and sizes; ``root/<class>/<file>.txt`` a table of texts and labels. A
single ``.txt`` file is one text per line. An ``.npz`` array file of images and
labels is written out as ``<class>/<n>.png`` files in a scratch folder and then read
exactly like an image folder, so both reach the catalog (and training) the same way.
A folder of audio clips (WAV, FLAC, MP3, Ogg, any depth) becomes a table of clip paths
with their duration and, where ``<clip>.txt`` sits beside a clip or a
``transcripts.csv`` (``file,transcript``) at the root, its transcript.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pandas as pd

from lepton.data.arrays import read_npz
from lepton.data.encodings import bom_encoding, wide_encoding_hint
from lepton.data.limits import (
    ReadLimits,
    check_field_sizes,
    check_line_lengths,
    csv_fields_unlimited,
)
from lepton.data.read import SourceData
from lepton.errors import DataError

TABLE_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".xlsx": "xlsx",
    ".txt": "text",
    ".conll": "conll",  # token-per-line NER files: one row per sentence (text, entities)
    ".iob": "conll",
    ".bio": "conll",
}
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"}
# 16/32-bit integer and float images: converting them to 8 bits would silently clip values
UNSUPPORTED_IMAGE_MODES = {"I", "F", "I;16", "I;16B", "I;16L", "I;16N"}
AUDIO_EXTENSIONS = {".wav", ".flac", ".mp3", ".ogg", ".oga", ".opus", ".m4a"}
TRANSCRIPTS_FILE = "transcripts.csv"
FORMATS = sorted(set(TABLE_FORMATS.values()) | {"images", "audio", "text-folder", "npz"})
# formats whose lines are scanned before loading
LINE_BASED = {"csv", "tsv", "jsonl", "text", "conll"}


def read_source(
    path: str | Path,
    *,
    format: str | None = None,
    encoding: str | None = None,
    limits: ReadLimits | None = None,
) -> SourceData:
    """Read ``path`` (a file or a folder) into a DataFrame, or raise one clear ``DataError``.

    ``limits`` bounds fields and lines (defaults: ``ReadLimits()``); a line-based file is
    scanned for an overlong line before it is loaded.
    """
    limits = limits or ReadLimits()
    source = Path(path).expanduser()
    if not source.exists():
        raise DataError(f"{source}: no such file or folder")
    if format is not None and format not in FORMATS:
        raise DataError(f"unknown format {format!r}; choose one of: {', '.join(FORMATS)}")
    if format == "npz" or (format is None and source.suffix.lower() == ".npz"):
        return read_npz(source)[0]
    if source.is_dir():
        fmt = format or _folder_format(source)
        if fmt == "audio":
            return SourceData(_read_audio_folder(source), fmt, source, "audio")
        frame = _read_images(source) if fmt == "images" else _read_text_folder(source)
        return SourceData(frame, fmt, source, "images" if fmt == "images" else "text")
    table_format = format or TABLE_FORMATS.get(source.suffix.lower())
    if table_format is None:
        raise DataError(
            f"{source}: unknown file type {source.suffix or '(none)'!r}; "
            f"use one of {', '.join(sorted(TABLE_FORMATS))} or pass --format"
        )
    if source.stat().st_size == 0:
        raise DataError(f"{source}: the file is empty")
    if table_format in LINE_BASED:
        check_line_lengths(source, limits.max_line_bytes)
    frame = _READERS[table_format](source, encoding, limits)
    if frame.shape[1] == 0:
        raise DataError(f"{source}: no columns found")
    if len(frame) == 0:
        raise DataError(f"{source}: has a header but no data rows")
    _check_column_names(source, frame)
    return SourceData(frame, table_format, source, "text" if table_format == "text" else "table")


def _check_column_names(source: Path, frame: pd.DataFrame) -> None:
    names = [str(c) for c in frame.columns]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DataError(f"{source}: duplicated column name(s): {', '.join(duplicates)}")
    if any(n.startswith("Unnamed: ") for n in names):
        raise DataError(f"{source}: a column has no name in the header; name every column")


def _decode(source: Path, encoding: str | None) -> str:
    """The file's text: ``encoding`` if given, else what a byte-order mark says, else UTF-8.

    UTF-16/32 without a mark is refused with the encoding to pass: ASCII in it is valid
    UTF-8 full of NULs, which would otherwise be read as garbage columns.
    """
    raw = source.read_bytes()
    named = encoding or bom_encoding(raw)
    if named is None and (wide := wide_encoding_hint(raw)) is not None:
        raise DataError(
            f"{source}: looks like {wide.upper()} text without a byte-order mark; "
            f"pass --encoding {wide}"
        )
    candidate = named or "utf-8-sig"
    try:
        return raw.decode(candidate)
    except UnicodeDecodeError as exc:
        bad = raw[exc.start : exc.start + 1].hex()
        raise DataError(
            f"{source}: not valid {candidate} (byte 0x{bad} at offset {exc.start}); "
            "re-save it as UTF-8 or pass --encoding latin-1 (or the encoding it was saved in)"
        ) from None
    except LookupError:
        raise DataError(f"unknown encoding {candidate!r}") from None


def _read_delimited(
    source: Path, encoding: str | None, sep: str, limits: ReadLimits
) -> pd.DataFrame:
    text = _decode(source, encoding)
    if not text.strip():
        raise DataError(f"{source}: the file is empty")
    with csv_fields_unlimited():  # our own field limit applies, with the line and column
        _check_quotes(source, text)
        _check_rows(source, text, sep, limits.max_field_chars)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, on_bad_lines="error", low_memory=False)
    except pd.errors.ParserError as exc:
        raise DataError(
            f"{source}: malformed {'TSV' if sep == chr(9) else 'CSV'}: {_first_line(exc)}"
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{source}: the file is empty") from None
    return frame


def _check_quotes(source: Path, text: str) -> None:
    """An unterminated quote swallows the rest of the file silently in most parsers; catch it."""
    if text.count('"') % 2 == 0:
        return
    reader = csv.reader(io.StringIO(text))
    line = 1
    try:
        for _ in reader:
            line = reader.line_num
    except csv.Error:
        pass
    raise DataError(
        f"{source}: unterminated quote starting near line {line}; the file looks truncated "
        "or a field contains a stray '\"'"
    )


def _check_rows(source: Path, text: str, sep: str, max_field_chars: int) -> None:
    """Fields over the limit, and rows with fewer fields than the header (a truncated file)
    that would silently become NaN."""
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    header = next(reader, [])
    check_field_sizes(source, header, header, 1, max_field_chars)
    start = reader.line_num + 1
    for row in reader:
        check_field_sizes(source, row, header, start, max_field_chars)
        start = reader.line_num + 1
        if row and len(row) != len(header):
            raise DataError(
                f"{source}: line {reader.line_num} has {len(row)} fields, the header has "
                f"{len(header)}; the file is malformed or truncated"
            )


def _read_csv(source: Path, encoding: str | None, limits: ReadLimits) -> pd.DataFrame:
    return _read_delimited(source, encoding, ",", limits)


def _read_tsv(source: Path, encoding: str | None, limits: ReadLimits) -> pd.DataFrame:
    return _read_delimited(source, encoding, "\t", limits)


def _read_parquet(source: Path, encoding: str | None, limits: ReadLimits) -> pd.DataFrame:
    try:
        return pd.read_parquet(source)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise DataError(f"{source}: not a readable Parquet file ({_first_line(exc)})") from None


def _read_jsonl(source: Path, encoding: str | None, limits: ReadLimits) -> pd.DataFrame:
    rows = []
    for number, line in enumerate(_decode(source, encoding).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{source}: line {number} is not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise DataError(f"{source}: line {number} is not a JSON object")
        rows.append({k: _nested_as_json(v) for k, v in row.items()})
    if not rows:
        raise DataError(f"{source}: no JSON records found")
    return pd.DataFrame.from_records(rows)


def _nested_as_json(value: Any) -> Any:
    """Lists and objects in a cell (NER spans, say) are kept as their JSON text: a column
    of mixed nested values has no Parquet type, and JSON text loses nothing."""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _read_conll(source: Path, encoding: str | None, limits: ReadLimits) -> pd.DataFrame:
    from lepton.data.conll import read_conll

    return read_conll(source, _decode(source, encoding))


def _read_json(source: Path, encoding: str | None, limits: ReadLimits) -> pd.DataFrame:
    try:
        doc = json.loads(_decode(source, encoding))
    except json.JSONDecodeError as exc:
        raise DataError(f"{source}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if isinstance(doc, dict):
        doc = doc.get("data", doc.get("records", [doc]))
    if not isinstance(doc, list) or not all(isinstance(r, dict) for r in doc):
        raise DataError(f"{source}: expected a JSON list of records (objects)")
    return pd.DataFrame.from_records(doc)


def _read_xlsx(source: Path, encoding: str | None, limits: ReadLimits) -> pd.DataFrame:
    try:
        return pd.read_excel(source, engine="openpyxl")
    except Exception as exc:
        raise DataError(f"{source}: not a readable Excel workbook ({_first_line(exc)})") from None


def _read_text_lines(source: Path, encoding: str | None, limits: ReadLimits) -> pd.DataFrame:
    lines = [line for line in _decode(source, encoding).splitlines() if line.strip()]
    if not lines:
        raise DataError(f"{source}: the file has no text lines")
    return pd.DataFrame({"text": lines})


_READERS = {
    "csv": _read_csv,
    "tsv": _read_tsv,
    "parquet": _read_parquet,
    "jsonl": _read_jsonl,
    "conll": _read_conll,
    "json": _read_json,
    "xlsx": _read_xlsx,
    "text": _read_text_lines,
}


def _folder_format(root: Path) -> str:
    files = [p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")]
    if any(p.suffix.lower() in IMAGE_EXTENSIONS for p in files):
        return "images"
    if any(p.suffix.lower() in AUDIO_EXTENSIONS for p in files):
        return "audio"
    if any(p.suffix.lower() == ".txt" for p in files):
        return "text-folder"
    raise DataError(
        f"{root}: no images ({', '.join(sorted(IMAGE_EXTENSIONS))}), audio clips "
        f"({', '.join(sorted(AUDIO_EXTENSIONS))}) or .txt files found; "
        "organise images as class/file.png"
    )


def _read_images(root: Path) -> pd.DataFrame:
    from PIL import Image, UnidentifiedImageError

    rows = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in IMAGE_EXTENSIONS:
            continue
        rel = path.relative_to(root)
        if len(rel.parts) < 2:
            raise DataError(f"{path}: images must sit in a class folder (root/<class>/{rel.name})")
        try:
            with Image.open(path) as image:
                image.load()  # decode fully: truncated files fail here, not at training time
                width, height, mode = image.width, image.height, image.mode
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise DataError(f"{path}: corrupt or unreadable image ({_first_line(exc)})") from None
        if mode in UNSUPPORTED_IMAGE_MODES:
            raise DataError(
                f"{path}: image mode {mode} (16/32-bit) is not supported; "
                "save it as 8-bit grayscale or RGB"
            )
        rows.append(
            {
                "image": rel.as_posix(),
                "label": rel.parts[0],
                "width": width,
                "height": height,
                "mode": mode,
            }
        )
    if not rows:
        raise DataError(f"{root}: no images found; organise them as class/file.png")
    return pd.DataFrame(rows)


def _read_audio_folder(root: Path) -> pd.DataFrame:
    """Every clip, decoded once so a corrupt file fails here, not at training time."""
    from lepton.runtime.audio import AudioError, decode

    listed = _listed_transcripts(root)
    rows = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in AUDIO_EXTENSIONS:
            continue
        rel = path.relative_to(root).as_posix()
        try:
            samples = decode(path, max_seconds=3600.0, field="audio")
        except AudioError as exc:
            raise DataError(f"{path}: {exc.message}") from None
        beside = path.with_suffix(".txt")
        transcript = listed.get(rel)
        if transcript is None and beside.is_file():
            transcript = " ".join(_decode(beside, None).split())
        rows.append(
            {"audio": rel, "duration_s": round(len(samples) / 16_000, 3), "transcript": transcript}
        )
    if not rows:
        raise DataError(f"{root}: no audio clips ({', '.join(sorted(AUDIO_EXTENSIONS))}) found")
    frame = pd.DataFrame(rows)
    if frame["transcript"].isna().all():
        frame = frame.drop(columns="transcript")  # unscored: the default engine is served
    elif frame["transcript"].isna().any():
        missing = frame.loc[frame["transcript"].isna(), "audio"].iloc[0]
        raise DataError(
            f"{root}: {int(frame['transcript'].isna().sum())} clips have a transcript file and "
            f"others do not (first without: {missing}); give every clip one, or none"
        )
    return frame


def _listed_transcripts(root: Path) -> dict[str, str]:
    listing = root / TRANSCRIPTS_FILE
    if not listing.is_file():
        return {}
    table = pd.read_csv(listing, dtype=str, keep_default_na=False)
    if not {"file", "transcript"} <= set(table.columns):
        raise DataError(f"{listing}: needs the columns file,transcript")
    pairs = zip(table["file"], table["transcript"], strict=True)
    return {str(f): " ".join(str(t).split()) for f, t in pairs}


def _read_text_folder(root: Path) -> pd.DataFrame:
    rows = []
    for path in sorted(root.rglob("*.txt")):
        rel = path.relative_to(root)
        if len(rel.parts) < 2:
            raise DataError(
                f"{path}: text files must sit in a class folder (root/<class>/{rel.name})"
            )
        rows.append({"text": _decode(path, None), "label": rel.parts[0]})
    if not rows:
        raise DataError(f"{root}: no .txt files found; organise them as class/file.txt")
    return pd.DataFrame(rows)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
