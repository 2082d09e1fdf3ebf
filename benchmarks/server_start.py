"""Server start-up of an ONNX deployment: this checkout vs a baseline git revision, one run.

Why: the server used to reach its ONNX loader through ``lepton.optimize``, which loads
skl2onnx and torch; since ``lepton.runtime`` it imports the runtime and the server only.
This measures what that buys: seconds from process start until ``/readyz`` answers 200
(every deployment loaded), and the server process's resident memory once ready.

The project (adult sample from ``examples/data``, UCI Adult, CC BY 4.0) is trained,
optimized and deployed with the BASELINE code, so both revisions serve the very same
registered packages (the new runtime reads the baseline's ``lepton.model/1`` manifests
through its legacy reader). Each revision is started ``--repeats`` times, alternating.

    .venv/bin/python benchmarks/server_start.py --baseline 0631a61

Results: a table on stdout and ``benchmarks/results/server_start.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SAMPLE = ROOT / "examples" / "data" / "adult_sample.csv"
RESULTS = HERE / "results"
console = Console()


def env_for(src: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEPTON_")}
    env.update(LEPTON_HOME=str(home), PYTHONPATH=str(src), OMP_NUM_THREADS="1")
    return env


def lepton(src: Path, home: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "lepton", *args],
        env=env_for(src, home),
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    if done.returncode != 0:
        raise SystemExit(f"lepton {' '.join(args)} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout


def checkout(revision: str, where: Path) -> Path:
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), revision],
        check=True,
        capture_output=True,
    )
    return where / "src"


def prepare(src: Path, home: Path, time_limit: float) -> str:
    lepton(src, home, "init")
    lepton(src, home, "data", "add", str(SAMPLE), "--name", "adult", "--target", "income")
    # the boosters export exactly, so the optimizer picks an ONNX variant to serve
    lepton(
        src,
        home,
        "train",
        "adult",
        "--time-limit",
        str(time_limit),
        "--name",
        "adult",
        "--families",
        "lightgbm,xgboost,catboost",
    )
    lepton(src, home, "optimize", "adult", "--max-metric-drop", "0.01")
    lepton(src, home, "deploy", "adult", "--name", "adult")
    # admin: the benchmark lists deployments, which needs an admin key
    out = lepton(src, home, "keys", "create", "bench", "--scope", "admin")
    return out.splitlines()[0].rsplit(": ", 1)[1].strip()  # "key 1 (admin): <token>"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_once(src: Path, home: Path, key: str) -> dict[str, Any]:
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lepton", "serve", "--port", str(port), "--no-log"],
        env=env_for(src, home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"server ({src}) exited with {proc.returncode}")
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.perf_counter() - started > 120:
                raise SystemExit("server did not become ready within 120 s")
            time.sleep(0.02)
        ready_s = time.perf_counter() - started
        memory = rss_mib(proc.pid)
        headers = {"Authorization": f"Bearer {key}"}
        loaded = httpx.get(f"{url}/v1/deployments", headers=headers, timeout=10).json()
        variant = loaded["deployments"][0]["loaded"]
        if not all(str(v).startswith("onnx") for v in variant.values()):
            raise SystemExit(f"the deployment is not served by an ONNX variant: {variant}")
        return {"ready_s": ready_s, "rss_mib": memory, "loaded": variant}
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", required=True, help="git revision to compare with")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--time-limit", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lepton-start-") as tmp:
        base_src = checkout(args.baseline, Path(tmp) / "baseline")
        try:
            home = Path(tmp) / "home"
            console.print(f"preparing the project with {args.baseline} …")
            key = prepare(base_src, home, args.time_limit)
            runs: dict[str, list[dict[str, Any]]] = {"baseline": [], "this checkout": []}
            for _ in range(args.repeats):
                runs["baseline"].append(start_once(base_src, home, key))
                runs["this checkout"].append(start_once(ROOT / "src", home, key))
        finally:
            subprocess.run(
                [
                    "git",
                    "-C",
                    str(ROOT),
                    "worktree",
                    "remove",
                    "--force",
                    str(Path(tmp) / "baseline"),
                ],
                check=False,
                capture_output=True,
            )
    summary = {
        name: {
            "ready_s_median": statistics.median(r["ready_s"] for r in rows),
            "rss_mib_median": statistics.median(r["rss_mib"] for r in rows),
            "loaded": rows[0]["loaded"],
            "runs": rows,
        }
        for name, rows in runs.items()
    }
    base, new = summary["baseline"], summary["this checkout"]
    ratios = {
        "start_speedup": base["ready_s_median"] / new["ready_s_median"],
        "rss_ratio": new["rss_mib_median"] / base["rss_mib_median"],
    }
    table = Table(title=f"ONNX deployment server start-up ({args.repeats} starts each)")
    for column in ("code", "ready (median s)", "RSS when ready (MiB)", "serving"):
        table.add_column(column)
    for name, row in summary.items():
        table.add_row(
            name if name != "baseline" else f"baseline {args.baseline}",
            f"{row['ready_s_median']:.2f}",
            f"{row['rss_mib_median']:.0f}",
            json.dumps(row["loaded"]),
        )
    console.print(table)
    console.print(
        f"start-up {ratios['start_speedup']:.2f}× faster; RSS {ratios['rss_ratio']:.2f}× of baseline"
    )
    RESULTS.mkdir(exist_ok=True)
    out = {"baseline": args.baseline, "summary": summary, "ratios": ratios}
    (RESULTS / "server_start.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
