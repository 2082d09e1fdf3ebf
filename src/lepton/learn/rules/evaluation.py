"""Leave-one-item-out hit rate@k: how often the rules recover an item held out of a basket.

Why this metric: rules are served as "given this basket, what next", so the question is
whether the item a customer actually added is among the k suggestions. Each held-out
basket of two or more items loses one item (chosen by a seeded draw); the rest is the
query.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lepton.learn.rules.baskets import build_baskets
from lepton.runtime.rules import RuleSet


def hit_rate(rules: RuleSet, baskets: list[list[str]], k: int, seed: int = 0) -> dict[str, float]:
    """``hit_rate@k``, ``coverage`` (baskets with any suggestion) and the baskets scored."""
    rng = np.random.default_rng(seed)
    hits = covered = scored = 0
    for basket in baskets:
        if len(basket) < 2:
            continue
        held = int(rng.integers(len(basket)))
        query = basket[:held] + basket[held + 1 :]
        suggested = [s.item for s in rules.suggest(query, k)]
        scored += 1
        covered += bool(suggested)
        hits += basket[held] in suggested
    if scored == 0:
        return {f"hit_rate@{k}": 0.0, "coverage": 0.0, "n_baskets": 0.0}
    return {
        f"hit_rate@{k}": hits / scored,
        "coverage": covered / scored,
        "n_baskets": float(scored),
    }


def evaluate_rules(model: Any, frame: pd.DataFrame) -> dict[str, Any]:
    """The hit rate on a held-out basket table (``lepton train --test``)."""
    settings = model.settings
    baskets = build_baskets(frame, settings.transaction_column, settings.item_column)
    metrics = hit_rate(model.rules, baskets.lists(), settings.top_k)
    n = int(metrics.pop("n_baskets"))
    return {"n_rows": len(frame), "n_baskets": n, "metrics": metrics}
