"""The prediction journal: what was appended survives the process, exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

from lepton.serve.predlog import LoggedRequest, PredictionLog
from lepton.store.journal import Journal, decode_segment, encode_request, journal_folder, recover
from lepton.store.prediction_rows import write_groups
from lepton.store.predictions import PredictionStore

REPO_ROOT = Path(__file__).resolve().parents[2]


def request(i: int, deployment: str = "churn") -> LoggedRequest:
    return LoggedRequest(
        f"req-{i}",
        time.time(),
        deployment,
        "churn",
        1,
        "primary",
        2.5,
        [{"x": float(i), "color": "red"}],
        np.array([[0.25, 0.75]]),
        ["no", "yes"],
    )


def test_appended_requests_survive_a_kill_before_any_flush(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(REPO_ROOT)!r})
        from pathlib import Path
        from tests.store.test_journal import request
        from lepton.serve.predlog import PredictionLog
        log = PredictionLog(Path({str(tmp_path / "predictions")!r}), flush_seconds=3600)
        for i in range(50):
            log.append(request(i))
        log.append_error("churn", 422)
        print("appended", flush=True)
        time.sleep(600)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"appended"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    store = PredictionStore(tmp_path)
    logged = store.predictions("churn")
    assert sorted(logged["request_id"]) == sorted(f"req-{i}" for i in range(50))
    assert logged["out_p_yes"].tolist() == [0.75] * 50
    assert store.errors("churn")["status"].tolist() == [422]
    assert list(journal_folder(tmp_path / "predictions").iterdir()) == []  # all converted


def test_recovery_skips_what_a_deployment_already_holds(tmp_path: Path) -> None:
    """A crash between "parts written" and "segment deleted" must not log rows twice."""
    root = tmp_path / "predictions"
    journal = Journal(root)
    for i in range(3):
        journal.write(encode_request(request(i, "a")))
        journal.write(encode_request(request(i, "b")))
    (segment,) = journal.seal()
    requests, _ = decode_segment(segment)
    # deployment "a" made it to Parquet before the crash, "b" did not
    tag = f"{journal.writer}-00000000"
    write_groups(root, {"a": [r for r in requests if r.deployment == "a"]}, [], tag=tag)
    os.close(journal._lock_fd)  # the process dies: its lock goes with it
    assert recover(root) == 3
    store = PredictionStore(tmp_path)
    assert sorted(store.predictions("a")["request_id"]) == ["req-0", "req-1", "req-2"]
    assert sorted(store.predictions("b")["request_id"]) == ["req-0", "req-1", "req-2"]
    assert not segment.exists()


def test_a_live_writers_journal_is_left_to_it(tmp_path: Path) -> None:
    root = tmp_path / "predictions"
    log = PredictionLog(root, flush_seconds=3600)
    try:
        log.append(request(1))
        assert recover(root) == 0  # its lock is held: not a dead writer's journal
        assert PredictionStore(tmp_path).predictions("churn").empty
        assert log.flush() == 1
        assert PredictionStore(tmp_path).predictions("churn")["request_id"].tolist() == ["req-1"]
    finally:
        log.close()
    assert list(journal_folder(root).iterdir()) == []


def test_a_torn_last_line_is_skipped(tmp_path: Path) -> None:
    root = tmp_path / "predictions"
    journal = Journal(root)
    journal.write(encode_request(request(1)))
    journal.write(encode_request(request(2))[:40])  # a power loss tore the last write
    (segment,) = journal.seal()
    requests, errors = decode_segment(segment)
    assert [r.request_id for r in requests] == ["req-1"] and errors == []
