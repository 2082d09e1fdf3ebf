"""Paginated store queries for the dashboard, on SQLite and on the real PostgreSQL server:
order, offsets, totals and filters are the database's, and match the unpaginated listings."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import insert, inspect, update

from lepton.errors import InvalidNameError, NotFoundError
from lepton.store.metadata import MetadataStore
from lepton.store.metadata.records import MAX_PAGE_LIMIT, Page
from lepton.store.metadata.tables import Alert, Run

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _runs(store: MetadataStore, specs: list[dict[str, Any]]) -> list[str]:
    """Insert runs directly (controlled start times); returns their ids in ``specs`` order."""
    rows = []
    for i, spec in enumerate(specs):
        rows.append(
            {
                "id": spec.get("id", f"{i:02d}" + "r" * 30),
                "kind": spec.get("kind", "train"),
                "name": spec.get("name", f"run{i}"),
                "status": spec.get("status", "finished"),
                "params": spec.get("params", {}),
                "metrics": spec.get("metrics", {}),
                "dataset_version_id": spec.get("dataset_version_id"),
                "started_at": T0 + timedelta(minutes=i),
                "duration_s": spec.get("duration_s"),
            }
        )
    with store.engine.begin() as conn:
        conn.execute(insert(Run), rows)
    return [r["id"] for r in rows]


def test_page_record() -> None:
    page = Page(items=[1, 2], total=5, offset=0, limit=2)
    assert page.has_next and not page.has_previous
    last = Page(items=[5], total=5, offset=4, limit=2)
    assert not last.has_next and last.has_previous


def test_runs_page_newest_first_offsets_and_totals(store: MetadataStore) -> None:
    ids = _runs(store, [{} for _ in range(7)])
    first = store.runs.page(limit=3)
    assert [r.id for r in first.items] == ids[::-1][:3]
    assert (first.total, first.offset, first.limit) == (7, 0, 3)
    assert first.has_next and not first.has_previous
    last = store.runs.page(offset=6, limit=3)
    assert [r.id for r in last.items] == [ids[0]] and not last.has_next and last.has_previous
    assert store.runs.page(offset=50).items == []
    oldest = store.runs.page(limit=2, descending=False)
    assert [r.id for r in oldest.items] == ids[:2]
    assert store.runs.page(limit=10_000).limit == MAX_PAGE_LIMIT
    assert store.runs.page(offset=-5).offset == 0


def test_runs_page_filters_and_search(store: MetadataStore) -> None:
    _runs(
        store,
        [
            {"kind": "train", "status": "finished", "name": "Adult-Income"},
            {"kind": "train", "status": "failed", "name": "churn"},
            {"kind": "retrain", "status": "finished", "name": "adult", "id": "abcdef" + "0" * 26},
            {"kind": "retrain", "status": "failed", "name": "50%_off"},
        ],
    )
    assert {r.name for r in store.runs.page(kind="retrain").items} == {"adult", "50%_off"}
    failed = store.runs.page(status="failed")
    assert failed.total == 2 and {r.name for r in failed.items} == {"churn", "50%_off"}
    both = store.runs.page(kind="train", status="failed")
    assert [r.name for r in both.items] == ["churn"] and both.total == 1
    adult = store.runs.page(search="ADULT")
    assert {r.name for r in adult.items} == {"Adult-Income", "adult"} and adult.total == 2
    assert [r.name for r in store.runs.page(search="CDEF0").items] == ["adult"]  # id substring
    assert [r.name for r in store.runs.page(search="%_").items] == ["50%_off"]  # literal
    assert store.runs.page(search="nothing-like-it").total == 0


def test_runs_page_column_sorts(store: MetadataStore) -> None:
    _runs(
        store,
        [
            {"name": "b", "duration_s": 5.0, "status": "finished", "kind": "train"},
            {"name": "a", "duration_s": None, "status": "failed", "kind": "optimize"},
            {"name": "c", "duration_s": 1.0, "status": "running", "kind": "retrain"},
        ],
    )

    def names(**kw: Any) -> list[str | None]:
        return [r.name for r in store.runs.page(**kw).items]

    assert names(sort="name", descending=False) == ["a", "b", "c"]
    assert names(sort="name") == ["c", "b", "a"]
    assert names(sort="duration_s", descending=False) == ["c", "b", "a"]  # NULL last
    assert names(sort="duration_s") == ["b", "c", "a"]  # NULL last descending too
    assert names(sort="status", descending=False) == ["a", "b", "c"]
    assert names(sort="kind", descending=False) == ["a", "c", "b"]
    assert names(sort="ended_at") == ["c", "a", "b"]  # all NULL: newest start first


def test_runs_page_metric_sort_nulls_last(store: MetadataStore) -> None:
    _runs(
        store,
        [
            {"name": "mid", "metrics": {"score": 0.5, "metric": "roc_auc"}},
            {"name": "none", "metrics": {}},
            {"name": "high", "metrics": {"score": 0.9}},
            {"name": "int", "metrics": {"score": 1}},
            {"name": "text", "metrics": {"score": "n/a"}},  # not a number: sorts as missing
            {"name": "low", "metrics": {"score": -0.25}},
        ],
    )
    desc = [r.name for r in store.runs.page(sort="metric:score").items]
    assert desc[:4] == ["int", "high", "mid", "low"]
    assert set(desc[4:]) == {"none", "text"}
    asc = [r.name for r in store.runs.page(sort="metric:score", descending=False).items]
    assert asc[:4] == ["low", "mid", "high", "int"] and set(asc[4:]) == {"none", "text"}
    page = store.runs.page(sort="metric:score", offset=1, limit=2)
    assert [r.name for r in page.items] == ["high", "mid"] and page.total == 6
    # a metric whose values are strings must not break the query on either backend
    assert store.runs.page(sort="metric:metric").total == 6
    assert store.runs.page(sort="metric:absent").total == 6


@pytest.mark.parametrize("sort", ["params", "metric:", "started", 'metric:a"b', "id; drop"])
def test_runs_page_unknown_sort_key(store: MetadataStore, sort: str) -> None:
    with pytest.raises(InvalidNameError) as info:
        store.runs.page(sort=sort)
    assert "started_at" in str(info.value) and "metric:<metric name>" in str(info.value)
    assert info.value.field == "sort"


def test_runs_page_search_params(store: MetadataStore) -> None:
    _runs(
        store,
        [
            {"name": "a", "params": {"dataset": "Customers@2", "seed": 7}},
            {"name": "b", "params": {"note": "50%_off", "lr": 0.1}},
            {"name": "customers-run"},
            {"name": "c", "params": {}},
        ],
    )

    def names(search: str, **kw: Any) -> set[str | None]:
        return {r.name for r in store.runs.page(search=search, **kw).items}

    assert names("customers") == {"customers-run"}  # parameters only when asked
    assert names("CUSTOMERS@", search_params=True) == {"a"}  # a value, case-insensitively
    assert names("customers", search_params=True) == {"a", "customers-run"}
    assert names("seed", search_params=True) == {"a"}  # a key
    assert names("%_", search_params=True) == {"b"}  # LIKE wildcards stay literal
    assert names("0.1", search_params=True) == {"b"}  # numbers as their JSON text
    page = store.runs.page(search="customers", search_params=True, status="finished", limit=1)
    assert page.total == 2 and len(page.items) == 1
    assert names("nothing-like-it", search_params=True) == set()


def test_runs_kinds_distinct_sorted(store: MetadataStore) -> None:
    assert store.runs.kinds() == []
    _runs(store, [{"kind": "train"}, {"kind": "optimize"}, {"kind": "train"}, {"kind": "data"}])
    assert store.runs.kinds() == ["data", "optimize", "train"]


def test_runs_by_dataset_versions_newest_first(store: MetadataStore) -> None:
    _add_dataset(store, "used", 3)
    v1, v2, v3 = (store.datasets.get_version("used", v).id for v in (1, 2, 3))
    ids = _runs(
        store,
        [
            {"dataset_version_id": v1},
            {"dataset_version_id": v2},
            {"dataset_version_id": v3},
            {},
            {"dataset_version_id": v1},
        ],
    )
    page = store.runs.by_dataset_versions([v1, v2], limit=2)
    assert [r.id for r in page.items] == [ids[4], ids[1]] and page.total == 3 and page.has_next
    rest = store.runs.by_dataset_versions([v1, v2, v1], offset=2, limit=2)
    assert [r.id for r in rest.items] == [ids[0]] and rest.total == 3
    assert store.runs.by_dataset_versions([v3]).total == 1
    empty = store.runs.by_dataset_versions([])
    assert empty.items == [] and empty.total == 0


def test_models_versions_by_run_and_by_dataset_versions(store: MetadataStore) -> None:
    _add_dataset(store, "src", 2)
    d1, d2 = (store.datasets.get_version("src", v).id for v in (1, 2))
    run, other = _runs(store, [{}, {}])

    def register(name: str, run_id: str | None, dataset_id: int | None) -> None:
        store.models.register(
            name,
            artifact_key=f"models/{name}/{uuid4().hex}",
            run_id=run_id,
            dataset_version_id=dataset_id,
        )

    register("alpha", run, d1)  # alpha v1
    register("beta", run, d2)  # beta v1
    register("alpha", other, d2)  # alpha v2
    register("alpha", run, None)  # alpha v3
    store.aliases.assign("alpha", "production", 1)
    store.aliases.assign("beta", "staging", 1)

    by_run = store.models.versions_by_run(run, limit=2)
    assert [(v.name, v.version) for v in by_run.items] == [("alpha", 3), ("beta", 1)]
    assert by_run.total == 3 and by_run.has_next and by_run.items[1].aliases == ["staging"]
    rest = store.models.versions_by_run(run, offset=2, limit=2)
    assert [(v.name, v.version, v.aliases) for v in rest.items] == [("alpha", 1, ["production"])]
    assert rest.items[0] == store.models.get_version("alpha", 1)
    assert store.models.versions_by_run("f" * 32).total == 0

    used = store.models.versions_by_dataset_versions([d2])
    assert [(v.name, v.version) for v in used.items] == [("alpha", 2), ("beta", 1)]
    both = store.models.versions_by_dataset_versions([d1, d2], limit=1)
    assert both.total == 3 and [(v.name, v.version) for v in both.items] == [("alpha", 2)]
    assert store.models.versions_by_dataset_versions([]).total == 0


def test_runs_get_many_in_given_order(store: MetadataStore) -> None:
    ids = _runs(store, [{} for _ in range(4)])
    wanted = [ids[2], ids[0], ids[3]]
    assert [r.id for r in store.runs.get_many(wanted)] == wanted
    assert store.runs.get_many([]) == []
    with pytest.raises(NotFoundError) as info:
        store.runs.get_many([ids[1], "f" * 32, "e" * 32])
    assert "f" * 32 in str(info.value) and "e" * 32 in str(info.value)
    assert ids[1] not in str(info.value)


def _register(store: MetadataStore, name: str, n: int, task: str = "classification") -> None:
    for i in range(n):
        store.models.register(name, artifact_key=f"models/{name}/{i}", task=task)


def test_models_summaries_page_matches_summaries(store: MetadataStore) -> None:
    for index, name in enumerate(["delta", "alpha", "charlie", "bravo", "echo"]):
        _register(store, name, index + 1)
    store.aliases.assign("charlie", "production", 2, actor="alice", reason="better")
    store.aliases.assign("charlie", "staging", 3)
    store.aliases.assign("alpha", "production", 2)
    everything = store.models.summaries()
    first = store.models.summaries_page(limit=2)
    assert first.items == everything[:2] and first.total == 5 and first.has_next
    rest = store.models.summaries_page(offset=2, limit=10)
    assert rest.items == everything[2:] and not rest.has_next
    charlie = next(m for m in rest.items if m.name == "charlie")
    assert charlie.aliases == {"production": 2, "staging": 3} and charlie.n_versions == 3
    found = store.models.summaries_page(search="HAR")
    assert [m.name for m in found.items] == ["charlie"] and found.total == 1


def test_models_summaries_page_aliases_in_one_query(store: MetadataStore) -> None:
    """No N+1: the query count does not grow with the number of models on the page."""
    from sqlalchemy import event

    def queries(n_models: int) -> int:
        count = 0

        def count_it(*_: Any) -> None:
            nonlocal count
            count += 1

        event.listen(store.engine, "before_cursor_execute", count_it)
        try:
            store.models.summaries_page(limit=n_models)
        finally:
            event.remove(store.engine, "before_cursor_execute", count_it)
        return count

    for i in range(6):
        _register(store, f"m{i}", 2)
        store.aliases.assign(f"m{i}", "production", 1)
    assert queries(1) == queries(6)


def test_models_summaries_page_skips_models_without_versions(store: MetadataStore) -> None:
    _register(store, "kept", 1)
    from sqlalchemy.orm import Session

    from lepton.store.metadata.tables import RegisteredModel

    with Session(store.engine) as session, session.begin():
        session.add(RegisteredModel(name="empty"))
    page = store.models.summaries_page()
    assert [m.name for m in page.items] == ["kept"] and page.total == 1


def test_models_versions_page_newest_first_with_aliases(store: MetadataStore) -> None:
    _register(store, "pager", 5)
    _register(store, "other", 2)
    store.aliases.assign("pager", "production", 4)
    store.aliases.assign("pager", "canary", 4)
    first = store.models.versions_page("pager", limit=2)
    assert [v.version for v in first.items] == [5, 4] and first.total == 5
    assert first.items[1].aliases == ["canary", "production"] and first.items[0].aliases == []
    assert first.items == list(reversed(store.models.versions("pager")))[:2]
    last = store.models.versions_page("pager", offset=4, limit=2)
    assert [v.version for v in last.items] == [1] and not last.has_next
    with pytest.raises(NotFoundError):
        store.models.versions_page("missing")


def _add_dataset(store: MetadataStore, name: str, versions: int) -> None:
    for v in range(versions):
        store.datasets.add_version(
            name,
            content_hash=f"{name}-{v}".ljust(64, "0"),
            artifact_key=f"datasets/{name}/{v}",
            n_rows=100 + v,
            n_cols=3,
            schema={},
            profile={},
            target="y",
        )


def test_datasets_summaries_page_matches_summaries(store: MetadataStore) -> None:
    for index, name in enumerate(["iris", "adult", "housing", "churn_v2"]):
        _add_dataset(store, name, index + 1)
    everything = store.datasets.summaries()
    first = store.datasets.summaries_page(limit=3)
    assert first.items == everything[:3] and first.total == 4 and first.has_next
    assert store.datasets.summaries_page(offset=3).items == everything[3:]
    housing = store.datasets.summaries_page(search="OUS")
    assert [(d.name, d.latest_version, d.n_rows) for d in housing.items] == [("housing", 3, 102)]
    assert store.datasets.summaries_page(search="_").total == 1  # literal underscore


def _alerts(store: MetadataStore, deployments: list[str]) -> None:
    rows = [
        {
            "deployment": d,
            "rule": "r",
            "kind": "metric_below",
            "message": f"alert {i}",
            "value": float(i),
            "threshold": 0.0,
            "details": {},
            "delivered": False,
            "fired_at": T0 + timedelta(minutes=i // 2),  # pairs fired at the same instant
        }
        for i, d in enumerate(deployments)
    ]
    with store.engine.begin() as conn:
        conn.execute(insert(Alert), rows)


def test_alerts_page_newest_first_and_by_deployment(store: MetadataStore) -> None:
    _alerts(store, ["a", "b", "a", "a", "b", "a"])
    page = store.alerts.page(limit=4)
    assert [a.value for a in page.items] == [5.0, 4.0, 3.0, 2.0] and page.total == 6
    assert [a.value for a in store.alerts.page(offset=4).items] == [1.0, 0.0]
    only_b = store.alerts.page(deployment="b")
    assert [a.value for a in only_b.items] == [4.0, 1.0] and only_b.total == 2
    assert store.alerts.page(deployment="nobody").total == 0


def test_alias_history_page_newest_first(store: MetadataStore) -> None:
    _register(store, "hist", 3)
    _register(store, "elsewhere", 1)
    store.aliases.assign("elsewhere", "production", 1)
    for version in (1, 2, 3, 1):
        store.aliases.assign("hist", "production", version, actor="ci", reason=f"to {version}")
    store.aliases.remove("hist", "production", actor="bob")
    page = store.aliases.history_page("hist", limit=2)
    assert page.total == 5 and page.has_next
    assert [(e.from_version, e.to_version) for e in page.items] == [(1, None), (3, 1)]
    assert page.items[0].actor == "bob" and page.items[1].reason == "to 1"
    assert list(reversed(store.aliases.history("hist"))) == [
        *page.items,
        *store.aliases.history_page("hist", offset=2).items,
    ]
    with pytest.raises(NotFoundError):
        store.aliases.history_page("missing")


def test_ui_indexes_exist(store: MetadataStore) -> None:
    """Migration 0004's indexes are there (and mirrored in tables.py under the same names)."""
    inspector = inspect(store.engine)
    names = {t: {ix["name"] for ix in inspector.get_indexes(t)} for t in ("runs", "alerts")}
    names["alias_events"] = {ix["name"] for ix in inspector.get_indexes("alias_events")}
    assert {"ix_runs_status_started_at", "ix_runs_kind_started_at"} <= names["runs"]
    assert "ix_alerts_fired_at" in names["alerts"]
    assert "ix_alias_events_model_id_created_at" in names["alias_events"]
    from lepton.store.metadata.tables import Base

    declared = {ix.name for table in Base.metadata.tables.values() for ix in table.indexes}
    for table, found in names.items():
        assert found <= declared | {None}, f"{table}: {found - declared} not in tables.py"


def test_seed_fills_a_store_fast_and_pages_read_it(store: MetadataStore) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    try:
        from ui_seed import seed
    finally:
        sys.path.pop(0)
    seed(store, runs=300, model_versions=60, models=6)
    runs = store.runs.page(sort="metric:score", limit=5)
    assert runs.total == 300 and runs.items[0].metrics["score"] >= runs.items[-1].metrics["score"]
    assert store.models.summaries_page().total == 6
    assert sum(m.n_versions for m in store.models.summaries_page().items) == 60
    assert store.alerts.page().total == 200
    # ids continue after the seeded ones (PostgreSQL sequences were advanced)
    _register(store, "after-seed", 1)
    store.record_alert("x", rule="r", kind="k", message="m", value=None, threshold=None)
    with store.engine.begin() as conn:  # and the seeded rows are ordinary rows
        conn.execute(update(Run).where(Run.status == "running").values(status="interrupted"))
    with pytest.raises(ValueError, match="fresh store"):
        seed(store, runs=1, model_versions=1)


def test_model_summary_by_exact_name(store: MetadataStore) -> None:
    for name in ("achurn", "churn", "churn-b"):
        store.register_model_version(name, artifact_key=f"k/{name}", task="binary")
    summary = store.models.summary("churn")
    assert (summary.name, summary.latest_version, summary.n_versions) == ("churn", 1, 1)
    with pytest.raises(NotFoundError):
        store.models.summary("chur")
