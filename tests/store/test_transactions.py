"""The shared write path: a collision on a ``max + 1`` number reruns the whole transaction,
anything else ends it at once, and the loser's partial work never lands."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from lepton.errors import NotFoundError, StoreError
from lepton.store.metadata import MetadataStore
from lepton.store.metadata.engine import make_engine
from lepton.store.metadata.tables import Dataset, DatasetVersion, Run, utcnow
from lepton.store.metadata.transactions import Transactions, next_version


def _run(run_id: str) -> Run:
    return Run(id=run_id, kind="test", status="running", params={}, metrics={}, started_at=utcnow())


def _version(dataset_id: int, version: int, content: str) -> DatasetVersion:
    return DatasetVersion(
        dataset_id=dataset_id,
        version=version,
        content_hash=content,
        artifact_key=f"datasets/adult/{content}",
        n_rows=1,
        n_cols=1,
        schema_json={},
        profile_json={},
    )


def _stored(store: MetadataStore) -> tuple[list[int], list[str]]:
    with Session(store.engine) as session:
        versions = session.scalars(
            select(DatasetVersion.version).order_by(DatasetVersion.version)
        ).all()
        runs = session.scalars(select(Run.id).order_by(Run.id)).all()
    return list(versions), list(runs)


def _failing(error: Exception, times: int, calls: list[int]) -> Callable[[], str]:
    """An action that raises ``error`` on its first ``times`` calls, then returns "done"."""

    def action() -> str:
        calls.append(len(calls) + 1)
        if len(calls) <= times:
            raise error
        return "done"

    return action


def _integrity() -> IntegrityError:
    return IntegrityError("INSERT ...", {}, Exception("UNIQUE constraint failed"))


def _operational(message: str) -> OperationalError:
    return OperationalError("INSERT ...", {}, Exception(message))


def test_a_unique_collision_reruns_the_transaction_and_the_rerun_succeeds(
    store: MetadataStore,
) -> None:
    store.add_dataset_version(
        "adult", content_hash="v1", artifact_key="k", n_rows=1, n_cols=1, schema={}, profile={}
    )
    attempts: list[int] = []

    def work(session: Session) -> int:
        attempts.append(len(attempts) + 1)
        session.add(_run(f"attempt{len(attempts)}"))  # must vanish with a losing attempt
        dataset_id = session.scalar(select(Dataset.id).where(Dataset.name == "adult"))
        assert dataset_id is not None
        # The first attempt takes number 1 as a writer with a stale ``max`` would.
        number = (
            1
            if len(attempts) == 1
            else next_version(
                session, DatasetVersion.version, DatasetVersion.dataset_id, dataset_id
            )
        )
        session.add(_version(dataset_id, number, f"v{len(attempts) + 1}"))
        session.flush()
        return number

    assert store.transactions.write(work) == 2
    assert attempts == [1, 2]
    assert _stored(store) == ([1, 2], ["attempt2"])


def test_an_error_raised_by_the_write_itself_is_not_retried(store: MetadataStore) -> None:
    calls: list[int] = []

    def work(session: Session) -> None:
        calls.append(1)
        session.add(_run("refused"))
        session.flush()
        raise NotFoundError("no such thing")

    with pytest.raises(NotFoundError, match="no such thing"):
        store.transactions.write(work)
    assert calls == [1]
    assert _stored(store) == ([], [])


def test_next_version_counts_per_owner_from_one(store: MetadataStore) -> None:
    def work(session: Session) -> list[int]:
        first, second = Dataset(name="a"), Dataset(name="b")
        session.add_all([first, second])
        session.flush()
        session.add_all([_version(first.id, 1, "x"), _version(first.id, 4, "y")])
        session.flush()
        return [
            next_version(session, DatasetVersion.version, DatasetVersion.dataset_id, owner)
            for owner in (first.id, second.id)
        ]

    assert store.transactions.write(work) == [5, 1]


def test_a_locked_database_is_retried() -> None:
    calls: list[int] = []
    retrying = Transactions(create_engine("sqlite://"), attempts=3)
    assert retrying.retry(_failing(_operational("database is locked"), 2, calls)) == "done"
    assert calls == [1, 2, 3]


def test_any_other_database_failure_is_not_retried_and_becomes_a_store_error() -> None:
    calls: list[int] = []
    retrying = Transactions(create_engine("sqlite://"), attempts=3)
    with pytest.raises(StoreError, match="failed: disk I/O error"):
        retrying.retry(_failing(_operational("disk I/O error"), 1, calls))
    assert calls == [1]


def test_collisions_past_the_last_attempt_become_a_store_error_without_the_password() -> None:
    calls: list[int] = []
    retrying = Transactions(make_engine("postgresql://lepton:s3cret@127.0.0.1:1/db"), attempts=3)
    with pytest.raises(StoreError, match="rejected the write") as raised:
        retrying.retry(_failing(_integrity(), 3, calls))
    assert calls == [1, 2, 3]
    assert "s3cret" not in str(raised.value) and "lepton:***@127.0.0.1" in str(raised.value)
