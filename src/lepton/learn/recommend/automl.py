"""The recommend kind's training entry point: a small search per family, ranked by NDCG@k.

Each family's configurations run cheapest family first, on a per-user holdout of the
training data (the latest interactions by the time column, else a seeded random draw).
The best configuration by validation NDCG@k is refitted on all interactions. A family
or configuration that would start past the budget is skipped with a note, and the
refit's cost is projected from the validation fit, so ``--time-limit`` is wall clock.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lepton.errors import DataError, LeptonError
from lepton.learn.recommend.families import (
    EASE,
    Popularity,
    Recommender,
    family_names,
    make_family,
)
from lepton.learn.recommend.interactions import Interactions, prepare
from lepton.learn.recommend.metrics import ranking_report
from lepton.learn.recommend.model import RecommendModel
from lepton.learn.recommend.settings import RecommendSettings

if TYPE_CHECKING:
    from lepton.learn.automl import AutoML

RESERVE = 0.1  # of the budget (at least 1 s): the refit on all data and packaging
METRICS = ("ndcg", "precision", "recall")


@dataclass
class RecommendTrial:
    """One configuration's validation as the run records it (``automl.search_.trials``)."""

    family: str
    params: dict[str, Any]
    ok: bool
    seconds: float
    score: float = float("nan")
    report: dict[str, float] = field(default_factory=dict)
    note: str = ""


@dataclass
class RecommendSearch:
    trials: list[RecommendTrial] = field(default_factory=list)


def validate(
    family: Recommender, data: Interactions, train: np.ndarray, test: dict[int, np.ndarray], k: int
) -> dict[str, float]:
    """Fit on the ``train`` rows; the ranking report on the held-out items of ``test``."""
    matrix = data.matrix(train)
    family.fit(matrix)
    popularity = Popularity().fit(matrix)
    model = RecommendModel(
        RecommendSettings("u", "i", k=k), family, popularity, data.users, data.items, matrix, {}
    )
    users = np.array(sorted(test), dtype=np.int64)
    idx, _ = model.top_codes(users, k)
    recommended = {int(u): idx[j] for j, u in enumerate(users)}
    return ranking_report(recommended, test, data.n_items, k)


def auto_holdout(data: Interactions) -> int:
    """5 held-out items per user when the median user has 20 or more (a steadier
    validation score), else 1 (light users keep what little they have)."""
    per_user = np.bincount(data.user_codes, minlength=data.n_users)
    return 5 if float(np.median(per_user)) >= 20 else 1


def fit_recommend(automl: AutoML, frame: pd.DataFrame, column_kinds: dict[str, str]) -> AutoML:
    """``AutoML.fit`` for ``task="recommend"`` (named by ``lepton.runtime.kinds.recommend``)."""
    from lepton.learn.automl import LeaderboardRow

    settings = RecommendSettings.from_options(automl.options or {})
    budget = float(automl.time_limit)
    started = time.monotonic() - (time.time() - automl.started_)
    deadline = started + budget - max(1.0, RESERVE * budget)
    metric = (automl.metric or "ndcg").split("@")[0]
    if metric not in METRICS:
        raise LeptonError(f"recommend metric must be one of {', '.join(METRICS)} (got {metric!r})")
    key = f"{metric}@{settings.k}"
    data = prepare(frame, settings, automl.seed)
    notes = automl.notes_
    notes += data.notes
    per_user = settings.holdout or auto_holdout(data)
    train, test = data.holdout(per_user)
    if not test:
        raise DataError(
            f"no user has more than {per_user} distinct item(s) in "
            f"{settings.user_column!r}/{settings.item_column!r}: nothing to validate on",
            field=settings.user_column,
        )
    how = (
        f"each user's latest {per_user} interaction(s) by {settings.time_column!r}"
        if settings.time_column
        else f"{per_user} interaction(s) per user drawn at random (seed {automl.seed}; "
        "no time column)"
    )
    notes.append(f"validation: {how} held out for {len(test)} users")
    families = list(settings.families or automl.families or family_names())
    for name in families:
        make_family(name)  # a clear error for unknown names before anything runs
    if "ease" in families and data.n_items > EASE.max_items:
        families.remove("ease")
        notes.append(f"skipped ease: {data.n_items} items (it handles at most {EASE.max_items})")
    search = RecommendSearch()
    interrupted = False
    for name in families:
        for params in make_family(name).grid:
            left = deadline - time.monotonic()
            spent = [t.seconds for t in search.trials if t.family == name and t.ok]
            projected = max(spent) if spent else 0.0
            if left <= 0 or projected * 2 > left:  # validation fit plus a refit must fit
                note = f"skipped {name} {params}: the budget is spent"
                search.trials.append(RecommendTrial(name, params, False, 0.0, note=note))
                interrupted = True
                continue
            t0 = time.monotonic()
            family = make_family(name, **params)
            report = validate(family, data, train, test, settings.k)
            seconds = time.monotonic() - t0
            search.trials.append(RecommendTrial(name, params, True, seconds, report[key], report))
    done = [t for t in search.trials if t.ok]
    if not done:
        raise LeptonError(f"no recommender finished within the {budget:g} s budget")
    skipped = [t for t in search.trials if not t.ok]
    if skipped:
        notes.append(f"{len(skipped)} configuration(s) skipped: the budget ran out")
    best_of: dict[str, RecommendTrial] = {}
    for trial in done:
        if trial.family not in best_of or trial.score > best_of[trial.family].score:
            best_of[trial.family] = trial
    ranked = sorted(best_of.values(), key=lambda t: -t.score)
    best = ranked[0]
    full = data.matrix()
    family = make_family(best.family, **best.params).fit(full, automl.seed)
    model = RecommendModel(
        settings,
        family,
        Popularity().fit(full),
        data.users,
        data.items,
        full,
        {
            "validation": {"how": how, "metric": key, **best.report},
            "n_interactions": len(data.user_codes),
        },
    )
    automl.task_, automl.metric_, automl.n_folds_ = "recommend", key, 1
    automl.validation_how_ = f"per-user holdout: {how}; ranked by {key} (known items excluded)"
    automl.model_ = model
    automl.search_ = search
    automl.interrupted_ = interrupted
    automl.leaderboard_ = [
        LeaderboardRow(
            model=t.family,
            family=t.family,
            origin="holdout search",
            score=t.score,
            score_std=0.0,
            fit_seconds=t.seconds,
            predict_ms_per_row=0.0,
            weight=1.0 if t is best else 0.0,
            params=dict(t.params),
        )
        for t in ranked
    ]
    automl.fit_seconds_ = time.time() - automl.started_
    return automl
