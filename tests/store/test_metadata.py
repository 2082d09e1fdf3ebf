from __future__ import annotations

import multiprocessing as mp
import time

import pytest
import sqlalchemy as sa

from lepton.errors import ConflictError, InvalidNameError, NotFoundError
from lepton.store.metadata import MetadataStore
from lepton.store.metadata.migrate import current_revision, head_revision


def _add(store: MetadataStore, name: str, content: str, **kw: object) -> tuple[object, bool]:
    return store.add_dataset_version(
        name,
        content_hash=content,
        artifact_key=f"datasets/{name}/{content}",
        n_rows=3,
        n_cols=2,
        schema={"columns": []},
        profile={"n_rows": 3},
        **kw,  # type: ignore[arg-type]
    )


def test_migrate_is_idempotent_and_reaches_head(store: MetadataStore) -> None:
    store.migrate()
    assert current_revision(store.engine) == head_revision()
    tables = set(sa.inspect(store.engine).get_table_names())
    assert {
        "datasets",
        "dataset_versions",
        "runs",
        "models",
        "model_versions",
        "model_aliases",
        "alias_events",
        "deployments",
        "api_keys",
    } <= tables


def test_dataset_versions_are_numbered_and_content_addressed(store: MetadataStore) -> None:
    first, created = _add(store, "adult", "aaa")
    again, created_again = _add(store, "adult", "aaa")
    second, _ = _add(store, "adult", "bbb", parent_version=1, recipe=[{"step": "dedupe"}])
    assert created and not created_again
    assert (first.version, again.version, second.version) == (1, 1, 2)  # type: ignore[attr-defined]
    latest = store.get_dataset_version("adult")
    assert (
        latest.version == 2 and latest.parent_version == 1 and latest.recipe == [{"step": "dedupe"}]
    )
    assert store.get_dataset_version("adult", 1).content_hash == "aaa"
    [summary] = store.list_datasets()
    assert (summary.name, summary.latest_version, summary.n_versions) == ("adult", 2, 2)
    assert [v.version for v in store.list_dataset_versions("adult")] == [1, 2]


def test_missing_dataset_and_version_name_what_exists(store: MetadataStore) -> None:
    _add(store, "adult", "aaa")
    with pytest.raises(NotFoundError, match="versions: 1"):
        store.get_dataset_version("adult", 7)
    with pytest.raises(NotFoundError, match="lepton data add"):
        store.get_dataset_version("nope")
    with pytest.raises(InvalidNameError):
        _add(store, "../etc", "x")


def test_runs_record_params_metrics_status_and_timing(store: MetadataStore) -> None:
    run = store.start_run("train", params={"time_limit": 60}, name="adult")
    assert run.status == "running" and run.ended_at is None
    store.log_metrics(run.id, {"trials": 3})
    done = store.finish_run(run.id, status="finished", metrics={"auc": 0.93})
    assert done.status == "finished" and done.metrics == {"trials": 3, "auc": 0.93}
    assert done.duration_s is not None and done.duration_s >= 0
    assert store.get_run(run.id[:8]).id == run.id
    failed = store.start_run("train")
    store.finish_run(failed.id, status="failed", error="boom")
    assert [r.status for r in store.list_runs()] == ["failed", "finished"]
    with pytest.raises(NotFoundError):
        store.get_run("0" * 32)


def test_model_versions_aliases_and_their_history(store: MetadataStore) -> None:
    for i in range(3):
        record = store.register_model_version(
            "churn", artifact_key=f"models/churn/{i}", task="binary", metrics={"auc": 0.8 + i / 100}
        )
        assert record.version == i + 1
    store.set_alias("churn", "production", 1, actor="alice")
    store.set_alias("churn", "staging", 3)
    store.set_alias("churn", "production", 2, actor="bob", reason="beats v1")
    assert store.get_model_version("churn", "production").version == 2
    assert store.get_model_version("churn", "production").aliases == ["production"]
    assert store.get_model_version("churn").version == 3
    assert store.get_model_version("churn", 1).metrics == {"auc": 0.8}
    history = store.alias_history("churn", "production")
    assert [(e.from_version, e.to_version, e.actor) for e in history] == [
        (None, 1, "alice"),
        (1, 2, "bob"),
    ]
    removed = store.delete_alias("churn", "staging")
    assert (removed.from_version, removed.to_version) == (3, None)
    [summary] = store.list_models()
    assert summary.aliases == {"production": 2} and summary.n_versions == 3
    with pytest.raises(NotFoundError, match="no alias"):
        store.get_model_version("churn", "staging")
    with pytest.raises(NotFoundError):
        store.set_alias("churn", "production", 9)
    with pytest.raises(ConflictError):
        store.set_alias("churn", "7", 1)


def test_deployments_upsert_list_delete(store: MetadataStore) -> None:
    store.upsert_deployment("churn-api", model="churn@production", config={"canary": 0.1})
    updated = store.upsert_deployment("churn-api", model="churn@3", status="running")
    assert updated.model == "churn@3" and updated.status == "running" and updated.config == {}
    assert [d.name for d in store.list_deployments()] == ["churn-api"]
    store.delete_deployment("churn-api")
    with pytest.raises(NotFoundError):
        store.get_deployment("churn-api")


def test_api_keys_are_stored_hashed_and_can_be_revoked(store: MetadataStore) -> None:
    token, record = store.create_api_key("ci", scopes=["predict", "admin"])
    assert token.startswith("lep_") and len(token) > 40
    with store.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT key_hash, prefix FROM api_keys")).one()
    assert token not in stored.key_hash and stored.key_hash != token and len(stored.key_hash) == 64
    verified = store.verify_api_key(token)
    assert verified is not None and verified.id == record.id and verified.last_used_at is not None
    assert store.verify_api_key(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert store.verify_api_key("not-a-key") is None
    store.revoke_api_key(record.id)
    assert store.verify_api_key(token) is None
    assert not store.list_api_keys()[0].active


def _register_many(url: str, name: str, count: int, start: mp.synchronize.Event) -> None:
    store = MetadataStore(url)
    start.wait(10)
    for i in range(count):
        store.register_model_version(name, artifact_key=f"models/{name}/{i}")
        store.add_dataset_version(
            name,
            content_hash=f"{mp.current_process().pid}-{i}",
            artifact_key="k",
            n_rows=1,
            n_cols=1,
            schema={},
            profile={},
        )
    store.dispose()


def test_two_processes_registering_at_once_lose_nothing(
    store: MetadataStore, store_url: str
) -> None:
    ctx = mp.get_context("spawn")
    start = ctx.Event()
    count = 15
    procs = [
        ctx.Process(target=_register_many, args=(store_url, "shared", count, start))
        for _ in range(2)
    ]
    for proc in procs:
        proc.start()
    time.sleep(0.5)
    start.set()
    for proc in procs:
        proc.join(120)
        assert proc.exitcode == 0
    versions = [v.version for v in store.list_model_versions("shared")]
    assert versions == list(range(1, 2 * count + 1))  # gap-free, no duplicates, none lost
    assert [v.version for v in store.list_dataset_versions("shared")] == list(
        range(1, 2 * count + 1)
    )
