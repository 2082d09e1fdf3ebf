"""``lepton data add`` on oversized or wide-encoded input: one line, non-zero, nothing stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CliRunner


def _stored(home: Path) -> list[Path]:
    artifacts = home / "artifacts"
    return [p for p in artifacts.rglob("*") if p.is_file()] if artifacts.exists() else []


@pytest.mark.parametrize(
    ("content", "options", "message"),
    [
        (b"a,b\n1," + b"x" * 5_000 + b"\n", ["--max-field-size", "4k"], "line 2, column 'b'"),
        (b"a,b\n1,2\n" + b"3," * 40_000 + b"\n", ["--max-line-size", "64k"], "line 3 is longer"),
        ("a,b\n1,2\n".encode("utf-16-le"), [], "pass --encoding utf-16-le"),
        (b"a,b\n1,2\n", ["--max-field-size", "lots"], "not a size: 'lots'"),
    ],
)
def test_refused_input_is_one_line_and_stores_nothing(
    cli: CliRunner,
    lepton_home: Path,
    tmp_path: Path,
    content: bytes,
    options: list[str],
    message: str,
) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    result = cli("data", "add", str(path), "--name", "big", *options)
    assert result.code != 0
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err
    assert "big" not in cli("data", "list").out
    assert _stored(lepton_home) == []


def test_a_raised_field_limit_lets_a_big_field_in(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(b"a,b\n1," + b"x" * 5_000 + b"\n2,y\n")
    assert cli("data", "add", str(path), "--name", "big", "--max-field-size", "4k").code != 0
    added = cli("data", "add", str(path), "--name", "big", "--max-field-size", "8k")
    assert added.code == 0 and "big@1" in added.out
