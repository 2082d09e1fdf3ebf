"""The scaled shape end to end, through the real CLI: PostgreSQL metadata, ``s3://``
artifacts on moto's server, a Ray cluster of a head and a separate worker node.

ingest → train on Ray → optimize → deploy → serve on Ray Serve → predict → feedback →
monitor → retrain. The monitor and retrain steps run from a second project home (another
host's local folder, sharing only the store, the bucket and the cluster), so what they
read of the prediction log came through the artifact store.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lepton.compute.local_cluster import LocalCluster
from tests.helpers.home import home_env, open_project, run_lepton
from tests.helpers.servers import MOTO_CREDENTIALS, free_port, moto_server, new_bucket
from tests.serve.conftest import churn_frame

pytestmark = pytest.mark.ray_lifecycle

BOUND_S = 240.0


@pytest.fixture()
def scaled_env(
    tmp_path: Path, pg_url: str, ray_cluster: LocalCluster, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """One host's environment on the shared store, bucket and cluster (the S3 client
    variables in this process too: the test reads the bucket itself)."""
    with moto_server() as endpoint:
        aws = {
            **MOTO_CREDENTIALS,
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        for key, value in aws.items():
            monkeypatch.setenv(key, value)
        env = home_env(tmp_path / "host-a")
        env.update(aws)
        env.update(
            {
                "LEPTON_STORE_URL": pg_url,
                "LEPTON_ARTIFACTS_URL": f"s3://{new_bucket(endpoint)}/artifacts",
                "LEPTON_RAY_ADDRESS": ray_cluster.address,
            }
        )
        yield env


def _ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    command = ["serve", "--ray", "--port", str(port), "--poll-seconds", "0.5", "--no-ui"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "lepton", *command, "--replica-cpus", "0.5"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.monotonic() + BOUND_S
    while time.monotonic() < deadline:
        assert proc.poll() is None, "lepton serve --ray exited"
        try:
            ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
            if ready.status_code == 200 and ready.json()["deployments"] == ["churn"]:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise AssertionError(f"lepton serve --ray was not ready within {BOUND_S:g} s")


def _stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=90)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def test_the_scaled_shape_from_ingest_to_retrain(
    scaled_env: dict[str, str], tmp_path: Path
) -> None:
    env = scaled_env
    frame = churn_frame(n=600)
    csv = tmp_path / "churn.csv"
    frame.to_csv(csv, index=False)
    _ok(run_lepton(env, "data", "add", str(csv), "--name", "churn", "--target", "y"))
    _ok(run_lepton(env, "train", "churn", "--time-limit", "30", "--families", "linear,lightgbm"))
    project = open_project(env)
    try:
        (version,) = project.metadata.list_model_versions("churn")
        assert any("Ray tasks" in note for note in version.metadata["notes"])
        assert project.artifacts.url.startswith("s3://") and project.artifacts.exists(
            version.artifact_key
        )
    finally:
        project.close()
    _ok(run_lepton(env, "optimize", "churn"))
    _ok(run_lepton(env, "deploy", "churn"))
    key = _ok(run_lepton(env, "keys", "create", "e2e", "--scope", "predict"))
    key = key.splitlines()[0].rsplit(": ", 1)[1].strip()

    port = free_port()
    server = _serve(env, port)
    try:
        headers = {"Authorization": f"Bearer {key}"}
        inputs = frame.drop(columns="y")
        ids: list[tuple[str, str]] = []
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60) as c:
            for start in range(0, 300, 50):
                chunk = inputs.iloc[start : start + 50]
                answer = c.post(
                    "/v1/deployments/churn/predict",
                    json={"records": json.loads(chunk.to_json(orient="records"))},
                )
                assert answer.status_code == 200, answer.text
                assert len(answer.json()["predictions"]) == len(chunk)
                rid = answer.json()["request_id"]
                ids += [(rid, str(label)) for label in frame["y"].iloc[start : start + 50]]
            feedback = c.post(
                "/v1/deployments/churn/feedback",
                json={
                    "feedback": [
                        {"request_id": rid, "row": i % 50, "label": label}
                        for i, (rid, label) in enumerate(ids)
                    ]
                },
            )
        assert feedback.status_code == 200, feedback.text
        assert feedback.json() == {"accepted": 300, "updated": 0, "unknown": []}
    finally:
        assert _stop(server) == 0  # replicas flush their log and upload it as they stop

    # another host: its own local folder, the same store, bucket and cluster
    other = {**env, "LEPTON_HOME": str(tmp_path / "host-b")}
    summary = json.loads(_ok(run_lepton(other, "monitor", "churn", "--json", "--no-alerts")))
    assert summary["requests"] == 6 and summary["rows"] == 300
    assert summary["labelled_rows"] == 300
    assert 0.5 < summary["live_accuracy_v1"] <= 1.0
    retrained = _ok(run_lepton(other, "retrain", "churn", "--time-limit", "20"))
    assert "champion" in retrained
    project = open_project(other)
    try:
        versions = project.metadata.list_model_versions("churn")
        assert len(versions) == 2  # the challenger was trained and registered on the cluster
        events = project.metadata.deployment_history("churn").items
        assert events[0].action in ("retrain", "deploy")
    finally:
        project.close()
