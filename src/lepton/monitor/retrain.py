"""Retraining with evidence: the challenger ships only if it beats the champion.

1. Labelled live traffic (predictions joined with feedback) is split, seeded and
   stratified, into a fresh holdout and a training share.
2. A new dataset version is built from the champion's reference data plus that training
   share (content-addressed, lineage recorded as the version's source).
3. AutoML runs with the champion's own settings (time limit, metric, families, folds).
4. Champion and challenger are scored on the same fresh holdout with the champion's
   metric; the challenger is registered either way (so the evidence is inspectable).
5. Only when it wins by ``margin`` is it deployed as a canary (optionally promoted once
   the canary window passes). Every number and the decision are recorded as a run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pandas as pd

from lepton.data.catalog import DataCatalog
from lepton.data.splits import split_frame
from lepton.errors import DataError
from lepton.learn.evaluation import evaluate
from lepton.learn.metrics import get_metric
from lepton.learn.training import train_dataset
from lepton.runtime.loader import load_predictor, package_folder
from lepton.runtime.manifest import read_manifest
from lepton.serve.deployments import deploy, get_spec, promote
from lepton.store.predictions import strip_inputs
from lepton.store.project import Project

MIN_LABELLED_ROWS = 20


@dataclass
class RetrainDecision:
    deployment: str
    champion: int
    challenger: int
    metric: str
    champion_score: float
    challenger_score: float
    margin: float
    improvement: float
    shipped: str  # "canary", "promoted" or "kept champion"
    holdout_rows: int
    training_rows: int
    dataset: str
    run_id: str

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def retrain(
    project: Project,
    deployment: str,
    *,
    margin: float = 0.002,
    holdout_share: float = 0.3,
    canary_percent: float = 10.0,
    promote_after: float | None = None,
    time_limit: float | None = None,
    seed: int = 0,
    on_event: Any = None,
) -> RetrainDecision:
    spec = get_spec(project, deployment)
    champion = project.metadata.get_model_version(spec.model, spec.primary)
    manifest = read_manifest(package_folder(project, champion))
    target = manifest.target
    task = manifest.task
    params = project.metadata.get_run(champion.run_id).params if champion.run_id else {}
    live = _labelled_live(project, deployment, target, task)
    stratify = task != "regression" and live[target].value_counts().min() >= 2
    train_live, holdout = split_frame(
        live,
        method="stratified" if stratify else "random",
        test_size=holdout_share,
        seed=seed,
        column=target if stratify else None,
    )
    catalog = DataCatalog(project)
    reference = catalog.get(str(manifest.lineage["dataset"]))
    combined = pd.concat([reference.to_pandas(), train_live], ignore_index=True)
    dataset, _ = catalog.add_frame(
        combined,
        name=reference.name,
        target=target,
        source=f"retrain of {deployment}: {reference.ref} + {len(train_live)} labelled live rows",
    )
    budget = time_limit if time_limit is not None else float(params.get("time_limit", 60))
    outcome = train_dataset(
        project,
        dataset.ref,
        target=target,
        time_limit=budget,
        metric=params.get("metric"),
        task=task,
        model_name=spec.model,
        seed=seed,
        n_folds=int(params.get("n_folds", 5)),
        families=params.get("families"),
        on_event=on_event,
    )
    metric = get_metric(outcome.automl.metric_, task)
    champion_score = _score(project, f"{spec.model}@{champion.version}", holdout, metric.name)
    challenger_score = _score(
        project, f"{spec.model}@{outcome.version.version}", holdout, metric.name
    )
    improvement = (
        challenger_score - champion_score
        if metric.greater_is_better
        else champion_score - challenger_score
    )
    shipped = "kept champion"
    if improvement > margin:
        deploy(
            project,
            f"{spec.model}@{outcome.version.version}",
            name=deployment,
            canary_percent=canary_percent,
        )
        shipped = "canary"
        if promote_after is not None:
            time.sleep(promote_after)
            current = get_spec(project, deployment)
            if outcome.version.version in [r.version for r in current.routes]:
                promote(project, deployment, outcome.version.version)
                shipped = "promoted"
    run = project.metadata.start_run(
        "retrain",
        params={
            "deployment": deployment,
            "margin": margin,
            "holdout_share": holdout_share,
            "canary_percent": canary_percent,
            "seed": seed,
        },
        dataset_version_id=dataset.id,
        name=deployment,
    )
    decision = RetrainDecision(
        deployment=deployment,
        champion=champion.version,
        challenger=outcome.version.version,
        metric=metric.name,
        champion_score=champion_score,
        challenger_score=challenger_score,
        margin=margin,
        improvement=improvement,
        shipped=shipped,
        holdout_rows=len(holdout),
        training_rows=len(combined),
        dataset=dataset.ref,
        run_id=run.id,
    )
    project.metadata.finish_run(run.id, status="finished", metrics=decision.to_json())
    return decision


def _labelled_live(project: Project, deployment: str, target: str, task: str) -> pd.DataFrame:
    labelled = project.predictions.labelled(deployment)
    if len(labelled) < MIN_LABELLED_ROWS:
        raise DataError(
            f"{deployment!r} has {len(labelled)} labelled predictions; retraining needs at least "
            f"{MIN_LABELLED_ROWS} (send ground truth with `lepton feedback {deployment} FILE`)"
        )
    frame = strip_inputs(labelled)
    frame[target] = (
        pd.to_numeric(labelled["label"], errors="coerce").to_numpy()
        if task == "regression"
        else labelled["label"].astype(str).to_numpy()
    )
    return frame.reset_index(drop=True)


def _score(project: Project, ref: str, holdout: pd.DataFrame, metric: str) -> float:
    predictor, _ = load_predictor(project, ref)
    model = predictor.model
    frame = holdout.copy()
    if predictor.task != "regression":
        # live labels arrive as text; map them back onto the model's own label values
        by_text = {str(label): label for label in predictor.labels}
        frame[model.target_name] = frame[model.target_name].astype(str).map(by_text)
    result = evaluate(model, frame)["metrics"]
    if metric not in result:
        raise DataError(f"cannot compute {metric} on the holdout ({len(holdout)} rows)")
    return float(result[metric])
