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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
