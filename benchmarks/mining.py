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
        if hasattr(section, "table"):  # the section's own table, as its __main__ prints it
            console.print(section.table(results[kind]))
    summary = Table(title="mining targets (each section's own measures)")
    for column in ("kind", "target", "measured"):
        summary.add_column(column)
    for kind, result in results.items():
        targets = result.get("targets", {})
        items = targets.items() if isinstance(targets, dict) else enumerate(targets)
        for name, value in items:
            summary.add_row(kind, str(name), json.dumps(value, default=str))
    console.print(summary)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "mining.json").write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
