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
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from lepton.data.catalog import DataCatalog, DatasetVersion
from lepton.learn.automl import AutoML
from lepton.learn.evaluation import Importance, permutation_importance
from lepton.learn.package import write_package
from lepton.learn.search import EventHandler
from lepton.names import validate_name
from lepton.runtime.kinds import check_options, get_kind, infer_kind, kind_for_task
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
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase of the call


# what packaging and registration get of the budget up front (measured: 0.3-1.5 s on
# these machines, most of it pickling the ensemble)
PACKAGING_RESERVE_S = 1.5
PACKAGING_RESERVE_SHARE = 0.03


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
    n_folds: int | None = None,
    families: list[str] | None = None,
    on_event: EventHandler | None = None,
    options: dict[str, Any] | None = None,
    started_at: float | None = None,
    infer_limit: float | None = None,
) -> TrainOutcome:
    catalog = DataCatalog(project)
    dataset = catalog.get(dataset_ref)
    target = target or dataset.target
    kind = get_kind(kind_for_task(task) or infer_kind(c.kind for c in dataset.schema.columns))
    claimed = next(iter(kind.tasks)) if len(kind.tasks) == 1 else None  # audio clips: speech
    check_options(task or claimed, options)
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
        **({"infer_limit": infer_limit} if infer_limit is not None else {}),
        "dataset": dataset.ref,
        "test_dataset": test.ref if test else None,
        **({"options": options} if options else {}),
    }
    run = project.metadata.start_run(
        "train", params=params, dataset_version_id=dataset.id, name=name
    )
    heartbeat = Heartbeat(project.metadata, run.id).start()  # a kill -9 is then visible
    clock = _Clock(started_at or time.time())
    try:
        frame = dataset.to_pandas()
        clock.lap("start and data")
        kinds = {c.name: c.kind for c in dataset.schema.columns if c.name != target}
        # unsupervised kinds (needs_target False) take target=None, or a label to evaluate on
        # a kind whose test evaluation costs real time (speech: transcribing every clip)
        # has that share of the user's budget kept for it up front
        share = kind.evaluation_share if test is not None else 0.0
        automl = AutoML(
            target,
            task=task,
            metric=metric,
            time_limit=time_limit * (1.0 - share),
            n_folds=n_folds,
            families=families,
            seed=seed,
            column_kinds=kinds,
            on_event=on_event,
            options=options,
            started_at=started_at,
            infer_limit=infer_limit,
            ray_address=project.settings.ray_address,
        ).fit(frame)
        clock.lap("search")
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
            evaluator = get_kind(model.kind).entry("evaluator")
            if share:  # bounded by what is left of the budget, less packaging
                reserve = max(PACKAGING_RESERVE_S, PACKAGING_RESERVE_SHARE * time_limit)
                deadline = automl.started_ + time_limit - reserve
                test_report = evaluator(model, test.to_pandas(), deadline=deadline)
            else:
                test_report = evaluator(model, test.to_pandas())
            metrics["test"] = {**test_report, "how": f"held-out dataset {test.ref}"}
            clock.lap("test evaluation")
        importance: list[dict[str, Any]] = []
        if get_kind(model.kind).feature_importance:
            importance_frame = test.to_pandas() if test is not None else frame
            # what is left of the user's budget, less what packaging needs, bounds it
            reserve = max(PACKAGING_RESERVE_S, PACKAGING_RESERVE_SHARE * time_limit)
            measured = permutation_importance(
                model,
                importance_frame,
                seed=seed,
                deadline=automl.started_ + time_limit - reserve,
            )
            importance = measured.rows
            if measured.skipped:
                automl.notes_.append(
                    f"permutation importance skipped: it {measured.skipped}; "
                    f"`lepton models explain {name}` computes it"
                )
            elif measured.n_rows:
                automl.notes_.append(
                    f"permutation importance on {measured.n_rows} rows x {measured.repeats}"
                    f" repeat(s) in {measured.seconds:.1f} s"
                )
            clock.lap("importance")
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
        clock.lap("packaging")
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
        clock.lap("registration")
        run = project.metadata.finish_run(
            run.id,
            status="interrupted" if automl.interrupted_ else "finished",
            metrics={
                **_flat_metrics(metrics),
                "fit_seconds": automl.fit_seconds_,
                "n_trials": len(automl.search_.trials),
                "model_version": version.version,
                **{f"seconds_{phase.replace(' ', '_')}": s for phase, s in clock.laps.items()},
            },
        )
        return TrainOutcome(run, version, automl, dataset, test_report, importance, clock.laps)
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


class _Clock:
    """Seconds per phase of one training call, from the caller's start (the CLI's is the
    process start): where the user's budget went, for the run and the CLI."""

    def __init__(self, started: float) -> None:
        self._last = started
        self.laps: dict[str, float] = {}

    def lap(self, phase: str) -> None:
        now = time.time()
        self.laps[phase] = round(now - self._last, 3)
        self._last = now


def explain_version(
    project: Project,
    ref: str,
    *,
    data_ref: str | None = None,
    max_rows: int = 5000,
    repeats: int = 3,
    seed: int = 0,
) -> tuple[ModelVersionRecord, Importance]:
    """Permutation importance of a model version on demand (``lepton models explain``).

    On the version's own training dataset version unless ``data_ref`` names another
    labelled one; no clock, so it runs on as many rows as asked, unlike the bounded pass
    at the end of training.
    """
    from lepton.errors import LeptonError
    from lepton.runtime.loader import load_predictor

    predictor, record = load_predictor(project, ref)
    if not get_kind(predictor.manifest.kind).feature_importance:
        raise LeptonError(
            f"{record.name}@{record.version} is a {predictor.manifest.kind} model: "
            "permuting its inputs measures nothing"
        )
    catalog = DataCatalog(project)
    if data_ref is not None:
        dataset = catalog.get(data_ref)
    elif record.dataset_version_id is not None:
        dataset = catalog.get_by_id(record.dataset_version_id)
    else:
        raise LeptonError(f"{record.name}@{record.version} records no training data; pass --data")
    frame = dataset.to_pandas()
    if predictor.model.target_name not in frame.columns:
        raise LeptonError(
            f"{dataset.ref} has no column {predictor.model.target_name!r} to score against"
        )
    measured = permutation_importance(
        predictor.model, frame, max_rows=max_rows, repeats=repeats, seed=seed
    )
    return record, measured
