"""``AutoML(target=...).fit(frame, ...)``: the AutoGluon-style facade over the search.

Parameters are stored by ``__init__``; ``fit`` learns ``task_``, ``metric_``,
``leaderboard_`` and ``model_`` (a ``TrainedModel``) and returns ``self``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lepton.compute import Executor, available_cores, make_executor
from lepton.errors import DataError, LeptonError
from lepton.learn.cv import (
    HOLDOUT_FRACTION,
    HOLDOUT_FROM_ROWS,
    make_folds,
    make_holdout,
    validated_rows,
)
from lepton.learn.ensemble import fit_temperature, greedy_ensemble
from lepton.learn.families import TaskInfo, family_names
from lepton.learn.families.registry import Inputs
from lepton.learn.features import FeatureEncoder
from lepton.learn.metrics import Metric, get_metric
from lepton.learn.model import HEDGE_COUNTS, Member, TrainedModel
from lepton.learn.search import EventHandler, Search, SearchResult
from lepton.learn.tasks import infer_task
from lepton.learn.text_plan import plan_text
from lepton.runtime.kinds import get_kind, infer_kind, kind_for_task

if TYPE_CHECKING:
    from lepton.learn.clustering.automl import ClusterSearch
    from lepton.learn.clustering.model import ClusterModel
    from lepton.learn.forecast.model import ForecastModel
    from lepton.learn.ner.model import NerModel
    from lepton.learn.recommend.automl import RecommendSearch
    from lepton.learn.recommend.model import RecommendModel
    from lepton.learn.rules.model import RulesModel
    from lepton.learn.speech.model import SpeechModel
    from lepton.learn.trials import FamilySearch
    from lepton.learn.vision.model import ImageModel

MAX_ENSEMBLE_CANDIDATES = 20
TABLE_INPUTS: tuple[Inputs, ...] = (
    "tabular",
    "text",
)  # families the table search trains (images go to vision)


@dataclass
class LeaderboardRow:
    model: str
    family: str
    origin: str
    score: float
    score_std: float
    fit_seconds: float
    predict_ms_per_row: float
    weight: float
    params: dict[str, Any]
    windows: list[float] | None = None  # forecasting: the score in each backtest window


MIN_TRAIN_ROWS = 10  # below this, cross-validated scores mean nothing


class AutoML:
    """Finds the most accurate model the time budget allows for one target column."""

    model_: (
        TrainedModel
        | ImageModel
        | ForecastModel
        | RulesModel
        | ClusterModel
        | RecommendModel
        | NerModel
        | SpeechModel
    )
    search_: SearchResult | FamilySearch | ClusterSearch | RecommendSearch
    validation_how_: str | None = None  # set when validation is not k-fold CV (images)
    backtest_: dict[str, Any] | None = None  # forecasting: windows, coverage, per-family scores

    def __init__(
        self,
        target: str | None,
        *,
        task: str | None = None,
        metric: str | None = None,
        time_limit: float = 60.0,
        n_folds: int | None = None,
        families: list[str] | None = None,
        seed: int = 0,
        n_workers: int | None = None,
        column_kinds: dict[str, str] | None = None,
        executor: Executor | None = None,
        on_event: EventHandler | None = None,
        max_trials: int | None = None,
        options: dict[str, Any] | None = None,
        started_at: float | None = None,
        infer_limit: float | None = None,
        ray_address: str | None = None,
    ) -> None:
        self.target = target
        self.ray_address = ray_address  # trials run as tasks on this Ray cluster when set
        # seconds per row a batch prediction may cost (one core): caps the ensemble
        self.infer_limit = infer_limit
        # the budget's clock: the caller's start (the CLI passes its process start), else fit()
        self.started_at = started_at
        self.task = task
        self.metric = metric
        self.time_limit = time_limit
        self.n_folds = n_folds  # None: 5-fold CV, or a hold-out from HOLDOUT_FROM_ROWS rows
        self.families = families
        self.seed = seed
        self.n_workers = n_workers
        self.column_kinds = column_kinds
        self.executor = executor
        self.on_event = on_event
        self.max_trials = max_trials
        self.options = options  # the kind's own settings (forecasting: time column, horizon, …)

    @property
    def label(self) -> str:
        """The target column of a supervised search (set: AutoML.fit checked it)."""
        if self.target is None:
            raise LeptonError("this search needs a target column")
        return self.target

    def fit(self, frame: pd.DataFrame) -> AutoML:
        # the budget runs from here, whichever kind trains
        self.started_ = min(self.started_at or time.time(), time.time())
        if self.time_limit is None or self.time_limit <= 0:
            raise LeptonError(f"time limit must be > 0 seconds (got {self.time_limit})")
        if self.infer_limit is not None and not self.infer_limit > 0:
            raise LeptonError(f"--infer-limit must be > 0 seconds per row (got {self.infer_limit})")
        owner = kind_for_task(self.task) or _claimed_unsupervised(self.column_kinds)
        supervised = owner is None or get_kind(owner).needs_target
        if (supervised or self.target is not None) and self.target not in frame.columns:
            raise DataError(
                f"target column {self.target!r} not found; columns: {', '.join(map(str, frame.columns))}"
            )
        self.notes_: list[str] = []
        if owner is None:
            known = family_names(inputs=TABLE_INPUTS)
            families = list(self.families or family_names(inputs=TABLE_INPUTS, default=True))
            unknown = [f for f in families if f not in known]
            if unknown:
                raise LeptonError(f"unknown model famil(ies) {unknown}; choose from {known}")
        inputs = frame.drop(columns=[self.target]) if self.target is not None else frame
        kinds = self.column_kinds or _infer_kinds(inputs.head(2000))
        kind = get_kind(owner or infer_kind(k for c, k in kinds.items() if c != self.target))
        if self.infer_limit is not None and kind.name not in TABLE_INPUTS:
            raise LeptonError(
                f"--infer-limit applies to table and text models, not to {kind.name} ones"
            )
        trained: AutoML = kind.entry("trainer")(self, frame, kinds)
        return trained

    def _fit_table(self, frame: pd.DataFrame) -> AutoML:
        """The tabular (and text) search: CV, Optuna, ensembling, calibration."""
        started = self.started_
        deadline = started + float(self.time_limit)
        families = list(self.families or family_names(inputs=TABLE_INPUTS, default=True))
        labelled = frame[frame[self.target].notna()]
        if len(labelled) < len(frame):
            self.notes_.append(f"dropped {len(frame) - len(labelled)} rows with no target value")
        target = infer_task(labelled[self.target], self.task)
        y = target.encode(labelled[self.target])
        metric = get_metric(self.metric, target.task)
        features = labelled.drop(columns=[self.target]).reset_index(drop=True)
        kinds = self.column_kinds or _infer_kinds(features)
        families, embed = plan_text(
            features,
            kinds,
            families,
            explicit=self.families is not None,
            time_limit=self.time_limit,
            notes=self.notes_,
        )
        encoder = FeatureEncoder(kinds, embed_text=embed).fit(features)
        self.notes_ += encoder.describe_drops()
        data = encoder.transform(features)
        n_folds = self._folds_for(y, target.task)
        if n_folds == 1:
            folds = make_holdout(y, target.task, HOLDOUT_FRACTION, self.seed)
            self.validation_how_ = (
                f"hold-out validation on {len(folds[0][1]):,} of {len(y):,} rows "
                f"({HOLDOUT_FRACTION:.0%}, {'stratified, ' if target.task != 'regression' else ''}"
                f"from {HOLDOUT_FROM_ROWS:,} rows one split replaces k-fold CV)"
            )
            self.notes_.append(self.validation_how_)
        else:
            folds = make_folds(y, target.task, n_folds, self.seed)
        workers = self.n_workers or available_cores()
        threads = 1
        info = TaskInfo(target.task, len(target.labels), metric.name, self.seed, threads)
        executor = self.executor or make_executor(workers, ray_address=self.ray_address)
        if self.executor is None and self.ray_address:
            self.notes_.append(
                f"trials ran as Ray tasks on the cluster at {self.ray_address}, "
                f"{executor.n_workers} at once"
            )
        # keep ~8% of the budget (at least 1 s) for ensembling, calibration and packaging
        search_deadline = deadline - max(1.0, 0.08 * self.time_limit)
        search = Search(
            data,
            y,
            folds,
            info,
            families=families,
            time_limit=self.time_limit,
            executor=executor,
            on_event=self.on_event,
            max_trials=self.max_trials,
        )
        try:
            result = search.run(search_deadline)
        finally:
            if self.executor is None:
                executor.shutdown()
        if result.lost:
            self.notes_.append(
                f"dropped {', '.join(result.lost)}: the worker running it was lost "
                "(retried once first); the search went on without it"
            )
        if result.stopped:
            self.notes_.append(
                f"stopped {', '.join(result.stopped)}: still fitting "
                f"{search.overrun_grace:.1f}+ s past the search deadline"
            )
        if not result.successful:
            errors = "; ".join(sorted({(t.error or "").splitlines()[0] for t in result.trials})[:3])
            raise LeptonError(
                f"no model finished within the {self.time_limit:g} s budget"
                + (f" ({errors})" if errors else "")
                + "; raise --time-limit"
            )
        self.task_, self.metric_, self.n_folds_ = target.task, metric.name, n_folds
        self.search_ = result
        rows = validated_rows(folds, len(y))
        scored_y = y if rows is None else y[rows]  # what the out-of-fold predictions cover
        self.model_, self.leaderboard_ = self._assemble(
            result, encoder, target, scored_y, metric, everyone=y
        )
        self.model_.extra[HEDGE_COUNTS] = _category_counts(
            data.cat, y, target.task, len(target.labels)
        )
        self.fit_seconds_ = time.time() - started
        self.interrupted_ = result.interrupted
        return self

    def _folds_for(self, y: np.ndarray[Any, Any], task: str) -> int:
        """Folds for k-fold CV, or 1 for a hold-out split (big tables, unless folds were set)."""
        if self.n_folds is None and len(y) >= HOLDOUT_FROM_ROWS:
            return 1
        n_folds = 5 if self.n_folds is None else self.n_folds
        if n_folds < 2:
            raise LeptonError(f"--folds must be at least 2 (got {n_folds})")
        if task != "regression":
            smallest = int(np.bincount(y).min())
            if smallest < 2:
                raise DataError(
                    "a class has a single example; cross-validation needs at least 2 per class"
                )
            if smallest < n_folds:
                self.notes_.append(f"using {smallest} folds: the rarest class has {smallest} rows")
                n_folds = smallest
        needed = max(MIN_TRAIN_ROWS, 2 * n_folds)
        if len(y) < needed:
            raise DataError(f"only {len(y)} labelled rows; need at least {needed} to train")
        return n_folds

    def _assemble(
        self,
        result: SearchResult,
        encoder: FeatureEncoder,
        target: Any,
        y: np.ndarray[Any, Any],
        metric: Metric,
        everyone: np.ndarray[Any, Any] | None = None,
    ) -> tuple[TrainedModel, list[LeaderboardRow]]:
        """Ensemble, calibrate and rank; ``y`` is what the out-of-fold predictions cover,
        ``everyone`` every training label (for the prior)."""
        labels_seen = y if everyone is None else everyone
        candidates = result.successful[:MAX_ENSEMBLE_CANDIDATES]  # successful: oof is set
        oofs = [t.oof for t in candidates if t.oof is not None]
        limit = self.infer_limit
        costs = [batch_cost(t) for t in candidates]
        weights, ens_loss = greedy_ensemble(oofs, y, metric, costs=costs, budget=limit)
        best, n_models = candidates[0], len(candidates[0].models)
        if limit is not None:
            best, n_models, note = _fastest_within(candidates, limit)
            self.notes_.append(note)
        if ens_loss < best.loss - 1e-9 and np.count_nonzero(weights) > 1:
            chosen = [(t, float(w)) for t, w in zip(candidates, weights, strict=True) if w > 0]
            oof = np.sum([w * t.oof for t, w in chosen if t.oof is not None], axis=0)
            self.notes_.append(
                f"ensemble of {len(chosen)} models beats the best single model "
                f"({_score(metric, ens_loss):.5f} vs {_score(metric, best.loss):.5f})"
            )
        else:
            chosen, oof = [(best, 1.0)], best.oof
            self.notes_.append("the best single model beats every ensemble; kept it alone")
        temperature = 1.0
        if target.task != "regression" and oof is not None:
            temperature = fit_temperature(oof, y)
        members = [  # under an infer limit the best trial may keep fewer fold models
            Member(
                _name(t),
                t.spec.family,
                t.spec.params,
                t.models[:n_models] if t is best else t.models,
                w,
            )
            for t, w in chosen
        ]
        prior = (
            np.asarray([float(np.mean(labels_seen))])
            if target.task == "regression"
            else np.bincount(labels_seen, minlength=len(target.labels)) / len(labels_seen)
        )
        model = TrainedModel(encoder, target, self.label, members, temperature, prior=prior)
        weight_of = {id(t): w for t, w in chosen}
        rows = [
            LeaderboardRow(
                model=_name(t),
                family=t.spec.family,
                origin=t.spec.origin,
                score=_score(metric, t.loss),
                score_std=float(np.std([_score(metric, f) for f in t.fold_losses])),
                fit_seconds=t.fit_seconds,
                predict_ms_per_row=t.predict_seconds_per_row * 1000,
                weight=weight_of.get(id(t), 0.0),
                params=t.spec.params,
            )
            for t in result.successful
        ]
        if len(chosen) > 1:
            rows.insert(
                0,
                LeaderboardRow(
                    model="ensemble",
                    family="ensemble",
                    origin="greedy selection",
                    score=_score(metric, ens_loss),
                    score_std=float("nan"),
                    fit_seconds=sum(t.fit_seconds for t, _ in chosen),
                    predict_ms_per_row=sum(t.predict_seconds_per_row for t, _ in chosen) * 1000,
                    weight=1.0,
                    params={m.name: round(m.weight, 4) for m in members},
                ),
            )
        return model, rows

    def leaderboard(self) -> pd.DataFrame:
        """One row per model; forecasting adds each backtest window's score (w1, w2, …)."""
        frame = pd.DataFrame([r.__dict__ for r in self.leaderboard_]).drop(columns=["params"])
        windows = frame.pop("windows")
        if windows.notna().any():
            width = max(len(w) for w in windows if w is not None)
            for i in range(width):
                frame[f"w{i + 1}"] = [
                    w[i] if w is not None and i < len(w) else None for w in windows
                ]
        return frame

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        return self.model_.predict(frame)

    def predict_proba(self, frame: pd.DataFrame) -> pd.DataFrame:
        return self.model_.predict_proba(frame)


def batch_cost(trial: Any) -> float:
    """Seconds per row, on one core, for all of a trial's fold models to predict a batch."""
    return float(len(trial.models) * trial.predict_seconds_per_row)


def _fastest_within(candidates: list[Any], limit: float) -> tuple[Any, int, str]:
    """The best single trial whose fold models fit ``limit`` (seconds per row), how many of
    its fold models to keep, and a note saying what the limit cost.

    When no trial's whole bag fits, the best trial whose one fold model fits keeps as many
    fold models as the limit pays for; when not even that fits, the fastest model is kept.
    """
    for trial in candidates:
        if batch_cost(trial) <= limit:
            return (
                trial,
                len(trial.models),
                (
                    f"--infer-limit {limit:g} s/row: the ensemble is chosen among members "
                    f"predicting within it ({_name(trial)} alone: {batch_cost(trial):.2g} s/row)"
                ),
            )
    for trial in candidates:
        one = trial.predict_seconds_per_row
        if one <= limit:
            keep = max(1, min(len(trial.models), int(limit // one)))
            return (
                trial,
                keep,
                (
                    f"--infer-limit {limit:g} s/row: no whole fold bag fits; kept {keep} of "
                    f"{len(trial.models)} fold models of {_name(trial)} ({keep * one:.2g} s/row)"
                ),
            )
    fastest = min(candidates, key=lambda t: t.predict_seconds_per_row)
    return (
        fastest,
        1,
        (
            f"--infer-limit {limit:g} s/row: no model predicts that fast; kept the fastest, "
            f"one fold model of {_name(fastest)} ({fastest.predict_seconds_per_row:.2g} s/row)"
        ),
    )


def _name(trial: Any) -> str:
    return f"{trial.spec.family}#{trial.spec.trial_id}"


def _score(metric: Metric, loss: float) -> float:
    return -loss if metric.greater_is_better else loss


def _category_counts(
    codes: np.ndarray[Any, Any], y: np.ndarray[Any, Any], task: str, n_classes: int
) -> list[np.ndarray[Any, Any]]:
    """Per categorical column, training class counts per level (regression: [count, sum]).

    The sufficient statistics ``TrainedModel`` needs to condition its prior on the
    categories a mostly-empty row still has; a few numbers per level, no training rows.
    """
    tables = []
    width = n_classes if task != "regression" else 2
    for j in range(codes.shape[1]):
        column = codes[:, j]
        levels = int(column.max()) + 1 if len(column) else 0
        table = np.zeros((max(levels, 0), width), dtype=np.float64)
        ok = column >= 0
        if task == "regression":
            np.add.at(table[:, 0], column[ok], 1.0)
            np.add.at(table[:, 1], column[ok], y[ok].astype(np.float64))
        else:
            np.add.at(table, (column[ok], y[ok]), 1.0)
        tables.append(table)
    return tables


def _infer_kinds(frame: pd.DataFrame) -> dict[str, str]:
    """Column roles from the data layer's schema inference."""
    from lepton.data.schema import infer_schema

    return {c.name: c.kind for c in infer_schema(frame).columns}


def fit_tabular(automl: AutoML, frame: pd.DataFrame, column_kinds: dict[str, str]) -> AutoML:
    """The tabular and text kinds' training entry point (``lepton.runtime.kinds``)."""
    return automl._fit_table(frame)


def _claimed_unsupervised(column_kinds: dict[str, str] | None) -> str | None:
    """A kind the columns alone choose that trains without a target (audio clips: speech)."""
    if not column_kinds:
        return None
    kind = get_kind(infer_kind(column_kinds.values()))
    return kind.name if kind.tasks and not kind.needs_target else None
