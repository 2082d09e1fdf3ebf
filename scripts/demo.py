"""Lepton's main job on the embedded default store (SQLite + local folder, no server).

Runs the same ``lepton`` commands a user would type, in order, and stops at the first
failure. Later stages (train, optimize, serve, monitor) join this list as they land.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

from lepton.config import load_settings

ROOT = Path(__file__).resolve().parents[1]
LEPTON = str(Path(sys.executable).with_name("lepton"))
SAMPLE = ROOT / "examples" / "data" / "adult_sample.csv"
HOME = load_settings().home
REPORT = HOME / "reports" / "adult_sample_profile.html"
PREDICTIONS = HOME / "predictions" / "adult_sample.csv"

STEPS: list[list[str]] = [
    ["init"],
    ["config"],
    ["data", "add", str(SAMPLE), "--name", "adult_sample", "--target", "income"],
    ["data", "list"],
    ["data", "show", "adult_sample", "--html", str(REPORT)],
    [
        "data",
        "split",
        "adult_sample",
        "--method",
        "stratified",
        "--test-size",
        "0.25",
        "--seed",
        "0",
    ],
    [
        "train",
        "adult_sample-train",
        "--time-limit",
        "30",
        "--test",
        "adult_sample-test",
        "--name",
        "adult_income",
    ],
    ["models", "list"],
    ["models", "show", "adult_income"],
    ["predict", "adult_income", str(SAMPLE), "-o", str(PREDICTIONS)],
    ["optimize", "adult_income", "--max-metric-drop", "0.005", "--objective", "latency"],
    ["runs", "--limit", "5"],
]


def main() -> int:
    PREDICTIONS.parent.mkdir(parents=True, exist_ok=True)
    for args in STEPS:
        print(f"\n$ lepton {shlex.join(args)}", flush=True)
        done = subprocess.run([LEPTON, *args], check=False)
        if done.returncode != 0:
            print(f"main job stopped: `lepton {args[0]}` exited {done.returncode}", file=sys.stderr)
            return done.returncode
    return serve_and_send_traffic()


def serve_and_send_traffic(n_requests: int = 200) -> int:
    """Deploy the model, start `lepton serve` on 127.0.0.1, send it traffic, stop it."""
    import socket
    import time

    import httpx
    import pandas as pd

    from lepton.serve.client import Client
    from lepton.serve.predlog import read_log
    from lepton.store.project import Project

    for args in (["deploy", "adult_income", "--name", "adult"], ["deployments"]):
        print(f"\n$ lepton {shlex.join(args)}", flush=True)
        if subprocess.run([LEPTON, *args], check=False).returncode != 0:
            return 1
    key, _ = Project.open().metadata.create_api_key("demo", scopes=["predict"])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    print(f"\n$ lepton serve --port {port}   (in the background)", flush=True)
    server = subprocess.Popen([LEPTON, "serve", "--port", str(port)])
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        rows = pd.read_csv(SAMPLE).drop(columns="income").head(n_requests)
        latencies, versions = [], set()
        with Client(url, key) as client:
            for i in range(len(rows)):
                started = time.perf_counter()
                answer = client.predict("adult", rows.iloc[[i]])
                latencies.append((time.perf_counter() - started) * 1000)
                versions.add(answer.attrs["version"])
        latencies.sort()
        print(
            f"sent {len(rows)} single-row requests to {url}: versions {sorted(versions)}, "
            f"p50 {latencies[len(latencies) // 2]:.1f} ms, "
            f"p99 {latencies[int(len(latencies) * 0.99) - 1]:.1f} ms (client side)"
        )
    finally:
        server.terminate()
        server.wait(timeout=60)
    logged = read_log(HOME / "logs" / "predictions", "adult")
    print(f"prediction log: {len(logged)} rows in {HOME / 'logs' / 'predictions' / 'adult'}")
    report = HOME / "reports" / "adult_monitor.html"
    args = ["monitor", "adult", "--window", "1h", "--html", str(report)]
    print(f"\n$ lepton {shlex.join(args)}", flush=True)
    return subprocess.run([LEPTON, *args], check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
