"""Tables stay whole when the CLI's output goes to a pipe or a log, not a terminal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from lepton.cli.console import PIPED_WIDTH, FoldTableCells, piped_width
from tests.helpers.home import home_env

UNSET = ("COLUMNS", "LINES", "FORCE_COLOR", "TTY_COMPATIBLE")


def _piped(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in home_env(home).items() if k not in UNSET}
    return subprocess.run(
        [sys.executable, "-m", "lepton", *args],
        stdin=subprocess.DEVNULL,  # rich would otherwise borrow a terminal's width from stdin
        capture_output=True,  # stdout is a pipe, as in `lepton config | cat`
        env=env,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_piped_table_keeps_every_cell_value(tmp_path: Path) -> None:
    home = tmp_path / ("h" * 40)
    result = _piped("config", home=home)
    assert result.returncode == 0, result.stderr
    store_url = f"sqlite:///{home.resolve() / 'lepton.db'}"
    assert len(store_url) > 80  # wider than rich's fallback width: it used to be cut
    assert store_url in result.stdout
    assert "…" not in result.stdout


def test_the_piped_width_follows_columns_else_is_wide() -> None:
    assert piped_width({}) == PIPED_WIDTH
    assert piped_width({"COLUMNS": "120"}) == 120
    assert piped_width({"COLUMNS": "junk"}) == PIPED_WIDTH


def test_folding_keeps_a_too_wide_cell_whole() -> None:
    narrow = Console(width=30, file=None, record=True, force_terminal=False)
    narrow.push_render_hook(FoldTableCells())
    table = Table()
    table.add_column("variant")
    table.add_column("notes")
    table.add_row("onnx-fp32-slim", "q" * 40)
    with narrow.capture() as captured:
        narrow.print(table)
    text = captured.get()
    assert "…" not in text
    assert text.count("q") == 40
