from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lepton.data.sources import read_source
from lepton.errors import DataError


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


@pytest.mark.parametrize(
    ("fmt", "writer"),
    [
        ("csv", lambda f, p: f.to_csv(p, index=False)),
        ("tsv", lambda f, p: f.to_csv(p, index=False, sep="\t")),
        ("parquet", lambda f, p: f.to_parquet(p, index=False)),
        ("jsonl", lambda f, p: f.to_json(p, orient="records", lines=True)),
        ("json", lambda f, p: f.to_json(p, orient="records")),
        ("xlsx", lambda f, p: f.to_excel(p, index=False)),
    ],
)
def test_every_table_format_reads_back(tmp_path: Path, fmt: str, writer: object) -> None:
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    path = tmp_path / f"t.{fmt}"
    writer(frame, path)  # type: ignore[operator]
    source = read_source(path)
    assert source.format == fmt and source.kind == "table"
    pd.testing.assert_frame_equal(source.frame.reset_index(drop=True), frame, check_dtype=False)


def test_image_folder_becomes_paths_labels_sizes(image_folder: Path) -> None:
    source = read_source(image_folder)
    assert source.kind == "images" and len(source.frame) == 6
    assert set(source.frame["label"]) == {"cat", "dog"}
    assert all((image_folder / p).exists() for p in source.frame["image"])
    assert {"width", "height"} <= set(source.frame.columns)


def test_text_folder_and_text_lines(tmp_path: Path) -> None:
    for label in ("pos", "neg"):
        (tmp_path / "docs" / label).mkdir(parents=True)
        (tmp_path / "docs" / label / "1.txt").write_text(f"a {label} document")
    assert set(read_source(tmp_path / "docs").frame["label"]) == {"pos", "neg"}
    lines = read_source(_write(tmp_path, "l.txt", "first line\nsecond line\n")).frame
    assert len(lines) == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"a,b,c\n", "no data rows"),
        (b"a,b\n1,2\n3,4,5,6\n", "line 3"),
        (b'a,b\n1,"unterminated\n2,3\n', "quote"),
        ("a,b\ncaf\u00e9,1\n".encode("latin-1"), "encoding"),
    ],
)
def test_bad_csv_gets_one_clear_line(tmp_path: Path, content: bytes, message: str) -> None:
    with pytest.raises(DataError, match=message) as info:
        read_source(_write(tmp_path, "bad.csv", content))
    assert "\n" not in str(info.value)


def test_truncated_csv_is_refused(tmp_path: Path) -> None:
    full = "a,b,c\n" + "".join(f"{i},{i * 2},{i * 3}\n" for i in range(50))
    with pytest.raises(DataError, match="line 52"):
        read_source(_write(tmp_path, "cut.csv", full + "50,10"))


def test_wrong_encoding_can_be_overridden(tmp_path: Path) -> None:
    path = _write(tmp_path, "l1.csv", "a,b\ncaf\u00e9,1\n".encode("latin-1"))
    assert read_source(path, encoding="latin-1").frame.loc[0, "a"] == "caf\u00e9"


def test_folder_without_images_and_corrupt_image(tmp_path: Path, image_folder: Path) -> None:
    (tmp_path / "empty" / "cat").mkdir(parents=True)
    (tmp_path / "empty" / "cat" / "notes.md").write_text("nothing here")
    with pytest.raises(DataError, match="no images"):
        read_source(tmp_path / "empty", format="images")
    (image_folder / "cat" / "broken.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(DataError, match="corrupt"):
        read_source(image_folder)


def test_missing_path_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        read_source(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="unknown format"):
        read_source(_write(tmp_path, "x.csv", "a\n1\n"), format="sas7bdat")
