"""The public Python API: the same verbs as the CLI, for notebooks and scripts.

>>> import lepton
>>> ds = lepton.Dataset.add("adult.csv", name="adult", target="income")
>>> model = lepton.fit(ds, target="income", time_limit=60)
>>> lepton.optimize(model.ref)                      # lepton optimize
>>> lepton.deploy(model.ref, name="adult")          # lepton deploy
>>> server = lepton.serve(port=8000)                # lepton serve (background thread)
>>> lepton.feedback("adult", labels_frame)          # lepton feedback
>>> summary = lepton.monitor("adult", window="24h") # lepton monitor
>>> lepton.retrain("adult")                         # lepton retrain

Each verb is a thin face over the layer that does the work, so the CLI and this module
cannot drift apart: both call the same functions.
"""

from __future__ import annotations

import logging
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from lepton.config import Settings, load_settings
from lepton.data.catalog import DataCatalog, DatasetVersion
from lepton.data.limits import ReadLimits
from lepton.data.recipe import Recipe
from lepton.store.metadata.records import (
    DatasetSummary,
    DeploymentEventRecord,
    Page,
    RunRecord,
)
from lepton.store.project import Project

if TYPE_CHECKING:
    from lepton.optimize import OptimizeOutcome
    from lepton.serve.deployments import DeploymentSpec
    from lepton.serve.embedded import Server
    from lepton.store.gc import GcReport
    from lepton.store.predictions import ActualsResult, FeedbackResult

log = logging.getLogger(__name__)
_projects: dict[tuple[str, str, str], Project] = {}


def project(settings: Settings | None = None) -> Project:
    """The project for ``settings`` (default: resolved from env and lepton.toml), opened once."""
    settings = settings or load_settings()
    key = (str(settings.home), settings.store_url, settings.artifacts_url)
    if key not in _projects:
        _projects[key] = Project.open(settings)
    return _projects[key]


def catalog(settings: Settings | None = None) -> DataCatalog:
    return DataCatalog(project(settings))


def as_recipe(recipe: Recipe | str | Path | list[dict[str, Any]]) -> Recipe:
    """Accept a recipe object, a recipe file path, or a list of step dicts."""
    if isinstance(recipe, Recipe):
        return recipe
    if isinstance(recipe, list):
        return Recipe.from_list(recipe)
    return Recipe.from_file(Path(recipe))


class Dataset:
    """Entry points for dataset versions; each returns a ``DatasetVersion``."""

    @staticmethod
    def add(
        path: str | Path,
        *,
        name: str,
        target: str | None = None,
        format: str | None = None,
        limits: ReadLimits | None = None,
    ) -> DatasetVersion:
        """Ingest a file or folder; ``limits`` bounds its fields and lines (``lepton data add``)."""
        return catalog().add(path, name=name, target=target, format=format, limits=limits)[0]

    @staticmethod
    def from_pandas(frame: pd.DataFrame, *, name: str, target: str | None = None) -> DatasetVersion:
        return catalog().add_frame(frame, name=name, target=target)[0]

    @staticmethod
    def get(ref: str) -> DatasetVersion:
        """``NAME`` (latest) or ``NAME@VERSION``."""
        return catalog().get(ref)

    @staticmethod
    def versions(name: str) -> list[DatasetVersion]:
        return catalog().versions(name)

    @staticmethod
    def clean(ref: str, recipe: Recipe | str | Path | list[dict[str, Any]]) -> DatasetVersion:
        return catalog().clean(ref, as_recipe(recipe))[0]

    @staticmethod
    def list() -> list[DatasetSummary]:
        return catalog().list()


class Model:
    """A trained, registered model: leaderboard, evaluation and predictions in one object."""

    def __init__(self, outcome: Any) -> None:
        self._outcome = outcome
        self.automl = outcome.automl
        self.version = outcome.version
        self.run = outcome.run

    @property
    def ref(self) -> str:
        return f"{self.version.name}@{self.version.version}"

    @property
    def timings(self) -> dict[str, float]:
        """Seconds per phase of the ``fit`` call (start and data, search, importance, …)."""
        return dict(self._outcome.timings)

    def leaderboard(self) -> pd.DataFrame:
        return self.automl.leaderboard()  # type: ignore[no-any-return]

    def evaluate(self, test: pd.DataFrame | DatasetVersion | str) -> dict[str, Any]:
        from lepton.learn.evaluation import evaluate

        return evaluate(self.automl.model_, _frame(test))

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        return self.automl.predict(frame)  # type: ignore[no-any-return]

    def predict_proba(self, frame: pd.DataFrame) -> pd.DataFrame:
        return self.automl.predict_proba(frame)  # type: ignore[no-any-return]

    def forecast(
        self,
        history: pd.DataFrame | None = None,
        *,
        horizon: int | None = None,
        series: list[str] | None = None,
        future: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """A forecaster's quantile forecasts (from the end of training, or from ``history``)."""
        return self.automl.model_.forecast(  # type: ignore[no-any-return]
            history, horizon=horizon, series=series, future=future
        )

    def recommend(self, user: Any, k: int | None = None) -> dict[str, Any]:
        """A recommender's top-k unseen items for ``user`` (popularity when it is unknown)."""
        return self.automl.model_.recommend(user, k)  # type: ignore[no-any-return]

    def similar(self, item: Any, k: int | None = None) -> dict[str, Any]:
        """A recommender's ``k`` items most like ``item``."""
        return self.automl.model_.similar(item, k)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"Model({self.ref}, task={self.automl.task_}, metric={self.automl.metric_})"


def _frame(data: pd.DataFrame | DatasetVersion | str) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, DatasetVersion):
        return data.to_pandas()
    return catalog().get(data).to_pandas()


def fit(
    data: pd.DataFrame | DatasetVersion | str | Path,
    *,
    target: str | None = None,
    time_limit: float = 60.0,
    metric: str | None = None,
    task: str | None = None,
    name: str | None = None,
    test: pd.DataFrame | DatasetVersion | str | None = None,
    seed: int = 0,
    infer_limit: float | None = None,
    **options: Any,
) -> Model:
    """AutoML on a DataFrame, a dataset version or a file; the result is versioned and registered.

    ``infer_limit`` (tables and text): seconds per row, on one core, that a batch
    prediction may cost; the ensemble is chosen among members that fit (fewer members, or
    fewer fold models), trading accuracy for scoring speed. Default: no limit.

    Forecasting: ``task="forecast", time_column=…, horizon=H`` plus optional ``id_column``,
    ``known_covariates``, ``static_covariates``, ``quantiles`` and ``n_windows``.
    Association rules: ``task="rules", transaction_column=…, item_column=…`` plus optional
    ``min_support``, ``min_confidence`` and ``max_rules``.
    Clustering: ``task="clustering"`` (no target; optional ``k`` and ``families``).
    Anomaly detection: ``task="anomaly"`` plus optional ``contamination`` (default 0.05, or
    the label's rate) and ``target`` (a two-valued label, used only to select and evaluate).
    Recommendation: ``task="recommend", user_column=…, item_column=…`` plus optional
    ``rating_column``, ``time_column`` and ``k``.
    Entity recognition: ``task="ner"`` on a ``text`` column (or ``text_column=…``); with an
    ``entities`` column of ``[[start, end, label], …]`` spans (or ``entities_column=…``)
    the pretrained pipeline is fine-tuned, without one it is served as it is.
    """
    started = time.time()  # the budget is the caller's wall clock: ingest counts too
    from lepton.learn.training import train_dataset
    from lepton.runtime.kinds import check_options

    check_options(task, options)
    cat = catalog()
    if isinstance(data, pd.DataFrame):
        dataset = cat.add_frame(data, name=name or "dataset", target=target)[0]
    elif isinstance(data, DatasetVersion):
        dataset = data
    elif isinstance(data, Path) or (isinstance(data, str) and Path(data).exists()):
        dataset = cat.add(data, name=name or Path(data).stem.split(".")[0], target=target)[0]
    else:
        dataset = cat.get(str(data))
    test_ref = None
    if test is not None:
        test_version = (
            cat.add_frame(test, name=f"{dataset.name}-test", target=target)[0]
            if isinstance(test, pd.DataFrame)
            else test
            if isinstance(test, DatasetVersion)
            else cat.get(test)
        )
        test_ref = test_version.ref
    outcome = train_dataset(
        project(),
        dataset.ref,
        target=target,
        time_limit=time_limit,
        metric=metric,
        task=task,
        test_ref=test_ref,
        model_name=name,
        seed=seed,
        options=options or None,
        started_at=started,
        infer_limit=infer_limit,
    )
    return Model(outcome)


def load(ref: str) -> Any:
    """The ``Predictor`` of a registered model version (``NAME``, ``NAME@3``, ``NAME@production``)."""
    from lepton.runtime.loader import load_predictor

    return load_predictor(project(), ref)[0]


def optimize(
    ref: str,
    *,
    max_metric_drop: float = 0.005,
    objective: str = "latency",
    test: str | None = None,
    tolerance: float = 1e-5,
) -> OptimizeOutcome:
    """``lepton optimize``: build, measure and choose serving variants of a model version."""
    from lepton.optimize import optimize as run

    return run(
        project(),
        ref,
        max_metric_drop=max_metric_drop,
        objective=objective,
        test_ref=test,
        tolerance=tolerance,
    )


def deploy(
    ref: str,
    *,
    name: str | None = None,
    canary_percent: float | None = None,
    shadow: bool = False,
    max_batch_size: int | None = None,
    max_latency_ms: float | None = None,
    allow_unknown_categories: bool | None = None,
    optimize: bool = True,
    reason: str | None = None,
) -> DeploymentSpec:
    """``lepton deploy``: create or update a deployment; running servers pick it up.

    A version never optimized is optimized first (``optimize=False`` opts out); what it
    serves is logged on ``lepton.api``, and a failed optimization is a ``UserWarning``
    (the deploy then serves the native pipeline).
    """
    from lepton.optimize.deploying import check_request, current_choice, ensure_optimized
    from lepton.runtime.loader import resolve
    from lepton.serve.deployments import deploy as run

    proj = project()
    record = resolve(proj, ref)
    check_request(proj, record, name, canary_percent=canary_percent, shadow=shadow)
    choice = (
        ensure_optimized(proj, record) if optimize else current_choice(record, status="skipped")
    )
    if choice.warning:
        warnings.warn(choice.message, UserWarning, stacklevel=2)
    else:
        log.info(choice.message)
    return run(
        proj,
        f"{record.name}@{record.version}",
        name=name,
        canary_percent=canary_percent,
        shadow=shadow,
        max_batch_size=max_batch_size,
        max_latency_ms=max_latency_ms,
        allow_unknown_categories=allow_unknown_categories,
        actor="python",
        reason=reason,
    )


def promote(
    deployment: str, version: int | None = None, *, reason: str | None = None
) -> DeploymentSpec:
    """``lepton deployments promote``: all traffic to the canary (or ``version``)."""
    from lepton.serve.deployments import promote as run

    return run(project(), deployment, version, actor="python", reason=reason)


def rollback(deployment: str, *, reason: str | None = None) -> DeploymentSpec:
    """``lepton deployments rollback``: drop the canary, or go back to the previous primary."""
    from lepton.serve.deployments import rollback as run

    return run(project(), deployment, actor="python", reason=reason)


def deployment_history(
    deployment: str, *, offset: int = 0, limit: int = 50
) -> Page[DeploymentEventRecord]:
    """``lepton deployments history``: who changed the deployment, newest first."""
    return project().metadata.deployment_history(deployment, offset=offset, limit=limit)


def serve(
    *, host: str = "127.0.0.1", port: int = 8000, poll_seconds: float = 2.0, log: bool = True
) -> Server:
    """``lepton serve`` in a background thread of this process; ``.stop()`` shuts it down."""
    from lepton.serve.embedded import Server

    return Server.start(project(), host=host, port=port, poll_seconds=poll_seconds, log=log)


def feedback(deployment: str, labels: pd.DataFrame | str | Path) -> FeedbackResult | ActualsResult:
    """``lepton feedback``: attach ground truth to logged predictions by ``request_id``.

    Forecasts: a table of actuals (``series, time, value``) labels every logged forecast
    of that series for that timestamp; unmatched ones come back in ``unknown``.
    """
    from lepton.data.sources import read_source
    from lepton.serve.deployments import get_spec
    from lepton.store.predictions import is_actuals

    proj = project()
    get_spec(proj, deployment)
    frame = labels if isinstance(labels, pd.DataFrame) else read_source(labels).frame
    if is_actuals(frame):
        return proj.predictions.add_actuals(deployment, frame)
    return proj.predictions.add_feedback(deployment, frame)


def monitor(deployment: str, *, window: str = "24h", html: str | Path | None = None) -> Any:
    """``lepton monitor``: the deployment's ``MonitorSummary`` (and an HTML report if asked)."""
    from lepton.monitor.summary import summarize, write_report

    summary, data = summarize(project(), deployment, window)
    if html is not None:
        write_report(summary, data, Path(html))
    return summary


def retrain(
    deployment: str,
    *,
    margin: float = 0.002,
    canary_percent: float = 10.0,
    promote_after: float | None = None,
    time_limit: float | None = None,
    seed: int = 0,
) -> Any:
    """``lepton retrain``: challenger vs champion on fresh labelled data; ships only a winner."""
    from lepton.monitor.retrain import retrain as run

    return run(
        project(),
        deployment,
        margin=margin,
        canary_percent=canary_percent,
        promote_after=promote_after,
        time_limit=time_limit,
        seed=seed,
    )


def runs(limit: int = 50) -> list[RunRecord]:
    """``lepton runs``: the latest runs, newest first, killed ones marked failed first."""
    metadata = project().metadata
    metadata.reap_runs()
    return metadata.list_runs(limit=limit)


def reap_runs() -> list[RunRecord]:
    """``lepton runs --reap``: mark failed the running runs whose process is gone; those runs."""
    return project().metadata.reap_runs()


def gc(*, grace: str | float = "1h", dry_run: bool = False) -> GcReport:
    """``lepton gc``: remove unreferenced artifacts older than ``grace`` ("1h" or seconds)."""
    from lepton.store.gc import collect_garbage, parse_grace

    grace_s = parse_grace(grace) if isinstance(grace, str) else float(grace)
    proj = project()
    return collect_garbage(proj.metadata, proj.artifacts, grace_s=grace_s, dry_run=dry_run)


__all__ = [
    "Dataset",
    "DatasetVersion",
    "Model",
    "Recipe",
    "catalog",
    "deploy",
    "feedback",
    "fit",
    "gc",
    "load",
    "monitor",
    "optimize",
    "project",
    "promote",
    "reap_runs",
    "retrain",
    "rollback",
    "runs",
    "serve",
]
