"""Seed an MLflow SQLite store like ``benchmarks/ui_seed.py`` seeds Lepton's (the UI peer).

Runs in the peer's own venv (``benchmarks/setup_ui_peers.sh`` makes
``benchmarks/.venv-mlflow``), never in the project's. The shapes follow the Lepton seed:
one experiment with ``--runs`` runs over a year (90 % finished, 8 % failed, 2 % killed, the
last 3 running), each with Lepton's params (task, seed, n_folds, families, time_limit,
dataset), metrics for finished runs (score, cv_<metric>, test_<metric>, fit_seconds,
n_trials, duration_s) and tags (kind, dataset, metric, best_family; the run name is the
dataset); then ``--model-versions`` versions over ``--models`` registered models (a few
models hold most versions), each pointing at a finished run, with production/staging
aliases.

How: MLflow's own ``SqlAlchemyStore`` / ``SqlAlchemyModelRegistryStore`` API in-process
(``create_run`` + ``log_batch`` + ``update_run_info`` per run, ``create_model_version``
per version), so every row goes through MLflow's schema and validation; no raw SQL. It is
what the REST API calls server-side, without the HTTP hop per call.

Prints one JSON line: the ids the benchmark needs and the seeding time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

from mlflow.entities import Metric, Param, RunStatus, RunTag
from mlflow.store.model_registry.sqlalchemy_store import (
    SqlAlchemyStore as RegistryStore,
)
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

DATASETS = (
    ("adult", "classification"),
    ("churn", "classification"),
    ("housing", "regression"),
    ("credit", "classification"),
    ("bikes", "regression"),
    ("wine", "classification"),
    ("fraud", "classification"),
    ("energy", "regression"),
)
METRICS = {"classification": "roc_auc", "regression": "rmse"}
FAMILIES = ("lightgbm", "xgboost", "catboost", "random_forest", "linear", "knn")
START_MS = 1_767_225_600_000  # 2026-01-01 UTC, as the Lepton seed
YEAR_MS = 365 * 24 * 3600 * 1000


def seed_runs(store: SqlAlchemyStore, experiment_id: str, count: int, rng: random.Random):
    finished: list[str] = []
    failed: list[str] = []
    for i in range(count):
        dataset, task = rng.choice(DATASETS)
        version = rng.randint(1, 4)
        kind = rng.choices(("train", "retrain", "optimize"), weights=(85, 10, 5))[0]
        metric = METRICS[task]
        started = START_MS + YEAR_MS * i // max(count, 1) + rng.randint(0, 60_000)
        time_limit = rng.choice((60, 120, 300, 600))
        families = rng.sample(FAMILIES, rng.randint(1, 4))
        status = (
            RunStatus.RUNNING
            if i >= count - 3
            else rng.choices(
                (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED), weights=(90, 8, 2)
            )[0]
        )
        params = {
            "task": task,
            "seed": rng.randint(0, 99),
            "n_folds": rng.choice((3, 5)),
            "families": ",".join(families),
            "time_limit": time_limit,
            "dataset": f"{dataset}@{version}",
        }
        tags = [RunTag("kind", kind), RunTag("dataset", dataset)]
        metrics: dict[str, float] = {}
        if status == RunStatus.FINISHED:
            score = round(rng.uniform(0.6, 0.99), 4)
            metrics = {
                "score": score,
                f"cv_{metric}": score,
                f"test_{metric}": round(score - rng.uniform(0, 0.03), 4),
                "fit_seconds": round(rng.uniform(5, time_limit), 2),
                "n_trials": rng.randint(4, 120),
            }
            tags += [RunTag("metric", metric), RunTag("best_family", rng.choice(families))]
        elif status == RunStatus.FAILED:
            tags.append(RunTag("error", rng.choice(("out of memory", "one class", "killed"))))
        duration = None if status == RunStatus.RUNNING else rng.uniform(5, time_limit * 1.2)
        if duration is not None:
            metrics["duration_s"] = round(duration, 2)
        run = store.create_run(
            experiment_id=experiment_id,
            user_id="bench",
            start_time=started,
            tags=tags,
            run_name=dataset,
        )
        run_id = run.info.run_id
        store.log_batch(
            run_id,
            metrics=[Metric(k, float(v), started, 0) for k, v in metrics.items()],
            params=[Param(k, str(v)) for k, v in params.items()],
            tags=[],
        )
        if status != RunStatus.RUNNING:
            store.update_run_info(
                run_id,
                status,
                started + int(duration * 1000),
                None,
            )
        if status == RunStatus.FINISHED:
            finished.append(run_id)
        elif status == RunStatus.FAILED:
            failed.append(run_id)
    return finished, failed


def seed_models(
    registry: RegistryStore,
    count: int,
    n_models: int,
    finished: list[str],
    rng: random.Random,
    artifacts: str,
):
    n_models = max(1, min(n_models, count))
    weights = [1 / (i + 1) for i in range(n_models)]  # a few models hold most versions
    per_model = [1] * n_models
    for index in rng.choices(range(n_models), weights=weights, k=count - n_models):
        per_model[index] += 1
    names = []
    for model_id in range(1, n_models + 1):
        dataset, task = DATASETS[(model_id - 1) % len(DATASETS)]
        name = f"{dataset}-{model_id:03d}"
        names.append(name)
        registry.create_registered_model(name, tags=None, description=f"{task} model")
        for _ in range(per_model[model_id - 1]):
            run_id = rng.choice(finished) if finished else None
            registry.create_model_version(
                name, source=f"{artifacts}/{run_id}/artifacts/model", run_id=run_id, tags=None
            )
        for alias, chance in (("production", 0.6), ("staging", 0.4)):
            if rng.random() <= chance:
                registry.set_registered_model_alias(
                    name, alias, str(rng.randint(1, per_model[model_id - 1]))
                )
    biggest = max(range(n_models), key=lambda i: per_model[i])
    return names[biggest], per_model[biggest]


def fast_sqlite_writes(engine) -> None:
    """Seeding only: no fsync per transaction (a crash mid-seed loses a throwaway file).
    The server later opens the file with MLflow's own defaults."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()

    engine.dispose()  # reconnect through the listener


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="path of the SQLite file to create")
    parser.add_argument("--artifacts", required=True, help="artifact root directory")
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--model-versions", type=int, default=1_000)
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    import mlflow

    url = f"sqlite:///{Path(args.db).resolve()}"
    rng = random.Random(args.seed)
    started = time.perf_counter()
    store = SqlAlchemyStore(url, Path(args.artifacts).resolve().as_uri())
    registry = RegistryStore(url)
    for engine in (store.engine, registry.engine):
        fast_sqlite_writes(engine)
    migrated_s = time.perf_counter() - started
    experiment_id = store.create_experiment("lepton-ui-bench")
    runs_started = time.perf_counter()
    finished, _failed = seed_runs(store, experiment_id, args.runs, rng)
    runs_s = time.perf_counter() - runs_started
    models_started = time.perf_counter()
    model, n_versions = (
        seed_models(
            registry, args.model_versions, args.models, finished, rng, store.artifact_root_uri
        )
        if args.model_versions > 0
        else (None, 0)
    )
    models_s = time.perf_counter() - models_started
    newest = store.search_runs(
        [experiment_id], None, 1, max_results=5, order_by=["attributes.start_time DESC"]
    )
    print(
        json.dumps(
            {
                "mlflow_version": mlflow.__version__,
                "experiment_id": experiment_id,
                "run_ids": [r.info.run_id for r in newest],
                "model": model,
                "model_versions": n_versions,
                "seed_s": round(time.perf_counter() - started, 2),
                "seed_runs_s": round(runs_s, 2),
                "seed_models_s": round(models_s, 2),
                "schema_s": round(migrated_s, 2),
                "method": "SqlAlchemyStore.create_run + log_batch + update_run_info per run; "
                "SqlAlchemyModelRegistryStore.create_model_version per version (in-process)",
            }
        )
    )
    store.engine.dispose()
    registry.engine.dispose()


if __name__ == "__main__":
    main()
