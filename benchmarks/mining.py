"""Data-mining kinds against their reference points, in one run: clustering, anomaly
detection, association rules and recommendation.

Each kind's section is its own module (``mining_<kind>.py``, runnable alone) with a
``run(quick) -> dict`` whose ``targets`` say what was measured against what. This driver
runs the sections in turn (one heavy job at a time on a shared machine), prints each
section's table and a summary of the targets, and writes ``results/mining.json``.

    .venv/bin/python benchmarks/mining.py [--kinds clustering,anomaly,rules,recommend] [--quick]
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
KINDS = ("clustering", "anomaly", "rules", "recommend")


def rows_table(kind: str, rows: list[dict[str, Any]]) -> Table:
    """A section's rows, one column per key (sections name their own columns)."""
    table = Table(title=kind)
    columns = list(dict.fromkeys(key for row in rows for key in row))
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(_cell(row.get(column, "")) for column in columns))
    return table


def targets_of(result: dict[str, Any]) -> list[tuple[str, Any]]:
    """(target, measured) pairs, whether a section reports ``targets`` or ``target`` + met."""
    if isinstance(result.get("targets"), dict):
        return [(str(k), v) for k, v in result["targets"].items()]
    met = next((result[k] for k in ("target_met", "all_met") if k in result), None)
    return [(str(result.get("target", "")), {"met": met})]


def _cell(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--quick", action="store_true", help="smaller sets, for a smoke run")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    console = Console()
    results: dict[str, Any] = {}
    for kind in args.kinds.split(","):
        if kind not in KINDS:
            raise SystemExit(f"unknown kind {kind!r}; choose from {', '.join(KINDS)}")
        section = importlib.import_module(f"mining_{kind}")
        started = time.perf_counter()
        console.rule(kind)
        results[kind] = section.run(quick=args.quick)
        results[kind]["seconds"] = round(time.perf_counter() - started, 1)
        console.print(rows_table(kind, results[kind].get("rows", [])))
    summary = Table(title="mining targets (each section's own measures)")
    for column in ("kind", "target", "measured"):
        summary.add_column(column)
    for kind, result in results.items():
        for name, value in targets_of(result):
            summary.add_row(kind, name, json.dumps(value, default=str))
    console.print(summary)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "mining.json").write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
