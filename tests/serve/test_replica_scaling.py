"""A deployment's Ray Serve autoscaling (``--min-replicas`` …): stored, checked, recorded.

Only ``lepton serve --ray`` acts on it (tests/cluster/test_serve_on_ray.py); these tests
need no cluster: the settings live in the deployment's row like its batching does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lepton.errors import DataError
from lepton.serve.deployments import ReplicaScaling, deploy, describe_change, get_spec
from lepton.store.project import Project
from tests.helpers.home import home_env, open_project, run_lepton
from tests.helpers.servers import free_port


@pytest.fixture()
def project(tmp_path: Path) -> Iterator[Project]:
    """A registered churn version (metadata only: deploying reads no artifact)."""
    opened = open_project(home_env(tmp_path / "home"))
    opened.metadata.register_model_version("churn", artifact_key="models/churn/x")
    yield opened
    opened.close()


def test_a_new_deployment_runs_one_replica_and_keeps_what_is_set(project: Project) -> None:
    first = deploy(project, "churn@1", actor="python")
    assert (first.min_replicas, first.max_replicas) == (1, 1)
    scaled = deploy(project, "churn@1", replicas=ReplicaScaling(2, 4, 8.0), actor="cli")
    assert (scaled.min_replicas, scaled.max_replicas, scaled.target_ongoing_requests) == (2, 4, 8)
    # a later change that does not mention scaling keeps it
    deploy(project, "churn@1", max_batch_size=32, actor="cli")
    kept = get_spec(project, "churn")
    assert (kept.min_replicas, kept.max_replicas, kept.max_batch_size) == (2, 4, 32)
    event = project.metadata.deployment_history("churn").items[1]
    assert event.detail["settings"]["max_replicas"] == [1, 4]
    assert "min_replicas 1 → 2" in describe_change(event.detail)


def test_a_lone_minimum_lifts_the_maximum(project: Project) -> None:
    spec = deploy(project, "churn@1", replicas=ReplicaScaling(min_replicas=3), actor="python")
    assert (spec.min_replicas, spec.max_replicas) == (3, 3)


@pytest.mark.parametrize(
    ("scaling", "message"),
    [
        (ReplicaScaling(min_replicas=0), "--min-replicas must be positive"),
        (ReplicaScaling(max_replicas=0), "--max-replicas must be positive"),
        (ReplicaScaling(3, 2), r"--max-replicas \(2\) must be at least --min-replicas \(3\)"),
        (ReplicaScaling(target_ongoing_requests=0), "--target-ongoing-requests must be"),
    ],
)
def test_bad_scaling_is_refused_and_nothing_is_written(
    project: Project, scaling: ReplicaScaling, message: str
) -> None:
    with pytest.raises(DataError, match=message):
        deploy(project, "churn@1", replicas=scaling, actor="python")
    assert project.metadata.list_deployments() == []


def test_the_cli_refuses_bad_flags_in_one_line(tmp_path: Path) -> None:
    env = home_env(tmp_path / "home")
    open_project(env).metadata.register_model_version("churn", artifact_key="models/churn/x")
    done = run_lepton(env, "deploy", "churn", "--min-replicas", "4", "--max-replicas", "2")
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "--max-replicas (2) must be at least" in lines[0], done.stderr


def test_serve_on_ray_without_a_cluster_address_says_how_to_get_one(tmp_path: Path) -> None:
    env = home_env(tmp_path / "home")
    env.pop("LEPTON_RAY_ADDRESS", None)
    done = run_lepton(env, "serve", "--ray")
    assert done.returncode != 0
    assert "--ray needs a cluster: set LEPTON_RAY_ADDRESS" in done.stderr, done.stderr


def test_serve_on_an_unreachable_cluster_is_one_line(tmp_path: Path) -> None:
    env = home_env(tmp_path / "home")
    env["LEPTON_RAY_ADDRESS"] = f"127.0.0.1:{free_port()}"  # nobody listens there
    done = run_lepton(env, "serve", "--ray")
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot reach the Ray cluster" in lines[0], done.stderr
