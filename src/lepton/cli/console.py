"""Shared rich consoles: results to stdout, errors and progress to stderr.

Piped or logged output has no terminal width to follow, and rich's fallback (the width
of whatever terminal stdin happens to be, else 80 columns) cut every wide table's cells
to ``nat…``. Off a terminal the consoles use ``$COLUMNS`` when set, else a wide fixed
width, and table cells fold instead of being cut, so every value reaches the log whole.
"""

from __future__ import annotations

import os

from rich.console import Console, ConsoleRenderable, RenderHook
from rich.table import Table

PIPED_WIDTH = 200


class FoldTableCells(RenderHook):
    """Turn a table's ellipsis overflow into folding: a long cell wraps, nothing is lost."""

    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        for renderable in renderables:
            if isinstance(renderable, Table):
                for column in renderable.columns:
                    if column.overflow == "ellipsis":
                        column.overflow = "fold"
        return renderables


def piped_width(environ: dict[str, str] | None = None) -> int:
    """The width for output that is not a terminal: ``$COLUMNS`` if it is set, else wide."""
    columns = (os.environ if environ is None else environ).get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else PIPED_WIDTH


def make_console(*, stderr: bool = False) -> Console:
    """A console that follows a terminal, or is wide with unclipped tables when piped."""
    made = Console(stderr=stderr)
    if not made.is_terminal:
        made.width = piped_width()
        made.push_render_hook(FoldTableCells())
    return made


console = make_console()
err_console = make_console(stderr=True)
