"""The rules kind's training entry point: hold out baskets, mine, score, refit on all.

A seeded 20% of the baskets is held out; the rules mined on the rest are scored by
leave-one-item-out hit rate@k there (the leaderboard's number). The final rules are
mined on every basket at the same support when the projected time fits the budget;
otherwise the held-out-scored rules are kept, with a note.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lepton.learn.rules.baskets import Baskets, build_baskets
from lepton.learn.rules.evaluation import hit_rate
from lepton.learn.rules.mining import mine
from lepton.learn.rules.model import RulesModel
from lepton.learn.rules.settings import RulesSettings
from lepton.learn.trials import FamilySearch, FamilyTrial
from lepton.runtime.rules import RuleSet

if TYPE_CHECKING:
    from lepton.learn.automl import AutoML

HOLDOUT = 0.2
MAX_SCORED = 2000  # held-out baskets scored (a sample beyond: ±1% on the hit rate)
RESERVE = 0.1  # of the budget, at least 1 s: scoring and packaging
TOP_ITEMS = 200  # item shares kept for drift checks


def fit_rules(automl: AutoML, frame: pd.DataFrame, column_kinds: dict[str, str]) -> AutoML:
    """``AutoML.fit`` for ``task="rules"`` (named by ``lepton.runtime.kinds.rules``)."""
    from lepton.learn.automl import LeaderboardRow

    settings = RulesSettings.from_options(automl.options or {})
    budget = float(automl.time_limit)
    started = time.monotonic() - (time.time() - automl.started_)
    deadline = started + budget - max(1.0, RESERVE * budget)
    baskets = build_baskets(frame, settings.transaction_column, settings.item_column)
    notes = automl.notes_
    sizes = baskets.sizes()
    singles = int((sizes < 2).sum())
    if singles:
        notes.append(f"{singles} of {len(baskets)} baskets hold one item (no rule can use them)")
    train, held = _split(baskets, automl.seed)
    mining_deadline = started + (deadline - started) * 0.6  # leave room for the refit
    began = time.monotonic()
    mined = mine(train, settings, mining_deadline)
    search = FamilySearch([FamilyTrial("fpgrowth", True, time.monotonic() - began)])
    notes += mined.notes
    queries = held.lists()
    if len(queries) > MAX_SCORED:
        pick = np.random.default_rng(automl.seed).choice(len(queries), MAX_SCORED, replace=False)
        queries = [queries[i] for i in np.sort(pick)]
    scores = hit_rate(RuleSet(mined.rules), queries, settings.top_k, automl.seed)
    last_round = mined.rounds[-1]["seconds"] if mined.rounds else search.trials[0].seconds
    final = mined
    if time.monotonic() + last_round * 1.5 < deadline:
        fixed = RulesSettings(**{**settings.to_dict(), "min_support": mined.min_support})
        final = mine(baskets, fixed, deadline)
    else:
        notes.append("kept the rules mined on 80% of the baskets: no time left to refit on all")
    if not final.rules:
        notes.append(
            f"no rule passed lift > 1 and confidence ≥ {settings.min_confidence:g} at "
            f"min_support {final.min_support:.4g}; lower --min-support or --min-confidence"
        )
    model = RulesModel(
        settings,
        RuleSet(final.rules),
        profile(baskets),
        {
            "min_support": final.min_support,
            "n_itemsets": final.n_itemsets,
            "n_candidates": final.n_candidates,
            "rounds": mined.rounds,
            "holdout": scores,
        },
    )
    metric = f"hit_rate@{settings.top_k}"
    automl.task_, automl.metric_, automl.n_folds_ = "rules", metric, 1
    automl.validation_how_ = (
        f"leave-one-item-out hit rate@{settings.top_k} on {int(scores['n_baskets'])} held-out "
        f"baskets (from a seeded {HOLDOUT:.0%} of {len(baskets)}), rules mined on the rest"
    )
    automl.model_ = model
    automl.search_ = search
    automl.interrupted_ = False
    automl.leaderboard_ = [
        LeaderboardRow(
            model="fpgrowth",
            family="fpgrowth",
            origin=f"min_support {final.min_support:.4g}, {len(final.rules)} rules",
            score=scores[metric],
            score_std=float("nan"),
            fit_seconds=search.trials[0].seconds,
            predict_ms_per_row=0.0,
            weight=1.0,
            params={"min_support": final.min_support, "min_confidence": settings.min_confidence},
        )
    ]
    automl.fit_seconds_ = time.time() - automl.started_
    return automl


def _split(baskets: Baskets, seed: int) -> tuple[Baskets, Baskets]:
    order = np.random.default_rng(seed).permutation(len(baskets))
    n_held = max(1, round(HOLDOUT * len(baskets)))
    return baskets.take(np.sort(order[n_held:])), baskets.take(np.sort(order[:n_held]))


def profile(baskets: Baskets) -> dict[str, Any]:
    """Item shares (of baskets holding each item) and basket sizes: the drift reference."""
    counts = np.asarray(baskets.matrix.sum(axis=0)).ravel()
    top = np.argsort(-counts, kind="stable")[:TOP_ITEMS]
    sizes = baskets.sizes()
    return {
        "n_baskets": len(baskets),
        "n_items": len(baskets.items),
        "item_share": {baskets.items[i]: round(float(counts[i]) / len(baskets), 6) for i in top},
        "size_mean": float(sizes.mean()),
        "size_quantiles": [float(q) for q in np.quantile(sizes, [0.1, 0.25, 0.5, 0.75, 0.9])],
        "size_sample": [int(s) for s in np.random.default_rng(0).permutation(sizes)[:2000]],
    }
