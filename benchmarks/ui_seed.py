"""Fill a fresh metadata store fast with records shaped like real ``lepton`` use (issue 16).

Why bulk: the dashboard benchmark needs 10,000 runs and 1,000 model versions; one
repository call per row is one transaction per row (minutes on SQLite). Here every table
is written with SQLAlchemy core ``insert()`` executemany (keys are column names, not
attribute names), all in one transaction, so the
whole store is seeded in seconds. The shapes follow what ``lepton train`` writes: a run's
params (task, seed, n_folds, families, time_limit, dataset), its flat metrics
(``cv_<metric>``, ``test_<metric>``, ``fit_seconds``, ``n_trials``, ``model_version``)
plus ``score``/``metric``/``best_family`` for the dashboard's metric columns, model
versions with lineage metadata, alias moves with actor and reason, deployments whose
config is a ``DeploymentSpec``, and alerts of the monitor's kinds.

    PYTHONPATH=src .venv/bin/python benchmarks/ui_seed.py --url /tmp/ui.db
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, select, text

from lepton.store.metadata import MetadataStore
from lepton.store.metadata.tables import (
    Alert,
    AliasEvent,
    Base,
    Dataset,
    DatasetVersion,
    Deployment,
    ModelAlias,
    ModelVersion,
    RegisteredModel,
    Run,
)

DATASETS = (
    ("adult", "income", "classification", 48_842, 15),
    ("churn", "churned", "classification", 7_043, 21),
    ("housing", "price", "regression", 20_640, 9),
    ("credit", "default", "classification", 30_000, 24),
    ("bikes", "count", "regression", 17_379, 13),
    ("wine", "quality", "classification", 6_497, 12),
    ("fraud", "is_fraud", "classification", 284_807, 31),
    ("energy", "load", "regression", 19_735, 28),
)
METRICS = {"classification": ("roc_auc", "accuracy", "log_loss"), "regression": ("rmse", "r2")}
FAMILIES = ("lightgbm", "xgboost", "catboost", "random_forest", "linear", "knn")
ALERT_KINDS = ("dataset_drift", "prediction_drift", "metric_below", "latency_p99_above")
ACTORS = ("alice", "bob", "ci", "retrain-bot", None)
REASONS = ("better cv score", "rollback: latency regression", "weekly retrain", None)
START = datetime(2026, 1, 1, tzinfo=UTC)


def seed(
    metadata: MetadataStore,
    *,
    runs: int = 10_000,
    model_versions: int = 1_000,
    models: int = 50,
    seed: int = 0,
) -> None:
    """Bulk-insert a realistic store into ``metadata`` (migrated here; must hold no rows).

    Ids are assigned here so rows can refer to each other without reading back; on
    PostgreSQL the id sequences are moved past them afterwards, so later writes through
    the repositories keep working.
    """
    metadata.migrate()
    rng = random.Random(seed)
    models = max(1, min(models, model_versions or 1))
    with metadata.engine.begin() as conn:
        if conn.scalar(select(func.count()).select_from(Run)) or conn.scalar(
            select(func.count()).select_from(RegisteredModel)
        ):
            raise ValueError(f"{metadata.url}: seed() fills a fresh store; this one has rows")
        dataset_versions = _datasets(conn, rng)
        run_rows = _runs(conn, rng, runs, dataset_versions)
        _models(conn, rng, model_versions, models, run_rows, dataset_versions)
        if conn.dialect.name == "postgresql":
            _advance_sequences(conn)


def _datasets(conn: Connection, rng: random.Random) -> list[tuple[int, str, str, str]]:
    """Each dataset with 1 to 4 versions; returns (version id, name, target, task) per version."""
    datasets, versions, out = [], [], []
    version_id = 0
    for dataset_id, (name, target, task, n_rows, n_cols) in enumerate(DATASETS, start=1):
        created = START + timedelta(days=dataset_id)
        datasets.append({"id": dataset_id, "name": name, "created_at": created})
        for version in range(1, rng.randint(1, 4) + 1):
            version_id += 1
            rows = int(n_rows * (1 + 0.05 * (version - 1)))
            columns = [{"name": f"x{i}", "dtype": "float64"} for i in range(n_cols - 1)]
            versions.append(
                {
                    "id": version_id,
                    "dataset_id": dataset_id,
                    "version": version,
                    "content_hash": hashlib.sha256(f"{name}/{version}".encode()).hexdigest(),
                    "artifact_key": f"datasets/{name}/{version}",
                    "n_rows": rows,
                    "n_cols": n_cols,
                    "schema": {"columns": [*columns, {"name": target, "dtype": "int64"}]},
                    "profile": {"n_rows": rows, "n_cols": n_cols, "missing": 0.01},
                    "recipe": [{"step": "dedupe"}] if version > 1 else None,
                    "target": target,
                    "source": f"{name}.csv",
                    "parent_version": version - 1 if version > 1 else None,
                    "created_at": created + timedelta(days=7 * version),
                }
            )
            out.append((version_id, name, target, task))
    conn.execute(insert(Dataset), datasets)
    conn.execute(insert(DatasetVersion), versions)
    return out


def _runs(
    conn: Connection,
    rng: random.Random,
    count: int,
    dataset_versions: list[tuple[int, str, str, str]],
) -> list[dict[str, Any]]:
    """``count`` runs over a year: mostly finished trains, some failed, a few still running."""
    rows: list[dict[str, Any]] = []
    span_s = 365 * 24 * 3600
    for i in range(count):
        version_id, dataset, _target, task = rng.choice(dataset_versions)
        kind = rng.choices(("train", "retrain", "optimize"), weights=(85, 10, 5))[0]
        metric = METRICS[task][0]
        started = START + timedelta(seconds=span_s * i / max(count, 1) + rng.uniform(0, 60))
        time_limit = rng.choice((60, 120, 300, 600))
        families = rng.sample(FAMILIES, rng.randint(1, 4))
        params = {
            "task": task,
            "seed": rng.randint(0, 99),
            "n_folds": rng.choice((3, 5)),
            "families": families,
            "time_limit": time_limit,
            "dataset": f"{dataset}@{version_id}",
            "test_dataset": None,
        }
        status = (
            "running"
            if i >= count - 3
            else rng.choices(("finished", "failed", "interrupted"), weights=(90, 8, 2))[0]
        )
        metrics: dict[str, Any] = {}
        error = None
        if status == "finished":
            score = round(rng.uniform(0.6, 0.99), 4)
            metrics = {
                "score": score,
                "metric": metric,
                "best_family": rng.choice(families),
                f"cv_{metric}": score,
                f"test_{metric}": round(score - rng.uniform(0, 0.03), 4),
                "fit_seconds": round(rng.uniform(5, time_limit), 2),
                "n_trials": rng.randint(4, 120),
            }
        elif status == "failed":
            error = rng.choice(("out of memory", "target column has one class", "killed"))
        duration = None if status == "running" else round(rng.uniform(5, time_limit * 1.2), 2)
        rows.append(
            {
                "id": uuid.UUID(int=rng.getrandbits(128)).hex,
                "kind": kind,
                "name": dataset,
                "status": status,
                "params": params,
                "metrics": metrics,
                "dataset_version_id": version_id,
                "started_at": started,
                "ended_at": None if duration is None else started + timedelta(seconds=duration),
                "duration_s": duration,
                "error": error,
                "host": "bench-host",
                "pid": 1000 + i % 30_000,
                "heartbeat_at": started,
            }
        )
    if rows:
        conn.execute(insert(Run), rows)
    return rows


def _models(
    conn: Connection,
    rng: random.Random,
    count: int,
    n_models: int,
    runs: list[dict[str, Any]],
    dataset_versions: list[tuple[int, str, str, str]],
) -> None:
    """``count`` versions spread unevenly over ``n_models`` models, plus aliases, alias
    moves, a deployment per aliased model (up to 5) and ~200 alerts."""
    if count <= 0:
        return
    finished: list[dict[str, Any] | None] = [r for r in runs if r["status"] == "finished"] or [None]
    model_rows, version_rows, alias_rows, event_rows = [], [], [], []
    weights = [1 / (i + 1) for i in range(n_models)]  # a few models hold most versions
    per_model = [1] * n_models
    for index in rng.choices(range(n_models), weights=weights, k=count - n_models):
        per_model[index] += 1
    version_id = event_id = 0
    for model_id in range(1, n_models + 1):
        dataset_version, dataset, _target, task = dataset_versions[
            (model_id - 1) % len(dataset_versions)
        ]
        name = f"{dataset}-{model_id:03d}"
        created = START + timedelta(days=model_id % 30)
        model_rows.append({"id": model_id, "name": name, "task": task, "created_at": created})
        n_versions = per_model[model_id - 1]
        for version in range(1, n_versions + 1):
            version_id += 1
            run = rng.choice(finished)
            metric = METRICS[task][0]
            score = round(rng.uniform(0.6, 0.99), 4)
            version_rows.append(
                {
                    "id": version_id,
                    "model_id": model_id,
                    "version": version,
                    "artifact_key": f"models/{name}/{run['id'] if run else version}",
                    "task": task,
                    "run_id": run["id"] if run else None,
                    "dataset_version_id": dataset_version,
                    "metrics": {f"cv_{metric}": score, f"test_{metric}": score - 0.01},
                    "metadata": {
                        "lineage": {
                            "dataset": dataset,
                            "dataset_version_id": dataset_version,
                            "run_id": run["id"] if run else None,
                            "seed": rng.randint(0, 99),
                        },
                        "notes": [],
                        "artifact_hash": hashlib.sha256(f"{name}{version}".encode()).hexdigest(),
                    },
                    "created_at": created + timedelta(hours=6 * version),
                }
            )
        moved = created + timedelta(hours=6 * n_versions + 1)
        for alias, chance in (("production", 0.6), ("staging", 0.4)):
            if rng.random() > chance:
                continue
            history = sorted(rng.sample(range(1, n_versions + 1), min(n_versions, 4)))
            previous = None
            for step, target in enumerate(history):
                event_id += 1
                event_rows.append(
                    {
                        "id": event_id,
                        "model_id": model_id,
                        "alias": alias,
                        "from_version": previous,
                        "to_version": target,
                        "actor": rng.choice(ACTORS),
                        "reason": rng.choice(REASONS),
                        "created_at": moved + timedelta(minutes=step),
                    }
                )
                previous = target
            alias_rows.append(
                {"model_id": model_id, "alias": alias, "version": previous, "updated_at": moved}
            )
    conn.execute(insert(RegisteredModel), model_rows)
    conn.execute(insert(ModelVersion), version_rows)
    if alias_rows:
        conn.execute(insert(ModelAlias), alias_rows)
        conn.execute(insert(AliasEvent), event_rows)
    names = {m["id"]: m["name"] for m in model_rows}
    deployments = [
        {
            "id": i,
            "name": f"{names[a['model_id']]}-api",
            "model": names[a["model_id"]],
            "config": {
                "routes": [{"version": a["version"], "weight": 1.0}],
                "shadows": [],
                "history": [],
                "max_batch_size": 256,
                "max_latency_ms": 10.0,
                "max_queue": 2048,
                "reject_unknown_categories": True,
            },
            "status": "created",
            "created_at": a["updated_at"],
            "updated_at": a["updated_at"],
        }
        for i, a in enumerate((a for a in alias_rows if a["alias"] == "production"), start=1)
        if i <= 5
    ]
    if deployments:
        conn.execute(insert(Deployment), deployments)
        alerts = []
        for i in range(200):
            deployment = rng.choice(deployments)["name"]
            kind = rng.choice(ALERT_KINDS)
            value, threshold = round(rng.uniform(0.1, 0.5), 3), 0.2
            alerts.append(
                {
                    "id": i + 1,
                    "deployment": deployment,
                    "rule": f"{kind}-rule",
                    "kind": kind,
                    "message": f"{deployment}: {kind} {value} crossed {threshold}",
                    "value": value,
                    "threshold": threshold,
                    "details": {"window": "1h", "n": rng.randint(100, 5000)},
                    "delivered": rng.random() < 0.9,
                    "fired_at": START + timedelta(days=200, hours=3 * i),
                }
            )
        conn.execute(insert(Alert), alerts)


def _advance_sequences(conn: Connection) -> None:
    """Move each serial id sequence past the ids inserted above (PostgreSQL only)."""
    for table in Base.metadata.sorted_tables:
        if "id" not in table.c or table.c.id.type.python_type is not int:
            continue
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
            )
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True, help="a SQLite path or a database URL")
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--model-versions", type=int, default=1_000)
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    url = args.url if "://" in args.url else f"sqlite:///{Path(args.url).resolve()}"
    metadata = MetadataStore(url)
    started = time.perf_counter()
    seed(
        metadata,
        runs=args.runs,
        model_versions=args.model_versions,
        models=args.models,
        seed=args.seed,
    )
    seconds = time.perf_counter() - started
    with metadata.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            print(f"{table.name:>18}: {conn.scalar(select(func.count()).select_from(table)):,}")
    print(f"seeded in {seconds:.2f} s")
    metadata.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
