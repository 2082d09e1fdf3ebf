"""Drift and retrain, end to end, with the commands a user would type.

The model learns from adults under 45; production then sends it people aged 45 and
over. Lepton serves the traffic, the monitor flags the drift, ground truth comes back as
feedback, and `lepton retrain` trains a challenger on reference + labelled live rows and
ships it as a canary only if it beats the champion on a fresh holdout.

    .venv/bin/python examples/drift_and_retrain/run.py                  # ~3 minutes
    .venv/bin/python examples/drift_and_retrain/run.py --rows 2000 --stream 600 --time-limit 8

It uses ``../shared/datasets/adult.*.parquet`` when present, else the bundled sample.
Set LEPTON_HOME to keep the project; by default a fresh temporary home is used.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "datasets"
SAMPLE = ROOT / "examples" / "data" / "adult_sample.csv"
AGE_SPLIT = 45


def load_adult() -> tuple[pd.DataFrame, pd.DataFrame]:
    if (SHARED / "adult.train.parquet").exists():
        return (
            pd.read_parquet(SHARED / "adult.train.parquet"),
            pd.read_parquet(SHARED / "adult.test.parquet"),
        )
    frame = pd.read_csv(SAMPLE)
    return frame.iloc[: len(frame) // 2], frame.iloc[len(frame) // 2 :]


def lepton(env: dict[str, str], *args: str, echo: bool = True) -> str:
    if echo:
        print(f"\n$ lepton {shlex.join(args)}", flush=True)
    done = subprocess.run(
        [sys.executable, "-m", "lepton", *args], env=env, capture_output=True, text=True
    )
    if echo:
        print(done.stdout, end="", flush=True)
    if done.returncode != 0:
        raise SystemExit(f"lepton {args[0]} failed: {done.stderr.strip()}")
    return done.stdout


def start_server(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    print(f"\n$ lepton serve --port {port} --poll-seconds 0.5   (background)", flush=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "lepton", "serve", "--port", str(port), "--poll-seconds", "0.5"],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not become ready")


def run_example(
    home: Path, rows: int, stream: int, time_limit: float, families: str | None = None
) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEPTON_")}
    env["LEPTON_HOME"] = str(home)
    train, test = load_adult()
    young = train[train["age"] < AGE_SPLIT].sample(
        min(rows, (train["age"] < AGE_SPLIT).sum()), random_state=0
    )
    older = test[test["age"] >= AGE_SPLIT].sample(
        min(stream, (test["age"] >= AGE_SPLIT).sum()), random_state=0
    )
    home.mkdir(parents=True, exist_ok=True)
    reference = home / "reference.csv"
    young.to_csv(reference, index=False)

    lepton(env, "data", "add", str(reference), "--name", "adult", "--target", "income")
    train_args = ["train", "adult", "--time-limit", str(time_limit), "--name", "adult"]
    lepton(env, *train_args, *(["--families", families] if families else []))
    lepton(env, "deploy", "adult", "--name", "adult", "--unknown-categories", "allow")
    created = lepton(env, "keys", "create", "example", "--scope", "predict", echo=False)
    key = created.split(": ", 1)[1].split()[0]
    created = lepton(env, "keys", "create", "operator", "--scope", "admin", echo=False)
    admin_key = created.split(": ", 1)[1].split()[0]  # listing deployments needs admin

    server, url = start_server(env)
    try:
        from lepton.serve.client import Client

        truth = []
        with Client(url, key) as client:
            for start in range(0, len(older), 20):
                chunk = older.iloc[start : start + 20]
                answer = client.predict_raw("adult", chunk.drop(columns="income"))
                truth += [
                    {"request_id": answer["request_id"], "row": i, "label": label}
                    for i, label in enumerate(chunk["income"])
                ]
        print(f"\nreplayed {len(older)} rows of people aged {AGE_SPLIT}+ to {url}")
        lepton(env, "monitor", "adult", "--window", "1h", "--html", str(home / "before.html"))
        labels = home / "labels.csv"
        pd.DataFrame(truth).to_csv(labels, index=False)
        lepton(env, "feedback", "adult", str(labels))
        summary = json.loads(lepton(env, "monitor", "adult", "--window", "1h", "--json"))
        lepton(env, "retrain", "adult", "--time-limit", str(time_limit))
        lepton(env, "deployments")
        time.sleep(1.5)  # the server picks the canary up within its poll interval
        versions = httpx.get(
            f"{url}/v1/deployments", headers={"Authorization": f"Bearer {admin_key}"}, timeout=10
        ).json()["deployments"][0]
    finally:
        server.terminate()
        server.wait(timeout=60)
    from lepton.config import load_settings
    from lepton.store.project import Project

    project = Project.open(load_settings(env))
    [run] = project.metadata.list_runs(kind="retrain", limit=1)
    return {"summary": summary, "decision": run.metrics, "served": versions}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=6000, help="reference rows (age < 45)")
    parser.add_argument("--stream", type=int, default=1500, help="live rows (age ≥ 45)")
    parser.add_argument("--time-limit", type=float, default=30)
    parser.add_argument("--families", default=None, help="e.g. lightgbm,linear (default: all)")
    args = parser.parse_args()
    home = Path(os.environ.get("LEPTON_HOME") or tempfile.mkdtemp(prefix="lepton-drift-"))
    result = run_example(home, args.rows, args.stream, args.time_limit, args.families)
    decision = result["decision"]
    print(
        f"\ndrift detected: {result['summary'].get('dataset_drift')}; "
        f"champion v{decision['champion']} {decision['metric']}={decision['champion_score']:.4f}, "
        f"challenger v{decision['challenger']}={decision['challenger_score']:.4f} → "
        f"{decision['shipped']}; reports in {home}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
