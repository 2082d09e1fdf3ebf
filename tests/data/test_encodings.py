"""UTF-16/UTF-32 files: read when a byte-order mark says so, the right hint when none does."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lepton.data.encodings import wide_encoding_hint
from lepton.data.sources import read_source
from lepton.errors import DataError

CSV = "a,b\n1,caf\u00e9\n2,x\n"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-8-sig"])
def test_a_file_with_a_byte_order_mark_is_read_in_its_encoding(
    tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(CSV.encode(encoding))
    frame = read_source(path).frame
    pd.testing.assert_frame_equal(frame, pd.DataFrame({"a": [1, 2], "b": ["caf\u00e9", "x"]}))


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_wide_text_without_a_mark_gets_the_right_hint(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(CSV.encode(encoding))
    with pytest.raises(DataError, match=f"pass --encoding {encoding}$") as info:
        read_source(path)
    assert "latin-1" not in str(info.value)
    assert read_source(path, encoding=encoding).frame.loc[0, "b"] == "caf\u00e9"


def test_single_byte_text_still_gets_the_latin_1_hint(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(CSV.encode("latin-1"))
    with pytest.raises(DataError, match="--encoding latin-1"):
        read_source(path)


@pytest.mark.parametrize("raw", [b"", b"a,b\n1,2\n", "na\u00efve,\u00e9t\u00e9\n".encode()])
def test_ordinary_text_is_not_taken_for_wide_text(raw: bytes) -> None:
    assert wide_encoding_hint(raw) is None
