"""Ranking metrics at a cut-off k: precision, recall, NDCG (binary relevance), coverage."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def ranking_report(
    recommended: Mapping[int, np.ndarray], relevant: Mapping[int, np.ndarray], n_items: int, k: int
) -> dict[str, float]:
    """Means over the users in ``relevant`` of precision@k, recall@k and NDCG@k, plus the
    catalogue coverage: the share of all items recommended to at least one of them."""
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    precision, recall, ndcg = [], [], []
    shown: set[int] = set()
    for user, truth in relevant.items():
        top = np.asarray(recommended.get(user, np.empty(0, dtype=np.int64)))[:k]
        shown.update(int(i) for i in top)
        wanted = set(int(i) for i in truth)
        hits = np.array([int(i) in wanted for i in top], dtype=float)
        precision.append(hits.sum() / k)
        recall.append(hits.sum() / len(wanted) if wanted else 0.0)
        ideal = discounts[: min(len(wanted), k)].sum()
        ndcg.append(float((hits * discounts[: len(hits)]).sum() / ideal) if ideal else 0.0)
    n = max(len(relevant), 1)
    return {
        f"precision@{k}": float(np.sum(precision) / n),
        f"recall@{k}": float(np.sum(recall) / n),
        f"ndcg@{k}": float(np.sum(ndcg) / n),
        "coverage": len(shown) / n_items if n_items else 0.0,
    }
