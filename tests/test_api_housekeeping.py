"""``lepton.api.runs`` / ``reap_runs`` / ``gc``: the Python twins of ``lepton runs`` and ``gc``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import update

from lepton import api
from lepton.store.metadata.tables import Run


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=30)
    return child.pid


def test_runs_marks_a_run_of_a_dead_process_failed(lepton_home: Path) -> None:
    metadata = api.project().metadata
    live = metadata.start_run("train", name="live")  # this process: alive
    dead = metadata.start_run("train", name="dead")
    with metadata.engine.begin() as conn:
        conn.execute(update(Run).where(Run.id == dead.id).values(pid=_dead_pid()))
    status = {r.id: r.status for r in api.runs()}
    assert status == {live.id: "running", dead.id: "failed"}
    assert "is gone" in (metadata.get_run(dead.id).error or "")
    assert api.reap_runs() == []


def test_gc_from_python(lepton_home: Path, tmp_path: Path) -> None:
    artifacts = api.project().artifacts
    folder = tmp_path / "pkg"
    folder.mkdir()
    (folder / "model.pkl").write_bytes(b"m" * 10)
    artifacts.put_dir(folder, "models/m/orphan")
    kept = api.gc(grace="1h")
    assert kept.removed == [] and [g.key for g in kept.kept_fresh] == ["models/m/orphan"]
    old = time.time() - 7200
    os.utime(Path(artifacts.root) / "models/m/orphan/_lepton_manifest.json", (old, old))
    dry = api.gc(grace=3600.0, dry_run=True)
    assert [g.key for g in dry.removed] == ["models/m/orphan"] and artifacts.exists(
        "models/m/orphan"
    )
    done = api.gc(grace="1h")
    assert [g.key for g in done.removed] == ["models/m/orphan"]
    assert not artifacts.exists("models/m/orphan")
