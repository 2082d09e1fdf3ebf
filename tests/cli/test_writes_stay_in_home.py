"""A real ``lepton`` run writes nothing outside its project home (issue 19).

onnxruntime used to drop ``~/.cache/Microsoft/DeveloperTools/.onnxruntime/*`` into the
user's home on import, and matplotlib its font cache, whatever ``LEPTON_HOME`` said.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from tests.helpers.home import home_env

# what the developer's shell may set; the run must not lean on any of them
CACHE_VARIABLES = (
    "XDG_CACHE_HOME",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "MPLCONFIGDIR",
    "HF_HOME",
    "TORCH_HOME",
    "NUMBA_CACHE_DIR",
)
# onnxruntime writes its telemetry files only outside CI: with any of these set it writes
# nothing, and the check that its files land inside the project home would test nothing
CI_MARKERS = (
    "CI",
    "TF_BUILD",
    "GITHUB_ACTIONS",
    "GITLAB_CI",
    "CIRCLECI",
    "TRAVIS",
    "JENKINS_URL",
    "CODEBUILD_BUILD_ID",
    "BUILDKITE",
    "TEAMCITY_VERSION",
    "APPVEYOR",
    "BITBUCKET_BUILD_NUMBER",
)


def test_train_optimize_and_report_write_nothing_under_home(tmp_path: Path) -> None:
    user_home, project_home, work = tmp_path / "user", tmp_path / "project", tmp_path / "work"
    user_home.mkdir()
    work.mkdir()
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x1": rng.normal(size=200), "x2": rng.normal(size=200)})
    frame["y"] = np.where(frame["x1"] + frame["x2"] > 0, "yes", "no")
    frame.to_csv(work / "t.csv", index=False)
    dropped = CACHE_VARIABLES + CI_MARKERS + ("ORT_DISABLE_TELEMETRY",)
    env = {k: v for k, v in home_env(project_home).items() if k not in dropped}
    env["HOME"] = str(user_home)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[2] / "src"), env["PYTHONPATH"]])
    for args in (
        ["data", "add", "t.csv", "--name", "t", "--target", "y"],
        ["data", "show", "t", "--html", "report.html"],  # matplotlib
        ["train", "t", "--time-limit", "15", "--families", "linear", "--folds", "2"],
        ["optimize", "t"],  # onnxruntime
    ):
        run = subprocess.run(
            [sys.executable, "-m", "lepton", *args],
            cwd=work,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert run.returncode == 0, f"{args}: {run.stderr[-2000:]}"
    assert sorted(str(p.relative_to(user_home)) for p in user_home.rglob("*")) == []
    caches = project_home / "cache"
    written = {p.name for p in caches.rglob("*")}
    assert "deviceid" in written  # onnxruntime ran, inside
    assert any(name.startswith("fontlist") for name in written)  # so did matplotlib
