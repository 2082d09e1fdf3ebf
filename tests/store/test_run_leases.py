"""Run leases: a killed run is reaped as failed with its reason; a live one never is."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from tests.conftest import REPO_ROOT

from lepton.store.heartbeat import Heartbeat
from lepton.store.leases import LEASE_S, process_alive, process_started_at, this_host
from lepton.store.metadata import MetadataStore
from lepton.store.metadata.migrate import alembic_config
from lepton.store.metadata.tables import Run

CHILD = """
import sys, time
from lepton.store.heartbeat import Heartbeat
from lepton.store.metadata import MetadataStore
store = MetadataStore(sys.argv[1])
run = store.start_run("train", name="victim")
Heartbeat(store, run.id, interval_s=0.2).start()
print(run.id, flush=True)
time.sleep(600)
"""


def _set(store: MetadataStore, run_id: str, **values: object) -> None:
    with store.engine.begin() as conn:
        conn.execute(sa.update(Run).where(Run.id == run_id).values(**values))


def _wait_for(predicate: object, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {timeout:g} s")


def test_a_run_records_its_process_and_refreshes_its_lease(store: MetadataStore) -> None:
    run = store.start_run("train", name="adult")
    assert (run.host, run.pid) == (this_host(), os.getpid())
    assert run.heartbeat_at is not None and run.heartbeat_at >= run.started_at
    old = datetime.now(UTC) - timedelta(hours=1)
    _set(store, run.id, heartbeat_at=old)
    assert store.runs.heartbeat(run.id)
    assert store.get_run(run.id).heartbeat_at > old  # type: ignore[operator]
    store.finish_run(run.id)
    assert not store.runs.heartbeat(run.id)  # a finished run has no lease to refresh


def test_the_heartbeat_thread_refreshes_until_the_run_ends(store: MetadataStore) -> None:
    run = store.start_run("train")
    old = datetime.now(UTC) - timedelta(hours=1)
    _set(store, run.id, heartbeat_at=old)
    with Heartbeat(store, run.id, interval_s=0.05) as beat:
        _wait_for(lambda: store.get_run(run.id).heartbeat_at > old, "a heartbeat")  # type: ignore[operator]
        store.finish_run(run.id)
        _wait_for(lambda: not beat._thread.is_alive(), "the heartbeat stopping by itself")


def test_a_live_process_is_never_reaped_however_stale_its_heartbeat(
    store: MetadataStore,
) -> None:
    run = store.start_run("train")  # this very process: alive
    _set(store, run.id, heartbeat_at=datetime.now(UTC) - timedelta(days=3))
    assert store.reap_runs(now=datetime.now(UTC) + timedelta(days=30)) == []
    assert store.get_run(run.id).status == "running"


def test_a_run_killed_with_sigkill_is_reaped_as_failed(store: MetadataStore) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "src"), str(REPO_ROOT)])}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, store.url], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert child.stdout is not None
        ready = selectors.DefaultSelector()
        ready.register(child.stdout, selectors.EVENT_READ)
        assert ready.select(timeout=120), "the child did not open its run within 120 s"
        run_id = child.stdout.readline().strip()  # the child prints it once the run is open
        assert run_id, "the child process died before opening its run"
        record = store.get_run(run_id)
        assert (record.host, record.pid, record.status) == (this_host(), child.pid, "running")
        assert store.reap_runs() == []  # alive: kept
        assert store.get_run(run_id).status == "running"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)
    assert not process_alive(child.pid)
    [reaped] = store.reap_runs()
    assert reaped.id == run_id and reaped.status == "failed"
    assert f"process {child.pid} on host {this_host()} is gone" in (reaped.error or "")
    assert "last heartbeat" in (reaped.error or "")
    stored = store.get_run(run_id)
    assert stored.status == "failed" and stored.ended_at is not None
    assert store.reap_runs() == []  # reaped once


def test_a_run_on_another_host_is_reaped_only_once_its_lease_expires(
    store: MetadataStore,
) -> None:
    run = store.start_run("train")
    beat = datetime.now(UTC)
    _set(store, run.id, host="elsewhere.example", pid=4242, heartbeat_at=beat)
    assert store.reap_runs(now=beat + timedelta(seconds=LEASE_S / 2)) == []
    [reaped] = store.reap_runs(now=beat + timedelta(seconds=LEASE_S + 1))
    assert reaped.id == run.id and reaped.status == "failed"
    assert "process 4242 on host elsewhere.example" in (reaped.error or "")
    assert "lease" in (reaped.error or "")


def test_finished_runs_are_left_alone(store: MetadataStore) -> None:
    run = store.start_run("train")
    store.finish_run(run.id, status="finished")
    _set(
        store, run.id, host="elsewhere.example", heartbeat_at=datetime.now(UTC) - timedelta(days=1)
    )
    assert store.reap_runs() == []
    assert store.get_run(run.id).status == "finished"


@pytest.mark.parametrize(
    "url_kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_the_migration_keeps_old_running_rows_and_reaps_them_by_start_time(
    url_kind: str, tmp_path: object, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite:///{tmp_path}/old.db"
        if url_kind == "sqlite"
        else str(request.getfixturevalue("pg_url"))
    )
    store = MetadataStore(url)
    try:
        config = alembic_config()
        with store.engine.begin() as conn:  # a database from before leases: revision 0002
            config.attributes["connection"] = conn
            command.upgrade(config, "0002")
        started = datetime.now(UTC) - timedelta(hours=2)
        with store.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO runs (id, kind, status, params, metrics, started_at) "
                    "VALUES ('a1b2c3d4', 'train', 'running', '{}', '{}', :t)"
                ),
                {"t": started},
            )
        store.migrate()
        old = store.get_run("a1b2c3d4")
        assert (old.host, old.pid, old.heartbeat_at, old.status) == (None, None, None, "running")
        [reaped] = store.reap_runs()
        assert reaped.id == "a1b2c3d4" and "host unknown" in (reaped.error or "")
    finally:
        store.dispose()


def test_a_pid_reused_by_a_newer_process_does_not_keep_a_run_alive(store: MetadataStore) -> None:
    # this process is alive, but began long after a run that (by its row) was opened 10 days ago
    # by a process with this pid: that process is gone and the pid was handed out again
    run = store.start_run("train")
    long_ago = datetime.now(UTC) - timedelta(days=10)
    _set(store, run.id, started_at=long_ago, heartbeat_at=long_ago)
    if process_started_at(os.getpid()) is None:
        pytest.skip("no /proc: process start times are unknown here")
    [reaped] = store.reap_runs()
    assert reaped.id == run.id and "the pid is now another process" in (reaped.error or "")


def test_a_heartbeating_run_is_kept_even_if_its_pid_looks_newer(store: MetadataStore) -> None:
    run = store.start_run("train")  # fresh heartbeat: it is this (live) process's own run
    _set(store, run.id, started_at=datetime.now(UTC) - timedelta(days=10))
    assert store.reap_runs() == [] and store.get_run(run.id).status == "running"
