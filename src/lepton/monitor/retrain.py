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
from lepton.monitor.forecasting import backtest_figures
from lepton.runtime.kinds import get_kind
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
    basis: str = ""  # what the scores were measured on, when not a fresh holdout

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
    """Retrain the deployment's model the way its kind declares (``retrainer``)."""
    spec = get_spec(project, deployment)
    champion = project.metadata.get_model_version(spec.model, spec.primary)
    kind = read_manifest(package_folder(project, champion)).kind
    decision: RetrainDecision = get_kind(kind).entry("retrainer")(
        project,
        deployment,
        margin=margin,
        holdout_share=holdout_share,
        canary_percent=canary_percent,
        promote_after=promote_after,
        time_limit=time_limit,
        seed=seed,
        on_event=on_event,
    )
    return decision


def retrain_labelled(
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
    """Tables, texts, images: reference + labelled live rows; scored on a fresh holdout."""
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
    dataset, outcome = train_challenger(
        project,
        spec.model,
        reference.name,
        combined,
        target=target,
        task=task,
        params=params,
        source=f"retrain of {deployment}: {reference.ref} + {len(train_live)} labelled live rows",
        time_limit=time_limit,
        seed=seed,
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
    return decide(
        project,
        deployment,
        spec.model,
        champion.version,
        outcome.version.version,
        dataset,
        metric=metric.name,
        champion_score=champion_score,
        challenger_score=challenger_score,
        improvement=improvement,
        margin=margin,
        canary_percent=canary_percent,
        promote_after=promote_after,
        run_params={"holdout_share": holdout_share, "seed": seed},
        holdout_rows=len(holdout),
        training_rows=len(combined),
    )


def train_challenger(
    project: Project,
    model: str,
    dataset_name: str,
    combined: pd.DataFrame,
    *,
    target: str | None,
    task: str,
    params: dict[str, Any],
    source: str,
    time_limit: float | None,
    seed: int,
    on_event: Any,
    options: dict[str, Any] | None = None,
) -> tuple[Any, Any]:
    """Version the grown training data and train the challenger as the champion was."""
    dataset, _ = DataCatalog(project).add_frame(
        combined, name=dataset_name, target=target, source=source
    )
    budget = time_limit if time_limit is not None else float(params.get("time_limit", 60))
    outcome = train_dataset(
        project,
        dataset.ref,
        target=target,
        time_limit=budget,
        metric=params.get("metric"),
        task=task,
        model_name=model,
        seed=seed,
        n_folds=params.get("n_folds"),
        families=params.get("families"),
        on_event=on_event,
        options=options,
        infer_limit=params.get("infer_limit"),  # the challenger keeps the champion's limit
    )
    return dataset, outcome


def decide(
    project: Project,
    deployment: str,
    model: str,
    champion: int,
    challenger: int,
    dataset: Any,
    *,
    metric: str,
    champion_score: float,
    challenger_score: float,
    improvement: float,
    margin: float,
    canary_percent: float,
    promote_after: float | None,
    run_params: dict[str, Any],
    holdout_rows: int,
    training_rows: int,
    basis: str = "",
) -> RetrainDecision:
    """Ship the challenger if it won by ``margin``, and record the decision as a run."""
    shipped = _ship(
        project,
        deployment,
        model,
        challenger,
        improvement=improvement,
        margin=margin,
        canary_percent=canary_percent,
        promote_after=promote_after,
    )
    run = project.metadata.start_run(
        "retrain",
        params={
            "deployment": deployment,
            "margin": margin,
            "canary_percent": canary_percent,
            **run_params,
        },
        dataset_version_id=dataset.id,
        name=deployment,
    )
    decision = RetrainDecision(
        deployment=deployment,
        champion=champion,
        challenger=challenger,
        metric=metric,
        champion_score=champion_score,
        challenger_score=challenger_score,
        margin=margin,
        improvement=improvement,
        shipped=shipped,
        holdout_rows=holdout_rows,
        training_rows=training_rows,
        dataset=dataset.ref,
        run_id=run.id,
        basis=basis,
    )
    project.metadata.finish_run(run.id, status="finished", metrics=decision.to_json())
    return decision


def _ship(
    project: Project,
    deployment: str,
    model: str,
    version: int,
    *,
    improvement: float,
    margin: float,
    canary_percent: float,
    promote_after: float | None,
) -> str:
    """Deploy a challenger that won by ``margin`` as a canary (and promote it if asked)."""
    if improvement <= margin:
        return "kept champion"
    reason = f"challenger v{version} beat the champion by {improvement:.4g} (margin {margin:g})"
    deploy(
        project,
        f"{model}@{version}",
        name=deployment,
        canary_percent=canary_percent,
        actor="retrain",
        reason=reason,
        via="retrain",
    )
    if promote_after is None:
        return "canary"
    time.sleep(promote_after)
    current = get_spec(project, deployment)
    if version in [r.version for r in current.routes]:
        promote(
            project,
            deployment,
            version,
            actor="retrain",
            reason=f"{reason}; promoted after {promote_after:g} s as a canary",
            via="retrain",
        )
        return "promoted"
    return "canary"


def retrain_forecast(
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
    """Forecasts: append the actuals sent back to the training series and retrain.

    The actuals (every labelled forecast's series, timestamp and value, once each) become
    rows of time/id/target after the champion's training data; AutoML runs with the
    champion's forecasting options. Champion and challenger are compared on their
    backtest MASE (lower is better): the challenger's backtest covers the newest windows,
    i.e. the actuals themselves. ``holdout_share`` does not apply (a backtest holds out
    the last windows of every series).
    """
    spec = get_spec(project, deployment)
    champion = project.metadata.get_model_version(spec.model, spec.primary)
    manifest = read_manifest(package_folder(project, champion))
    target = manifest.target
    params = project.metadata.get_run(champion.run_id).params if champion.run_id else {}
    settings = dict(manifest.extra.get("forecast") or {})
    options = dict(params.get("options") or {}) or {
        k: settings[k]
        for k in (
            "time_column",
            "horizon",
            "id_column",
            "known_covariates",
            "static_covariates",
            "quantiles",
            "n_windows",
            "season_length",
        )
        if settings.get(k) not in (None, [])
    }
    time_column, id_column = str(options["time_column"]), options.get("id_column")
    catalog = DataCatalog(project)
    reference = catalog.get(str(manifest.lineage["dataset"]))
    history = reference.to_pandas()
    actuals = _actuals(project, deployment)
    if settings.get("known_covariates"):
        raise DataError(
            f"{spec.model} uses known covariates {settings['known_covariates']}; actuals carry "
            "no covariate values, so retrain it with `lepton train` on an updated dataset"
        )
    new = pd.DataFrame(
        {time_column: pd.to_datetime(actuals["time"]).to_numpy(), target: actuals["value"]}
    )
    if id_column:
        new.insert(0, str(id_column), actuals["series"].to_numpy())
        statics = [c for c in settings.get("static_covariates") or [] if c in history.columns]
        if statics:
            known = history.copy()
            known[str(id_column)] = known[str(id_column)].astype(str)
            per_series = known.groupby(str(id_column))[statics].first().reset_index()
            new = new.merge(per_series, on=str(id_column), how="left")
    history = history.assign(**{time_column: pd.to_datetime(history[time_column])})
    keys = [c for c in (id_column, time_column) if c]
    key = history[keys].astype(str).agg("|".join, axis=1) if keys else None
    fresh = (
        new[~new[keys].astype(str).agg("|".join, axis=1).isin(set(key))] if key is not None else new
    )
    if fresh.empty:
        raise DataError(
            f"{deployment!r} has no actuals past the training data; send observed values with "
            f"`lepton feedback {deployment} FILE` (columns series, time, value)"
        )
    combined = pd.concat([history, fresh], ignore_index=True)
    combined = combined.sort_values(keys, kind="mergesort", ignore_index=True)
    dataset, outcome = train_challenger(
        project,
        spec.model,
        reference.name,
        combined,
        target=target,
        task="forecast",
        params=params,
        source=f"retrain of {deployment}: {reference.ref} + {len(fresh)} actuals",
        time_limit=time_limit,
        seed=seed,
        on_event=on_event,
        options=options,
    )
    challenger_manifest = read_manifest(package_folder(project, outcome.version))
    champion_score = backtest_figures(manifest).get("mase", float("inf"))
    challenger_score = backtest_figures(challenger_manifest).get("mase", float("inf"))
    improvement = champion_score - challenger_score  # MASE: lower is better
    return decide(
        project,
        deployment,
        spec.model,
        champion.version,
        outcome.version.version,
        dataset,
        metric="mase",
        champion_score=champion_score,
        challenger_score=challenger_score,
        improvement=improvement,
        margin=margin,
        canary_percent=canary_percent,
        promote_after=promote_after,
        run_params={"seed": seed, "actuals": len(fresh)},
        holdout_rows=0,
        training_rows=len(combined),
        basis=f"backtest MASE (lower is better; challenger trained with {len(fresh)} new actuals)",
    )


def _actuals(project: Project, deployment: str) -> pd.DataFrame:
    """Every observed (series, time, value) sent back for the deployment's forecasts."""
    labelled = project.predictions.labelled(deployment)
    if labelled.empty:
        raise DataError(
            f"{deployment!r} has no actuals yet; send observed values with "
            f"`lepton feedback {deployment} FILE` (columns series, time, value)"
        )
    frame = pd.DataFrame(
        {
            "series": labelled["in_series"].astype(str).to_numpy(),
            "time": labelled["in_time"].astype(str).to_numpy(),
            "value": pd.to_numeric(labelled["label"], errors="coerce").to_numpy(float),
        }
    )
    return frame.dropna().drop_duplicates(["series", "time"], keep="last").reset_index(drop=True)


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
