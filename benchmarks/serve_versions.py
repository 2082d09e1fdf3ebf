"""Serving throughput of this checkout vs a baseline revision, ABBA rounds on one package.

Why ABBA: on these shared 2-core machines the neighbours' load swings req/s by ±30%
between minutes, which swamps a refactoring's effect in two separate benchmark runs.
Both revisions serve the SAME registered ONNX package from the same project home
(trained and optimized by ``benchmarks/serve.py`` of the baseline, so both can read it),
alternating base/new/new/base…, each after a 3 s warm-up, wrk at concurrency 16.

    (cd <baseline checkout> && python benchmarks/serve.py --servers lepton --duration 5)
    .venv/bin/python benchmarks/serve_versions.py --baseline-src <baseline checkout>/src \\
        --home <baseline checkout>/benchmarks/results/tmp/serve-home --rounds 4

Results: a table on stdout and ``benchmarks/results/serve_versions.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pandas as pd
from paired import paired_ratios
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATASETS = ROOT.parent / "shared" / "datasets"
RESULTS = HERE / "results"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(src: str, home: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEPTON_")}
    env.update(LEPTON_HOME=home, PYTHONPATH=src)
    proc = subprocess.Popen(
        [sys.executable, "-m", "lepton", "serve", "--port", str(port), "--no-log"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc, port
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"the server from {src} did not become ready")


def wrk(port: int, script: Path, seconds: int) -> float:
    url = f"http://127.0.0.1:{port}/v1/deployments/adult/predict"
    out = subprocess.run(
        ["wrk", "-t1", "-c16", f"-d{seconds}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"errors under load:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match is not None, out
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline-src", required=True)
    parser.add_argument("--home", required=True, help="project home holding the adult deployment")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=6)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from lepton.config import load_settings
    from lepton.store.project import Project

    project = Project.open(load_settings({"LEPTON_HOME": args.home}))
    key, _ = project.metadata.create_api_key("serve-versions", scopes=["predict"])
    row = pd.read_parquet(DATASETS / "adult.test.parquet").drop(columns="income").iloc[0]
    body = json.dumps({"records": [json.loads(row.to_json())]})
    srcs = {"baseline": args.baseline_src, "this checkout": str(ROOT / "src")}
    rates: dict[str, list[float]] = {name: [] for name in srcs}
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "post.lua"
        script.write_text(
            f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.headers["Authorization"] = "Bearer {key}"\n'
        )
        for i in range(args.rounds):
            order = list(srcs) if i % 2 == 0 else list(srcs)[::-1]
            for name in order:
                proc, port = start(srcs[name], args.home)
                try:
                    wrk(port, script, 3)  # warm-up
                    rates[name].append(wrk(port, script, args.seconds))
                finally:
                    proc.terminate()
                    proc.wait(timeout=60)
    medians = {name: statistics.median(v) for name, v in rates.items()}
    ratio = medians["this checkout"] / medians["baseline"]
    paired = paired_ratios(rates["baseline"], rates["this checkout"])
    table = Table(title=f"ONNX adult deployment, c=16, {args.rounds} ABBA rounds")
    for column in ("code", "req/s per round", "median req/s"):
        table.add_column(column)
    for name, values in rates.items():
        table.add_row(name, ", ".join(f"{v:.0f}" for v in values), f"{medians[name]:.0f}")
    Console().print(table)
    Console().print(f"this checkout / baseline, ratio of medians: {ratio:.2f}")
    Console().print(
        f"paired per round (the two servers of a round run back to back): geometric mean "
        f"{paired['geomean']:.3f}, 95% bootstrap interval {paired['ci95'][0]:.3f}–"
        f"{paired['ci95'][1]:.3f}; within noise: {paired['within_noise']}"
    )
    RESULTS.mkdir(exist_ok=True)
    out = {
        "rates": rates,
        "medians": medians,
        "ratio": ratio,
        "paired": paired,
        "concurrency": 16,
    }
    (RESULTS / "serve_versions.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
