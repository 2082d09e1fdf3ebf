"""Train on a dataset version and register the result: the run, the package, the model version.

The order makes failures harmless: the run row is opened first (so even a crash
is visible as a failed run; a kill -9 too, once its heartbeat stops), the package is
published as one atomic artifact, and only then is the model version registered in one
transaction (an orphan a kill leaves in between is what ``lepton gc`` collects). If
registration fails the fresh artifact is removed, so the store never holds a
half-registered model.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from lepton.data.catalog import DataCatalog, DatasetVersion
from lepton.learn.automl import AutoML
from lepton.learn.evaluation import permutation_importance
from lepton.learn.package import write_package
from lepton.learn.search import EventHandler
from lepton.names import validate_name
from lepton.runtime.kinds import get_kind, infer_kind, kind_for_task
from lepton.store.heartbeat import Heartbeat
from lepton.store.metadata.records import ModelVersionRecord, RunRecord
from lepton.store.project import Project


@dataclass
class TrainOutcome:
    run: RunRecord
    version: ModelVersionRecord
    automl: AutoML
    dataset: DatasetVersion
    test_report: dict[str, Any] | None
    importance: list[dict[str, Any]]


def train_dataset(
    project: Project,
    dataset_ref: str,
    *,
    target: str | None = None,
    time_limit: float = 60.0,
    metric: str | None = None,
    task: str | None = None,
    test_ref: str | None = None,
    model_name: str | None = None,
    seed: int = 0,
    n_folds: int = 5,
    families: list[str] | None = None,
    on_event: EventHandler | None = None,
    options: dict[str, Any] | None = None,
    started_at: float | None = None,
) -> TrainOutcome:
    catalog = DataCatalog(project)
    dataset = catalog.get(dataset_ref)
    target = target or dataset.target
    kind = get_kind(kind_for_task(task) or infer_kind(c.kind for c in dataset.schema.columns))
    if target is None and kind.default_target in dataset.schema.names:
        target = kind.default_target
    if target is None and kind.needs_target:
        from lepton.errors import DataError

        raise DataError(
            f"{dataset.ref} has no target recorded; pass --target COLUMN "
            f"(columns: {', '.join(c.name for c in dataset.schema.columns)})"
        )
    columns = [c.name for c in dataset.schema.columns]
    if target is not None and target not in columns:
        from lepton.errors import DataError

        raise DataError(
            f"target column {target!r} not found in {dataset.ref}; columns: {', '.join(columns)}"
        )
    name = validate_name(model_name or dataset.name, kind="model name")
    test = catalog.get(test_ref) if test_ref else None
    params = {
        "target": target,
        "time_limit": time_limit,
        "metric": metric,
        "task": task,
        "seed": seed,
        "n_folds": n_folds,
        "families": families,
        "dataset": dataset.ref,
        "test_dataset": test.ref if test else None,
        **({"options": options} if options else {}),
    }
    run = project.metadata.start_run(
        "train", params=params, dataset_version_id=dataset.id, name=name
    )
    heartbeat = Heartbeat(project.metadata, run.id).start()  # a kill -9 is then visible
    try:
        frame = dataset.to_pandas()
        kinds = {c.name: c.kind for c in dataset.schema.columns if c.name != target}
        # unsupervised kinds (needs_target False) take target=None, or a label to evaluate on
        automl = AutoML(
            target,
            task=task,
            metric=metric,
            time_limit=time_limit,
            n_folds=n_folds,
            families=families,
            seed=seed,
            column_kinds=kinds,
            on_event=on_event,
            options=options,
            started_at=started_at,
        ).fit(frame)
        model = automl.model_
        best = automl.leaderboard_[0]
        metrics: dict[str, Any] = {
            "cv": {
                "metric": automl.metric_,
                "value": best.score,
                "n_folds": automl.n_folds_,
                "how": automl.validation_how_
                or (
                    f"{automl.n_folds_}-fold "
                    f"{'stratified ' if automl.task_ != 'regression' else ''}cross-validation "
                    f"on {dataset.ref}: out-of-fold predictions of the final model"
                ),
            }
        }
        test_report = None
        if test is not None:
            test_report = get_kind(model.kind).entry("evaluator")(model, test.to_pandas())
            metrics["test"] = {**test_report, "how": f"held-out dataset {test.ref}"}
        importance: list[dict[str, Any]] = []
        if get_kind(model.kind).feature_importance:
            importance_frame = test.to_pandas() if test is not None else frame
            importance = permutation_importance(model, importance_frame, seed=seed)
        lineage = {
            "dataset": dataset.ref,
            "dataset_version_id": dataset.id,
            "dataset_hash": dataset.content_hash,
            "run_id": run.id,
            "seed": seed,
        }
        with tempfile.TemporaryDirectory(prefix="lepton-pkg-") as tmp:
            folder = Path(tmp)
            write_package(
                folder,
                model,
                metrics=metrics,
                lineage=lineage,
                leaderboard=automl.leaderboard(),
                training_frame=frame,
                extra={"feature_importance": importance, "notes": automl.notes_},
            )
            key = f"models/{name}/{run.id}"
            published = project.artifacts.put_dir(folder, key)
        try:
            version = project.metadata.register_model_version(
                name,
                artifact_key=key,
                task=automl.task_,
                run_id=run.id,
                dataset_version_id=dataset.id,
                metadata={
                    "lineage": lineage,
                    "notes": automl.notes_,
                    "artifact_hash": published.content_hash,
                },
                metrics=_flat_metrics(metrics),
            )
        except BaseException:
            project.artifacts.delete(key)
            raise
        run = project.metadata.finish_run(
            run.id,
            status="interrupted" if automl.interrupted_ else "finished",
            metrics={
                **_flat_metrics(metrics),
                "fit_seconds": automl.fit_seconds_,
                "n_trials": len(automl.search_.trials),
                "model_version": version.version,
            },
        )
        return TrainOutcome(run, version, automl, dataset, test_report, importance)
    except BaseException as exc:
        project.metadata.finish_run(
            run.id,
            status="interrupted" if isinstance(exc, KeyboardInterrupt) else "failed",
            error=str(exc) or type(exc).__name__,
        )
        raise
    finally:
        heartbeat.stop()


def _flat_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    flat = {f"cv_{metrics['cv']['metric']}": float(metrics["cv"]["value"])}
    for key, value in metrics.get("test", {}).get("metrics", {}).items():
        flat[f"test_{key}"] = float(value)
    return flat


def frame_to_dataset(
    project: Project, frame: pd.DataFrame, name: str, target: str
) -> DatasetVersion:
    return DataCatalog(project).add_frame(frame, name=name, target=target)[0]
