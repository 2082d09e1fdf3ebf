"""Who changed a deployment: library calls record their actor and the routes before and
after; the HTTP admin API records the admin key's name (``api:<key name>``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lepton.serve.deployments import deploy, describe_change, promote, rollback
from lepton.store.project import Project
from tests.helpers.home import home_env, open_project
from tests.serve.conftest import ServedProject, Server


@pytest.fixture()
def project(tmp_path: Path) -> Iterator[Project]:
    """Two registered churn versions (metadata only: deploying reads no artifact)."""
    opened = open_project(home_env(tmp_path / "home"))
    for _ in range(2):
        opened.metadata.register_model_version("churn", artifact_key="models/churn/x")
    yield opened
    opened.close()


def test_library_changes_record_actor_action_and_before_after(project: Project) -> None:
    deploy(project, "churn@1", name="churn", actor="python")
    deploy(project, "churn@2", name="churn", canary_percent=20, actor="cli", reason="try v2")
    promote(project, "churn", actor="ui:ops")
    rollback(project, "churn", actor="api:ops", reason="v2 is slower")
    events = project.metadata.deployment_history("churn").items
    assert [(e.action, e.actor) for e in events] == [
        ("rollback", "api:ops"),
        ("promote", "ui:ops"),
        ("canary", "cli"),
        ("deploy", "python"),
    ]
    back, promoted, canary, first = events
    assert first.detail["before"] is None
    assert describe_change(first.detail) == "(new) → v1 100%"
    assert canary.reason == "try v2" and canary.detail["version"] == 2
    assert describe_change(canary.detail) == "v1 100% → v1 80%, v2 20%"
    assert promoted.detail["after"] == {"routes": [{"version": 2, "weight": 100.0}], "shadows": []}
    assert describe_change(promoted.detail) == "v1 80%, v2 20% → v2 100%"
    assert (back.reason, back.detail["version"]) == ("v2 is slower", 1)
    assert describe_change(back.detail) == "v2 100% → v1 100%"


def test_a_refused_change_records_nothing(project: Project) -> None:
    deploy(project, "churn@1", name="churn", actor="python")
    with pytest.raises(Exception, match="no canary"):
        promote(project, "churn", actor="python")
    assert project.metadata.deployment_history("churn").total == 1


def test_the_admin_api_records_the_key_name(served: ServedProject, server: Server) -> None:
    name = f"churn-{uuid.uuid4().hex[:10]}"
    admin = server.client(served.keys["admin"])
    try:
        answer = admin.put(f"/v1/deployments/{name}", json={"model": "churn@1"})
        assert answer.status_code == 200, answer.text
        answer = admin.put(
            f"/v1/deployments/{name}", json={"model": "churn@2", "canary_percent": 10}
        )
        assert answer.status_code == 200, answer.text
        answer = admin.post(f"/v1/deployments/{name}/promote", json={"reason": "canary is fine"})
        assert answer.status_code == 200, answer.text
        events = served.project.metadata.deployment_history(name).items
        assert [(e.action, e.actor) for e in events] == [
            ("promote", "api:test-admin"),
            ("canary", "api:test-admin"),
            ("deploy", "api:test-admin"),
        ]
        assert events[0].reason == "canary is fine"
        assert describe_change(events[0].detail) == "v1 90%, v2 10% → v2 100%"
    finally:
        served.project.metadata.delete_deployment(name)
