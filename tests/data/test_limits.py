"""Size guards on reading: big fields read or get one clear line, overlong lines fail early."""

from __future__ import annotations

import csv
import tracemalloc
from pathlib import Path

import pytest

from lepton.data.limits import DEFAULT_MAX_FIELD_CHARS, MIB, ReadLimits, parse_size
from lepton.data.sources import read_source
from lepton.errors import DataError


def _write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


@pytest.mark.parametrize("suffix", ["csv", "tsv"])
def test_a_field_over_the_csv_modules_131072_limit_reads(tmp_path: Path, suffix: str) -> None:
    sep = "," if suffix == "csv" else "\t"
    path = _write(tmp_path, f"big.{suffix}", f"a{sep}b\n1{sep}{'x' * 200_000}\n2{sep}y\n")
    frame = read_source(path).frame
    assert len(frame.loc[0, "b"]) == 200_000


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ("a,b\n1,2\n3," + "x" * 2_000 + "\n", "line 3, column 'b'"),
        ('a,b\n1,2\n3,"' + "x\n" * 1_000 + '"\n', "line 3, column 'b'"),  # one quoted field
        ("a," + "h" * 2_000 + "\n1,2\n", "line 1, column 'hhhh"),  # a header cell
    ],
)
def test_a_field_over_the_limit_names_its_line_and_column(
    tmp_path: Path, content: str, where: str
) -> None:
    with pytest.raises(DataError, match=where) as info:
        read_source(_write(tmp_path, "f.csv", content), limits=ReadLimits(max_field_chars=1_000))
    message = str(info.value)
    assert "\n" not in message and "--max-field-size" in message and "1,000" in message


def test_the_default_field_limit_refuses_a_field_over_one_mib(tmp_path: Path) -> None:
    path = _write(tmp_path, "f.csv", "a,b\n1," + "x" * (DEFAULT_MAX_FIELD_CHARS + 1) + "\n")
    with pytest.raises(DataError, match="line 2, column 'b'"):
        read_source(path)
    assert read_source(path, limits=ReadLimits(max_field_chars=2 * MIB)).frame.shape == (1, 2)


@pytest.mark.parametrize("suffix", ["csv", "jsonl", "txt"])
def test_an_overlong_line_fails_before_the_file_is_loaded(tmp_path: Path, suffix: str) -> None:
    path = _write(tmp_path, f"long.{suffix}", b"a\n" + b"x" * (4 * MIB) + b"\n")
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match="line 2 is longer than 65,536 bytes") as info:
            read_source(path, limits=ReadLimits(max_line_bytes=64 * 1024))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < MIB  # read in bounded chunks, never the 4 MiB line
    assert "--max-line-size" in str(info.value)


def test_a_line_just_within_the_limit_is_read(tmp_path: Path) -> None:
    path = _write(tmp_path, "ok.csv", "a\n" + "x" * 999 + "\n" + "y" * 999 + "\n")
    assert len(read_source(path, limits=ReadLimits(max_line_bytes=1_000)).frame) == 2


def test_reading_leaves_the_csv_modules_limit_as_it_was(tmp_path: Path) -> None:
    before = csv.field_size_limit()
    read_source(_write(tmp_path, "t.csv", "a,b\n1,2\n"))
    with pytest.raises(DataError):
        read_source(_write(tmp_path, "f.csv", "a\n" + "x" * 50 + "\n"), limits=ReadLimits(10))
    assert csv.field_size_limit() == before


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1048576", MIB),
        ("512k", 512 * 1024),
        ("8MiB", 8 * MIB),
        ("1G", 1024 * MIB),
        ("4 mb", 4 * MIB),
    ],
)
def test_sizes_parse(text: str, value: int) -> None:
    assert parse_size(text) == value


@pytest.mark.parametrize("text", ["", "lots", "-1", "1.5M", "3T"])
def test_a_bad_size_is_one_clear_line(text: str) -> None:
    with pytest.raises(DataError, match="not a size"):
        parse_size(text)


def test_a_non_positive_limit_is_refused() -> None:
    with pytest.raises(DataError, match="max_line_bytes must be a positive size"):
        ReadLimits(max_line_bytes=0)
