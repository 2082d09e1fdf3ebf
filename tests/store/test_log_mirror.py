"""The prediction log shared through S3 (moto on loopback): two hosts, one log.

Each "host" is its own local log folder; they share only the bucket, as servers on
different machines would. What one logs (predictions, refused requests, feedback, a
dead writer's journal) the other reads, and a failed upload is made good later.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from tests.helpers.servers import free_port
from tests.store.test_journal import request

from lepton.serve.predlog import PredictionLog
from lepton.store.journal import Journal, encode_request
from lepton.store.log_mirror import LogMirror
from lepton.store.predictions import PredictionStore

pytestmark = pytest.mark.s3


def _host(tmp_path: Path, name: str, url: str) -> tuple[Path, LogMirror, PredictionStore]:
    logs = tmp_path / name / "logs"
    mirror = LogMirror(logs, url)
    return logs, mirror, PredictionStore(logs, mirror)


def test_what_one_host_logs_the_other_reads(tmp_path: Path, s3_env: str) -> None:
    url = f"{s3_env}/logs"
    logs_a, mirror_a, store_a = _host(tmp_path, "a", url)
    _, _, store_b = _host(tmp_path, "b", url)
    log = PredictionLog(logs_a / "predictions", flush_seconds=3600, mirror=mirror_a)
    try:
        for i in range(20):
            log.append(request(i))
        log.append_error("churn", 429)
        assert log.flush() == 20
    finally:
        log.close()
    seen = store_b.predictions("churn")
    assert sorted(seen["request_id"]) == sorted(f"req-{i}" for i in range(20))
    assert store_b.errors("churn")["status"].tolist() == [429]
    # ground truth sent to host b reaches host a
    result = store_b.add_feedback(
        "churn", pd.DataFrame({"request_id": ["req-3"], "label": ["yes"]})
    )
    assert (result.accepted, result.unknown) == (1, [])
    assert store_a.labelled("churn")["label"].tolist() == ["yes"]


def test_a_dead_writers_journal_reaches_the_other_host(tmp_path: Path, s3_env: str) -> None:
    url = f"{s3_env}/logs"
    logs_a, _, store_a = _host(tmp_path, "a", url)
    _, _, store_b = _host(tmp_path, "b", url)
    journal = Journal(logs_a / "predictions")
    for i in range(5):
        journal.write(encode_request(request(i)))
    os.close(journal._lock_fd)  # the replica dies before any flush: its lock goes with it
    assert store_b.predictions("churn").empty  # nothing was uploaded yet
    store_a.predictions("churn")  # the next reader on host a recovers the journal and shares it
    assert sorted(store_b.predictions("churn")["request_id"]) == [f"req-{i}" for i in range(5)]


def test_a_failed_upload_is_retried(
    tmp_path: Path, s3_env: str, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"{s3_env}/logs"
    logs_a, mirror_a, _ = _host(tmp_path, "a", url)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # S3 is down
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    log = PredictionLog(logs_a / "predictions", flush_seconds=3600, mirror=mirror_a)
    try:
        log.append(request(1))
        assert log.flush() == 1  # durable on host a's disk all the same
        assert not mirror_a.retry()
        monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)  # S3 is back
        assert mirror_a.retry()
    finally:
        log.close()
    _, _, store_b = _host(tmp_path, "b", url)
    assert store_b.predictions("churn")["request_id"].tolist() == ["req-1"]


def test_a_restart_uploads_parts_an_earlier_run_could_not(tmp_path: Path, s3_env: str) -> None:
    url = f"{s3_env}/logs"
    logs_a = tmp_path / "a" / "logs"
    PredictionStore(logs_a).predictions("churn")  # nothing yet
    offline = PredictionLog(logs_a / "predictions", flush_seconds=3600)  # no mirror at all
    try:
        offline.append(request(7))
        offline.flush()
    finally:
        offline.close()
    mirror = LogMirror(logs_a, url)
    assert mirror.push_missing() == 1
    assert mirror.push_missing() == 0
    _, _, store_b = _host(tmp_path, "b", url)
    assert store_b.predictions("churn")["request_id"].tolist() == ["req-7"]
