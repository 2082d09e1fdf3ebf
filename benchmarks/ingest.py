"""Ingest benchmark: `lepton data add` of adult (32,561 rows) as CSV, end to end.

Side by side with the floor it cannot beat, ``pandas.read_csv`` of the same file, so the
ratio shows what schema inference, profiling, Parquet versioning and the store cost.
Prints a table and writes benchmarks/results/ingest.json.

    .venv/bin/python benchmarks/ingest.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
ADULT = ROOT.parent / "shared" / "datasets" / "adult.train.parquet"
RESULTS = ROOT / "benchmarks" / "results"


def _time(fn: object, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "adult.csv"
        pd.read_parquet(ADULT).to_csv(csv, index=False)

        def read_only() -> None:
            pd.read_csv(csv)

        def library_add() -> None:
            from lepton.config import load_settings
            from lepton.data.catalog import DataCatalog
            from lepton.store.project import Project

            home = Path(tempfile.mkdtemp(dir=tmp))
            os.environ["LEPTON_HOME"] = str(home)
            DataCatalog(Project.open(load_settings())).add(csv, name="adult", target="income")

        def cli_add() -> None:
            home = Path(tempfile.mkdtemp(dir=tmp))
            env = {**os.environ, "LEPTON_HOME": str(home)}
            lepton = str(Path(sys.executable).with_name("lepton"))
            subprocess.run(
                [lepton, "data", "add", str(csv), "--name", "adult", "--target", "income"],
                env=env,
                check=True,
                capture_output=True,
            )

        rows = {
            "pandas.read_csv (floor)": _time(read_only, args.repeats),
            "lepton Dataset add (library)": _time(library_add, args.repeats),
            "lepton data add (CLI, incl. start-up)": _time(cli_add, args.repeats),
        }
    floor = statistics.median(rows["pandas.read_csv (floor)"])
    table = Table(title=f"Ingest adult CSV (32,561 rows × 15), median of {args.repeats}")
    for col in ("what", "median s", "min s", "× read_csv"):
        table.add_column(col)
    out = {}
    for name, times in rows.items():
        med = statistics.median(times)
        out[name] = {"median_s": med, "min_s": min(times), "ratio_to_read_csv": med / floor}
        table.add_row(name, f"{med:.3f}", f"{min(times):.3f}", f"{med / floor:.1f}")
    Console().print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ingest.json").write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
