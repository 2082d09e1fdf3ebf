"""`lepton train` with LEPTON_RAY_ADDRESS, as a user runs it: a real cluster, a real CLI.

Each test runs the CLI in its own process, so a cluster it loses or refuses never
touches another test's Ray connection.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from sklearn.datasets import make_classification

from lepton.compute.local_cluster import LocalCluster
from tests.helpers.home import home_env, open_project, run_lepton
from tests.helpers.servers import free_port

SRC = Path(__file__).resolve().parents[2] / "src" / "lepton"


def _dataset(env: dict[str, str], folder: Path, rows: int = 3000) -> None:
    x, y = make_classification(n_samples=rows, n_features=12, random_state=1)
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(12)])
    frame["y"] = y
    path = folder / "table.csv"
    frame.to_csv(path, index=False)
    added = run_lepton(env, "data", "add", str(path), "--name", "table", "--target", "y")
    assert added.returncode == 0, added.stderr


def _registered(env: dict[str, str]) -> list[str]:
    return [m.name for m in open_project(env).metadata.list_models()]


def test_an_unreachable_cluster_is_one_line_and_registers_nothing(tmp_path: Path) -> None:
    env = home_env(tmp_path / "home")
    _dataset(env, tmp_path, rows=200)
    env["LEPTON_RAY_ADDRESS"] = f"127.0.0.1:{free_port()}"  # nobody listens there
    done = run_lepton(env, "train", "table", "--time-limit", "20")
    assert done.returncode != 0
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    # the TCP check answered (run_lepton's 120 s bound would fail Ray's own minutes of retries)
    assert "cannot reach the Ray cluster" in lines[0] and "ray start --head" in lines[0]
    assert _registered(env) == []
    runs = open_project(env).metadata.list_runs()
    assert [r.status for r in runs] == ["failed"]


def test_without_ray_installed_the_error_names_the_extra(tmp_path: Path) -> None:
    env = home_env(tmp_path / "home")
    env["LEPTON_RAY_ADDRESS"] = "127.0.0.1:6379"
    script = (
        "import sys; sys.modules['ray'] = None\n"  # as if the [ray] extra were not installed
        "from lepton.compute import make_executor\n"
        "from lepton.errors import ConfigError\n"
        "try:\n    make_executor(ray_address='127.0.0.1:6379')\n"
        "except ConfigError as exc:\n    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert "pip install 'lepton-platform[ray]'" in done.stdout, done.stdout + done.stderr


def _other_release(folder: Path) -> Path:
    """A copy of this package that says it is another release (symlinks, one new file)."""
    package = folder / "lepton"
    package.mkdir(parents=True)
    for entry in SRC.iterdir():
        if entry.name not in ("version.py", "__pycache__"):
            (package / entry.name).symlink_to(entry)
    (package / "version.py").write_text('VERSION = "0.0.1-elsewhere"\n')
    return folder


@pytest.mark.ray_lifecycle
def test_a_node_running_another_release_is_refused(
    tmp_path: Path, own_cluster: LocalCluster
) -> None:
    own_cluster.start(workers=0)
    own_cluster.add_worker(1, env={"PYTHONPATH": str(_other_release(tmp_path / "old"))})
    env = home_env(tmp_path / "home")
    _dataset(env, tmp_path, rows=200)
    env["LEPTON_RAY_ADDRESS"] = own_cluster.address
    done = run_lepton(env, "train", "table", "--time-limit", "20")
    assert done.returncode != 0
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "runs Lepton 0.0.1-elsewhere" in lines[0]
    assert _registered(env) == []


@pytest.mark.ray_lifecycle
def test_losing_a_worker_node_mid_search_still_registers_a_model(
    tmp_path: Path, own_cluster: LocalCluster
) -> None:
    own_cluster.start(workers=0)
    doomed = own_cluster.add_worker(1)
    own_cluster.add_worker(1)
    env = home_env(tmp_path / "home")
    _dataset(env, tmp_path)
    env["LEPTON_RAY_ADDRESS"] = own_cluster.address
    train = subprocess.Popen(
        [sys.executable, "-m", "lepton", "train", "table", "--time-limit", "40"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        project = open_project(env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not project.metadata.list_runs():
            time.sleep(0.5)
        time.sleep(8)  # trials are running on both nodes by now
        own_cluster.kill(doomed)
        _, err = train.communicate(timeout=150)
    finally:
        train.kill()
    assert train.returncode == 0, err
    assert _registered(env) == ["table"]
    run = open_project(env).metadata.list_runs()[0]
    assert run.status == "finished"


def test_the_embedded_default_never_imports_ray(tmp_path: Path) -> None:
    env = home_env(tmp_path / "home")
    script = (
        "import sys\n"
        "import lepton.api, lepton.cli.main, lepton.learn.automl, lepton.serve.app\n"
        "from lepton.compute import make_executor\n"
        "make_executor(2).shutdown()\n"
        "print(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
