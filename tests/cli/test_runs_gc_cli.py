"""``lepton runs [--reap]`` after a real ``lepton train`` killed with SIGKILL; ``lepton gc``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from lepton.store.project import Project
from tests.conftest import REPO_ROOT, CliRunner

SAMPLE = REPO_ROOT / "examples" / "data" / "adult_sample.csv"


def _running_run_of(pid: int, child: subprocess.Popen[bytes], timeout: float = 120.0) -> str:
    """Poll the store until the child has opened its run; its id."""
    project = Project.open()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            assert child.poll() is None, "lepton train exited before it was killed"
            for run in project.metadata.list_runs():
                if run.pid == pid and run.status == "running":
                    return run.id
            time.sleep(0.1)
    finally:
        project.close()
    raise AssertionError(f"no running run of process {pid} within {timeout:g} s")


def test_a_killed_training_run_shows_as_failed_with_its_reason(
    cli: CliRunner, lepton_home: Path
) -> None:
    assert cli("data", "add", str(SAMPLE), "--name", "adult", "--target", "income").code == 0
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")}
    child = subprocess.Popen(
        [sys.executable, "-m", "lepton", "train", "adult", "--time-limit", "600"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        run_id = _running_run_of(child.pid, child)
        alive = cli("runs")  # a live run is never reaped
        assert alive.code == 0 and "running" in alive.out and "marked run" not in alive.err
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)
    listed = cli("runs")
    assert listed.code == 0
    assert f"marked run {run_id[:8]} failed" in listed.err
    assert f"process {child.pid}" in listed.err and "is gone" in listed.err
    assert "failed" in listed.out and "running" not in listed.out
    again = cli("runs", "--reap")
    assert again.code == 0 and "no stale runs" in again.out


def test_runs_reap_lists_what_it_marked(cli: CliRunner, lepton_home: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=30)
    project = Project.open()
    try:
        run = project.metadata.start_run("train", name="ghost")
        from sqlalchemy import update

        from lepton.store.metadata.tables import Run

        with project.metadata.engine.begin() as conn:  # as if that (now dead) child had run it
            conn.execute(update(Run).where(Run.id == run.id).values(pid=child.pid))
    finally:
        project.close()
    reaped = cli("runs", "--reap")
    assert reaped.code == 0 and "Runs marked failed" in reaped.out
    assert run.id[:8] in reaped.out and f"process {child.pid}" in reaped.out


def test_gc_dry_run_then_removes_the_old_orphan_only(
    cli: CliRunner, lepton_home: Path, tmp_path: Path
) -> None:
    assert cli("data", "add", str(SAMPLE), "--name", "adult", "--target", "income").code == 0
    project = Project.open()
    try:
        folder = tmp_path / "pkg"
        (folder / "native").mkdir(parents=True)
        (folder / "native" / "model.pkl").write_bytes(b"z" * 4096)
        project.artifacts.put_dir(folder, "models/adult/killedrun")  # killed before registering
        project.artifacts.put_dir(folder, "models/adult/publishing")  # fresh: being registered
        root = Path(project.artifacts.root)
        old = time.time() - 2 * 3600
        os.utime(root / "models/adult/killedrun/_lepton_manifest.json", (old, old))
        dataset_key = project.metadata.get_dataset_version("adult").artifact_key
        os.utime(root / dataset_key / "_lepton_manifest.json", (old, old))  # old but referenced
    finally:
        project.close()

    dry = cli("gc", "--dry-run", "--grace", "1h")
    assert dry.code == 0 and "would remove 1 artifact(s)" in dry.out
    assert "models/adult/killedrun" in dry.out and "KB" in dry.out
    assert (root / "models/adult/killedrun").exists()

    done = cli("gc", "--grace", "1h")
    assert done.code == 0 and "removed 1 artifact(s)" in done.out and "KB in total" in done.out
    assert not (root / "models/adult/killedrun").exists()
    assert (root / "models/adult/publishing").exists() and (root / dataset_key).exists()
    assert "no artifact" not in cli("data", "show", "adult").err

    nothing = cli("gc")
    assert nothing.code == 0 and "removed 0 artifact(s)" in nothing.out


def test_gc_refuses_a_bad_grace_on_one_line(cli: CliRunner) -> None:
    result = cli("gc", "--grace", "soon")
    assert result.code != 0 and "grace 'soon' not understood" in result.err
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1
