"""Batch prediction against accuracy: Lepton at several ``infer_limit`` values vs the peers.

Issue 18 asks for 100k-row batch prediction within 1.5x of the fastest peer. Lepton's
default keeps every member's out-of-fold bag (k fold models each), which is what wins on
accuracy; ``infer_limit`` (seconds per row on one core) caps the ensemble's prediction
cost. This runs, in one run on the same split and budget: FLAML and AutoGluon once, and
Lepton with no limit and with each ``--limits`` value, each fit timed as a whole call
and then one predict over the test rows repeated to ``--batch-rows`` (the better of two).

    .venv/bin/python benchmarks/batch_tradeoff.py                   # adult, 60 s
    .venv/bin/python benchmarks/batch_tradeoff.py --limits 1e-5 2e-6 --dataset diamonds

Results: a table on stdout and ``benchmarks/results/batch_tradeoff.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from automl import DATASETS, PEERS_PYTHON, PRIMARY, Result, run_one  # noqa: E402

RESULTS = HERE / "results"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", default="adult", choices=sorted(DATASETS))
    parser.add_argument("--budget", type=int, default=60)
    parser.add_argument("--limits", type=float, nargs="*", default=[2e-5, 5e-6, 2e-6])
    parser.add_argument("--batch-rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS / "batch_tradeoff.json")
    args = parser.parse_args()
    console = Console()
    if not PEERS_PYTHON.exists():
        console.print("[red]peers not installed:[/] run `bash benchmarks/setup_peers.sh` first")
        return 2
    runs: list[tuple[str, str, dict[str, Any] | None]] = [
        ("flaml", "flaml", None),
        ("autogluon", "autogluon", None),
        ("lepton (no limit)", "lepton", None),
        *[(f"lepton infer_limit={x:g}", "lepton", {"infer_limit": x}) for x in args.limits],
    ]
    rows: list[tuple[str, Result]] = []
    with tempfile.TemporaryDirectory(prefix="lepton-tradeoff-") as tmp:
        for label, framework, options in runs:
            console.print(f"[dim]{label} on {args.dataset} @ {args.budget}s …[/]")
            result = run_one(
                framework, args.dataset, args.budget, args.seed, Path(tmp), args.batch_rows, options
            )
            rows.append((label, result))
    primary, higher = PRIMARY[DATASETS[args.dataset].task]
    peers = [
        r.info["batch_predict_seconds"]
        for label, r in rows
        if not label.startswith("lepton") and r.status == "ok"
    ]
    fastest = min(peers) if peers else None
    table = Table(title=f"{args.dataset} @ {args.budget} s: accuracy against batch prediction")
    for column in (
        "system",
        primary,
        "whole fit, s",
        f"predict {args.batch_rows:,} rows, s",
        "÷ fastest peer",
    ):
        table.add_column(column, justify="left" if column == "system" else "right")
    payload: list[dict[str, Any]] = []
    for label, r in rows:
        if r.status != "ok":
            table.add_row(label, f"[red]{r.status}[/]", "", "", "")
            payload.append({"system": label, **asdict(r)})
            continue
        seconds = float(r.info["batch_predict_seconds"])
        ratio = seconds / fastest if fastest else None
        table.add_row(
            label,
            f"{r.metrics[primary]:.5f}",
            f"{r.fit_seconds:.1f}",
            f"{seconds:.2f}",
            "" if ratio is None else f"{ratio:.2f}x",
        )
        payload.append({"system": label, "over_fastest_peer": ratio, **asdict(r)})
    console.print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
                "dataset": args.dataset,
                "budget": args.budget,
                "metric": primary,
                "higher_is_better": higher,
                "results": payload,
            },
            indent=1,
            default=str,
        )
    )
    console.print(f"JSON: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
