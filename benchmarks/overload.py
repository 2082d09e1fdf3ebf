"""Overload benchmark: goodput, health latency and memory when clients ask for 10x more.

The adult model (real data: UCI Adult, CC BY 4.0, from ../shared/datasets) is served by
``lepton serve`` on 127.0.0.1 and sent 256-row JSON bodies by ``wrk``. First a sweep
below saturation finds the best goodput (2xx answers per second); then the load jumps to
10x the concurrency that gave it. Throughout, a prober times ``GET /healthz`` every 50 ms,
and the server's RSS is read from /proc before, at the peak, and a minute after.

Targets (issue 19): goodput at 10x >= 80% of the best below saturation; /healthz <= 50 ms
throughout; RSS a minute after the load within +20% of the level before it.

    .venv/bin/python benchmarks/overload.py [--duration 10] [--settle 60]

Results: a table on stdout and ``benchmarks/results/overload.json``.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from rich.console import Console
from rich.table import Table

from serve import RESULTS, serve_adult_rows, stop, wrk

console = Console()
SWEEP = (1, 2, 4, 8, 16)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class HealthProber(threading.Thread):
    """GET /healthz every 50 ms on its own connection; keeps every latency."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.latencies_ms: list[float] = []
        self.failures = 0
        self._halt = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=5) as client:
            while not self._halt.is_set():
                started = time.perf_counter()
                try:
                    ok = client.get("/healthz").status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.latencies_ms.append((time.perf_counter() - started) * 1000)
                self.failures += not ok
                self._halt.wait(0.05)

    def stop(self) -> dict[str, Any]:
        self._halt.set()
        self.join(timeout=10)
        lat = np.asarray(self.latencies_ms)
        return {
            "probes": len(lat),
            "failures": self.failures,
            "p50_ms": float(np.percentile(lat, 50)),
            "p99_ms": float(np.percentile(lat, 99)),
            "max_ms": float(lat.max()),
        }


def goodput(result: dict[str, Any], duration: int) -> float:
    return (result["requests"] - result["errors"]) / duration


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per load level")
    parser.add_argument("--settle", type=int, default=60, help="seconds before the last RSS")
    parser.add_argument("--rows", type=int, default=256, help="rows per request body")
    parser.add_argument("--time-limit", type=float, default=60, help="AutoML budget (once)")
    parser.add_argument(
        "--also", default="64,1000", help="more overload concurrencies to report (comma list)"
    )
    args = parser.parse_args()
    proc, url, path, key, body = serve_adult_rows(args.time_limit, args.rows)
    results: dict[str, Any] = {"rows_per_request": args.rows, "body_bytes": len(body)}
    try:
        wrk(url + path, body, key, 2, 3)  # warm-up
        results["rss_before_mib"] = rss_mib(proc.pid)
        sweep = {}
        for c in SWEEP:
            sweep[c] = wrk(url + path, body, key, c, args.duration)
            sweep[c]["goodput"] = goodput(sweep[c], args.duration)
            console.print(f"c={c}: {sweep[c]}")
        best_c = max(sweep, key=lambda c: sweep[c]["goodput"])
        best = sweep[best_c]["goodput"]
        overload_c = 10 * best_c
        prober = HealthProber(url)
        prober.start()
        peak = [0.0]

        def sample() -> None:
            while prober.is_alive():
                peak[0] = max(peak[0], rss_mib(proc.pid))
                time.sleep(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        over = wrk(url + path, body, key, overload_c, args.duration)
        health = prober.stop()
        over["goodput"] = goodput(over, args.duration)
        results["rss_peak_mib"] = peak[0]
        also = {}
        for c in [int(x) for x in args.also.split(",") if x]:
            prober = HealthProber(url)
            prober.start()
            also[str(c)] = wrk(url + path, body, key, c, args.duration)
            also[str(c)]["goodput"] = goodput(also[str(c)], args.duration)
            also[str(c)]["health"] = prober.stop()
            also[str(c)]["goodput_ratio"] = also[str(c)]["goodput"] / best
            console.print(f"c={c}: {also[str(c)]}")
        results["also"] = also
        results["rss_peak_mib"] = max(results["rss_peak_mib"], rss_mib(proc.pid))
        time.sleep(args.settle)
        results["rss_after_mib"] = rss_mib(proc.pid)
        results.update(
            sweep={str(c): v for c, v in sweep.items()},
            best_concurrency=best_c,
            best_goodput=best,
            overload_concurrency=overload_c,
            overload=over,
            health=health,
            goodput_ratio=over["goodput"] / best,
            rss_ratio=results["rss_after_mib"] / results["rss_before_mib"],
        )
    finally:
        stop(proc)
    report(results)
    (RESULTS / "overload.json").write_text(json.dumps(results, indent=1))
    return 0


def report(r: dict[str, Any]) -> None:
    table = Table(title=f"Overload: {r['rows_per_request']}-row bodies, 127.0.0.1 (wrk)")
    for col in ("load", "conc.", "goodput/s", "refused", "p50 ms", "p99 ms"):
        table.add_column(col, justify="left" if col == "load" else "right")
    for c, m in r["sweep"].items():
        table.add_row("sweep", c, f"{m['goodput']:.1f}", str(m["errors"]), *_lat(m))
    o = r["overload"]
    table.add_row(
        "10x", str(r["overload_concurrency"]), f"{o['goodput']:.1f}", str(o["errors"]), *_lat(o)
    )
    for c, m in r.get("also", {}).items():
        table.add_row("more", c, f"{m['goodput']:.1f}", str(m["errors"]), *_lat(m))
    Console(width=120).print(table)
    h = r["health"]
    console.print(
        f"goodput at 10x: {r['goodput_ratio']:.0%} of the best below saturation "
        f"(target >= 80%); /healthz p99 {h['p99_ms']:.1f} ms, max {h['max_ms']:.1f} ms over "
        f"{h['probes']} probes (target <= 50 ms); RSS {r['rss_before_mib']:.0f} -> peak "
        f"{r['rss_peak_mib']:.0f} -> {r['rss_after_mib']:.0f} MiB a minute later "
        f"(x{r['rss_ratio']:.2f}, target <= 1.20)"
    )
    for c, m in r.get("also", {}).items():
        console.print(
            f"c={c}: goodput {m['goodput_ratio']:.0%} of the best; /healthz p99 "
            f"{m['health']['p99_ms']:.1f} ms, max {m['health']['max_ms']:.1f} ms"
        )


def _lat(m: dict[str, Any]) -> tuple[str, str]:
    return (f"{m['p50_ms']:.1f}", f"{m['p99_ms']:.1f}") if m["p50_ms"] else ("-", "-")


if __name__ == "__main__":
    raise SystemExit(main())
