"""Soak benchmark: ten minutes of steady load, memory sampled throughout; is it flat?

The adult model (UCI Adult, CC BY 4.0, from ../shared/datasets) is served by
``lepton serve`` on 127.0.0.1 with the prediction log on, and ``wrk`` sends 8-row JSON
bodies at concurrency 16 in one-minute slices for ``--minutes``. After each slice the
server's RSS (and its log writer's) is read from /proc. Flat means: the last slices'
RSS within +10% of the first's, and no steady climb (the least-squares slope per minute,
over the second half, under 1% of the level).

    .venv/bin/python benchmarks/soak.py [--minutes 10]

Results: a table on stdout and ``benchmarks/results/soak.json``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from serve import RESULTS, serve_adult_rows, stop, wrk

console = Console()


def rss_mib(pid: int) -> float:
    """RSS of ``pid`` and its children (the log writer), MiB."""
    total = 0.0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        status = Path(f"/proc/{p}/status")
        if not status.exists():
            continue
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--rows", type=int, default=8, help="rows per request body")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--time-limit", type=float, default=60, help="AutoML budget (once)")
    args = parser.parse_args()
    proc, url, path, key, body = serve_adult_rows(args.time_limit, args.rows)
    slices: list[dict[str, Any]] = []
    try:
        wrk(url + path, body, key, 4, 5)  # warm-up
        before = rss_mib(proc.pid)
        for minute in range(1, args.minutes + 1):
            result = wrk(url + path, body, key, args.concurrency, 60)
            result.update(minute=minute, rss_mib=rss_mib(proc.pid))
            slices.append(result)
            console.print(
                f"minute {minute}: {result['rps']:.0f} req/s, p99 {result['p99_ms']} ms, "
                f"errors {result['errors']}, RSS {result['rss_mib']:.0f} MiB"
            )
    finally:
        stop(proc)
    rss = np.asarray([s["rss_mib"] for s in slices])
    half = rss[len(rss) // 2 :]
    slope = float(np.polyfit(np.arange(len(half)), half, 1)[0]) if len(half) > 1 else 0.0
    summary = {
        "minutes": args.minutes,
        "rows_per_request": args.rows,
        "concurrency": args.concurrency,
        "rss_before_mib": before,
        "rss_first_mib": float(rss[0]),
        "rss_last_mib": float(rss[-1]),
        "growth": float(rss[-1] / rss[0] - 1),
        "slope_mib_per_min_second_half": slope,
        "slope_share_per_min": slope / float(half.mean()),
        "requests": int(sum(s["requests"] for s in slices)),
        "errors": int(sum(s["errors"] for s in slices)),
        "slices": slices,
    }
    summary["flat"] = bool(summary["growth"] <= 0.10 and summary["slope_share_per_min"] < 0.01)
    table = Table(title=f"Soak: {args.minutes} min at c={args.concurrency}, {args.rows}-row bodies")
    for col in ("minute", "req/s", "p99 ms", "errors", "RSS MiB"):
        table.add_column(col, justify="right")
    for s in slices:
        table.add_row(
            str(s["minute"]), f"{s['rps']:.0f}", str(s["p99_ms"]), str(s["errors"]),
            f"{s['rss_mib']:.0f}",
        )  # fmt: skip
    Console(width=120).print(table)
    console.print(
        f"RSS {summary['rss_first_mib']:.0f} -> {summary['rss_last_mib']:.0f} MiB "
        f"({summary['growth']:+.1%}); second-half slope {slope:+.2f} MiB/min "
        f"({summary['slope_share_per_min']:+.2%}/min); "
        f"{summary['requests']} requests, {summary['errors']} errors; "
        f"flat: {summary['flat']}"
    )
    (RESULTS / "soak.json").write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
