"""FP-growth and rule pruning, with the minimum support lowered until the rules suffice.

Why the search over support: the right threshold depends on the catalogue (a grocery
store's bread is in 30% of baskets, a long-tail item in 0.01%), and the mining's cost
grows steeply as it falls. Starting where only the most frequent items qualify and
halving, each round's time is measured and the next projected, so ``--time-limit``
holds; the lowest support that finished gives the rules.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lepton.learn.rules.baskets import Baskets
from lepton.learn.rules.settings import RulesSettings
from lepton.runtime.rules import Rule

MIN_COUNT = 5  # an itemset in fewer baskets than this is noise, whatever the support says
START_RANK = 10  # start where about this many single items are frequent
GROWTH = 4.0  # projected cost of the next (halved) support over the last one's
MAX_ROUNDS = 12


@dataclass
class Mined:
    rules: list[Rule]
    min_support: float
    n_itemsets: int
    n_candidates: int  # rules before pruning
    rounds: list[dict[str, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def mine(baskets: Baskets, settings: RulesSettings, deadline: float) -> Mined:
    """The pruned rules at the given support, or at the lowest one the budget allows."""
    floor = MIN_COUNT / len(baskets)
    if settings.min_support is not None:
        return _mine_at(baskets, settings, settings.min_support)
    counts = np.sort(np.asarray(baskets.matrix.sum(axis=0)).ravel())[::-1]
    start = float(counts[min(START_RANK, len(counts)) - 1]) / len(baskets)
    support = max(start, floor)
    best: Mined | None = None
    rounds: list[dict[str, float]] = []
    notes: list[str] = []
    last_seconds = 0.0
    for _ in range(MAX_ROUNDS):
        began = time.monotonic()
        if best is not None and began + max(last_seconds * GROWTH, 0.05) > deadline:
            notes.append(
                f"stopped lowering min_support at {best.min_support:.4g}: the next round "
                f"would take about {last_seconds * GROWTH:.1f} s, past the time limit"
            )
            break
        result = _mine_at(baskets, settings, support)
        last_seconds = time.monotonic() - began
        rounds.append({"min_support": support, "rules": len(result.rules), "seconds": last_seconds})
        best = result
        if len(result.rules) >= settings.max_rules or support <= floor:
            break
        support = max(support / 2, floor)
    assert best is not None
    best.rounds, best.notes = rounds, notes + best.notes
    notes_support = f"min_support {best.min_support:.4g} chosen automatically"
    best.notes.append(f"{notes_support} ({len(rounds)} round(s), floor {floor:.3g})")
    return best


def _mine_at(baskets: Baskets, settings: RulesSettings, support: float) -> Mined:
    from mlxtend.frequent_patterns import association_rules, fpgrowth

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mlxtend's DeprecationWarnings about sparse frames
        itemsets = fpgrowth(
            baskets.frame(), min_support=support, use_colnames=True, max_len=settings.max_len
        )
        if len(itemsets) == 0 or int(itemsets["itemsets"].map(len).max()) < 2:
            return Mined([], support, len(itemsets), 0)
        table = association_rules(
            itemsets,
            num_itemsets=len(baskets),
            metric="confidence",
            min_threshold=settings.min_confidence,
            return_metrics=["support", "confidence", "lift", "conviction"],
        )
    candidates = len(table)
    return Mined(prune(table, settings.max_rules), support, len(itemsets), candidates)


def prune(table: pd.DataFrame, max_rules: int) -> list[Rule]:
    """Useful rules only: lift > 1, no redundant rule, at most ``max_rules``.

    A rule is redundant when a rule with the same consequent and a strict subset of its
    antecedent is at least as confident: the longer rule says nothing the shorter does not.
    """
    useful = table[table["lift"] > 1.0]
    rows = sorted(
        (
            (frozenset(map(str, a)), frozenset(map(str, c)), float(s), float(f), float(lift), cv)
            for a, c, s, f, lift, cv in zip(
                useful["antecedents"],
                useful["consequents"],
                useful["support"],
                useful["confidence"],
                useful["lift"],
                useful["conviction"],
                strict=True,
            )
        ),
        key=lambda r: len(r[0]),
    )
    kept_by_consequent: dict[frozenset[str], list[tuple[frozenset[str], float]]] = {}
    kept = []
    for antecedent, consequent, support, confidence, lift, conviction in rows:
        shorter = kept_by_consequent.setdefault(consequent, [])
        if any(a < antecedent and c >= confidence for a, c in shorter):
            continue
        shorter.append((antecedent, confidence))
        finite = conviction is not None and np.isfinite(conviction)
        kept.append(
            Rule(
                tuple(sorted(antecedent)),
                tuple(sorted(consequent)),
                support,
                confidence,
                lift,
                float(conviction) if finite else None,
            )
        )
    kept.sort(key=lambda r: (-r.confidence, -r.lift, -r.support, r.antecedent, r.consequent))
    return kept[:max_rules]
