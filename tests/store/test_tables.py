"""``to_record()`` round trips: values written through the schema come back, read from the
database, as exactly the record they describe (timestamps as aware UTC on both backends)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.orm import Session

from lepton.store.metadata import MetadataStore
from lepton.store.metadata.records import (
    AlertRecord,
    AliasEventRecord,
    ApiKeyRecord,
    DatasetVersionRecord,
    DeploymentRecord,
    ModelVersionRecord,
    RunRecord,
)
from lepton.store.metadata.tables import (
    Alert,
    AliasEvent,
    ApiKey,
    Base,
    Dataset,
    DatasetVersion,
    Deployment,
    ModelVersion,
    RegisteredModel,
    Run,
    as_utc,
)

WHEN = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
LATER = WHEN + timedelta(minutes=5, seconds=30)


def _reloaded(store: MetadataStore, row: Base, *parents: Base) -> Any:
    """``row`` written (after the rows it refers to) and read back in a fresh session."""
    with Session(store.engine) as session, session.begin():
        for each in [*parents, row]:  # one flush each: no relationships order the inserts
            session.add(each)
            session.flush()
        key = session.identity_key(instance=row)[1]
    with Session(store.engine) as session:
        fresh = session.get(type(row), key)
        assert fresh is not None and fresh is not row
        return fresh


def _dataset_parents() -> list[Base]:
    return [
        Dataset(id=7, name="adult", created_at=WHEN),
        DatasetVersion(
            id=11,
            dataset_id=7,
            version=3,
            content_hash="c" * 64,
            artifact_key="datasets/adult/3",
            n_rows=48842,
            n_cols=15,
            schema_json={"columns": [{"name": "age", "dtype": "int64"}]},
            profile_json={"n_rows": 48842},
            recipe_json=[{"step": "dedupe"}],
            target="income",
            source="adult.csv",
            parent_version=2,
            created_at=WHEN,
        ),
    ]


def _run(**changes: Any) -> Run:
    values: dict[str, Any] = {
        "id": "a" * 32,
        "kind": "train",
        "name": "adult",
        "status": "finished",
        "params": {"time_limit": 60},
        "metrics": {"auc": 0.93},
        "dataset_version_id": None,
        "started_at": WHEN,
        "ended_at": LATER,
        "duration_s": 330.0,
        "error": None,
    }
    return Run(**{**values, **changes})


def test_a_dataset_version_row_maps_to_its_record(store: MetadataStore) -> None:
    *parents, row = _dataset_parents()
    record = _reloaded(store, row, *parents).to_record("adult")
    assert record == DatasetVersionRecord(
        id=11,
        name="adult",
        version=3,
        content_hash="c" * 64,
        artifact_key="datasets/adult/3",
        n_rows=48842,
        n_cols=15,
        schema={"columns": [{"name": "age", "dtype": "int64"}]},
        profile={"n_rows": 48842},
        recipe=[{"step": "dedupe"}],
        target="income",
        source="adult.csv",
        parent_version=2,
        created_at=WHEN,
    )


@pytest.mark.parametrize("ended_at", [LATER, None], ids=["finished", "running"])
def test_a_run_row_maps_to_its_record(store: MetadataStore, ended_at: datetime | None) -> None:
    row = _run(dataset_version_id=11, ended_at=ended_at)
    record = _reloaded(store, row, *_dataset_parents()).to_record()
    assert record == RunRecord(
        id="a" * 32,
        kind="train",
        name="adult",
        status="finished",
        params={"time_limit": 60},
        metrics={"auc": 0.93},
        dataset_version_id=11,
        started_at=WHEN,
        ended_at=ended_at,
        duration_s=330.0,
        error=None,
    )


def test_a_model_version_row_maps_to_its_record(store: MetadataStore) -> None:
    row = ModelVersion(
        id=21,
        model_id=5,
        version=2,
        artifact_key="models/churn/2",
        task="binary",
        run_id="a" * 32,
        dataset_version_id=11,
        metrics={"auc": 0.9},
        meta={"families": ["lightgbm"]},
        created_at=WHEN,
    )
    parents = [*_dataset_parents(), _run(), RegisteredModel(id=5, name="churn", task="binary")]
    record = _reloaded(store, row, *parents).to_record("churn", ["production"])
    assert record == ModelVersionRecord(
        id=21,
        name="churn",
        version=2,
        artifact_key="models/churn/2",
        task="binary",
        run_id="a" * 32,
        dataset_version_id=11,
        metrics={"auc": 0.9},
        metadata={"families": ["lightgbm"]},
        created_at=WHEN,
        aliases=["production"],
    )


def test_an_alias_event_row_maps_to_its_record(store: MetadataStore) -> None:
    row = AliasEvent(
        id=31,
        model_id=5,
        alias="production",
        from_version=1,
        to_version=None,
        actor="alice",
        reason="rolled back",
        created_at=WHEN,
    )
    record = _reloaded(store, row, RegisteredModel(id=5, name="churn")).to_record("churn")
    assert record == AliasEventRecord(
        id=31,
        model="churn",
        alias="production",
        from_version=1,
        to_version=None,
        actor="alice",
        reason="rolled back",
        created_at=WHEN,
    )


def test_a_deployment_row_maps_to_its_record(store: MetadataStore) -> None:
    row = Deployment(
        id=41,
        name="churn-api",
        model="churn@production",
        config={"canary": 0.1},
        status="running",
        created_at=WHEN,
        updated_at=LATER,
    )
    assert _reloaded(store, row).to_record() == DeploymentRecord(
        id=41,
        name="churn-api",
        model="churn@production",
        config={"canary": 0.1},
        status="running",
        created_at=WHEN,
        updated_at=LATER,
    )


def test_an_api_key_row_maps_to_its_record_without_the_hash(store: MetadataStore) -> None:
    row = ApiKey(
        id=51,
        name="ci",
        prefix="lep_abcdef",
        key_hash="f" * 64,
        scopes=["predict", "admin"],
        created_at=WHEN,
        last_used_at=None,
        revoked_at=LATER,
    )
    record = _reloaded(store, row).to_record()
    assert record == ApiKeyRecord(
        id=51,
        name="ci",
        prefix="lep_abcdef",
        scopes=["predict", "admin"],
        created_at=WHEN,
        last_used_at=None,
        revoked_at=LATER,
    )
    assert not record.active and "f" * 64 not in repr(record)


def test_an_alert_row_maps_to_its_record(store: MetadataStore) -> None:
    row = Alert(
        id=61,
        deployment="churn-api",
        rule="error-rate",
        kind="error_rate",
        message="error rate 12% > 5%",
        value=0.12,
        threshold=None,
        details={"window": "1h"},
        delivered=True,
        fired_at=WHEN,
    )
    assert _reloaded(store, row).to_record() == AlertRecord(
        id=61,
        deployment="churn-api",
        rule="error-rate",
        kind="error_rate",
        message="error rate 12% > 5%",
        value=0.12,
        threshold=None,
        details={"window": "1h"},
        delivered=True,
        fired_at=WHEN,
    )


def test_as_utc_marks_a_naive_time_as_utc_and_keeps_an_aware_one() -> None:
    naive = WHEN.replace(tzinfo=None)
    assert as_utc(naive) == WHEN and as_utc(naive).tzinfo is UTC
    eastern = WHEN.astimezone(timezone(timedelta(hours=-5)))
    assert as_utc(eastern) is eastern
