"""The clustering and anomaly examples run from a clean checkout and say what they found."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.home import home_env

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run(script: str, home: Path) -> str:
    env = {**home_env(home), "PYTHONPATH": os.pathsep.join([str(EXAMPLES.parent / "src")])}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), "--time-limit", "6"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.parametrize(
    ("script", "pattern", "floor"),
    [
        ("clustering_penguins.py", r"ARI against the withheld '\w+': ([0-9.]+)", 0.5),
        ("anomaly_breast_cancer.py", r"ROC-AUC against the withheld label: ([0-9.]+)", 0.85),
    ],
)
def test_example_recovers_the_withheld_label(
    script: str, pattern: str, floor: float, tmp_path: Path
) -> None:
    found = re.search(pattern, _run(script, tmp_path / "home"))
    assert found is not None and float(found.group(1)) > floor
