"""Deployment history: each change's event is written in the change's own transaction
(both or neither), and read back newest first, a page at a time, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from lepton.store.metadata import MetadataStore
from lepton.store.metadata.records import DeploymentChange
from lepton.store.metadata.repositories import deployments as repo_module

ROUTES_1 = {"routes": [{"version": 1, "weight": 100.0}], "shadows": []}
ROUTES_12 = {
    "routes": [{"version": 1, "weight": 80.0}, {"version": 2, "weight": 20.0}],
    "shadows": [],
}


def _change(action: str, before: object, after: object, actor: str = "cli") -> DeploymentChange:
    return DeploymentChange(action, actor, None, {"before": before, "after": after})


def test_the_migration_creates_the_table_and_its_index(store: MetadataStore) -> None:
    inspector = inspect(store.engine)
    assert "deployment_events" in inspector.get_table_names()
    indexes = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("deployment_events")}
    assert indexes["ix_deployment_events_deployment_created_at"] == ["deployment", "created_at"]


def test_an_event_is_written_with_the_change(store: MetadataStore) -> None:
    store.upsert_deployment(
        "churn", model="churn", config=ROUTES_1, event=_change("deploy", None, ROUTES_1)
    )
    store.upsert_deployment(
        "churn",
        model="churn",
        config=ROUTES_12,
        event=DeploymentChange(
            "canary", "api:ops", "try v2", {"before": ROUTES_1, "after": ROUTES_12}
        ),
    )
    page = store.deployment_history("churn")
    assert page.total == 2
    latest, first = page.items
    assert (latest.deployment, latest.action, latest.actor, latest.reason) == (
        "churn",
        "canary",
        "api:ops",
        "try v2",
    )
    assert latest.detail == {"before": ROUTES_1, "after": ROUTES_12}
    assert latest.created_at.tzinfo is not None
    assert (first.action, first.actor, first.detail["before"]) == ("deploy", "cli", None)


def test_an_upsert_without_an_event_records_nothing(store: MetadataStore) -> None:
    store.upsert_deployment("quiet", model="churn", config=ROUTES_1)
    assert store.deployment_history("quiet").total == 0


def test_a_failed_event_insert_leaves_the_config_unchanged(
    store: MetadataStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.upsert_deployment("churn", model="churn", config=ROUTES_1)

    def broken(session: Session, name: str, event: DeploymentChange) -> None:
        session.flush()  # the config update has reached the database in this transaction
        raise RuntimeError("event insert failed")

    monkeypatch.setattr(repo_module, "_record_event", broken)
    with pytest.raises(RuntimeError, match="event insert failed"):
        store.upsert_deployment(
            "churn", model="churn", config=ROUTES_12, event=_change("canary", ROUTES_1, ROUTES_12)
        )
    assert store.get_deployment("churn").config == ROUTES_1
    with pytest.raises(RuntimeError):
        store.upsert_deployment(
            "fresh", model="churn", config=ROUTES_1, event=_change("deploy", None, ROUTES_1)
        )
    assert [d.name for d in store.list_deployments()] == ["churn"]
    monkeypatch.undo()
    assert store.deployment_history("churn").total == 0


def test_history_is_newest_first_and_paged(store: MetadataStore) -> None:
    for i in range(7):
        store.upsert_deployment(
            "paged",
            model="churn",
            config=ROUTES_1,
            event=_change("deploy", None, ROUTES_1, f"a{i}"),
        )
    store.upsert_deployment(
        "other", model="churn", config=ROUTES_1, event=_change("deploy", None, ROUTES_1)
    )
    first = store.deployment_history("paged", limit=3)
    assert [e.actor for e in first.items] == ["a6", "a5", "a4"]
    assert (first.total, first.has_next, first.has_previous) == (7, True, False)
    last = store.deployment_history("paged", offset=6, limit=3)
    assert [e.actor for e in last.items] == ["a0"] and not last.has_next and last.has_previous
    assert store.deployment_history("never-deployed").total == 0


def test_a_delete_is_recorded_and_the_history_outlives_it(store: MetadataStore) -> None:
    store.upsert_deployment(
        "gone", model="churn", config=ROUTES_1, event=_change("deploy", None, ROUTES_1)
    )
    store.delete_deployment("gone", actor="cli", reason="retired")
    latest = store.deployment_history("gone").items[0]
    assert (latest.action, latest.actor, latest.reason) == ("delete", "cli", "retired")
    assert latest.detail["before"] == ROUTES_1 and latest.detail["after"] is None
    assert store.deployment_history("gone").total == 2
