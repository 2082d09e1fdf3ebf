"""Entity-level precision, recall and F1, per label and overall (seqeval's strict mode).

A predicted entity counts only when its start, end and label all equal a gold entity's;
a boundary off by one token is both a false positive and a false negative. The overall
figures are micro-averaged over entities.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from lepton.learn.ner.spans import Span


def entity_scores(
    gold: Sequence[Iterable[Span]], predicted: Sequence[Iterable[Span]]
) -> dict[str, Any]:
    """``{"precision", "recall", "f1", "support", "per_label": {label: {...}}}``."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold rows but {len(predicted)} predicted")
    tp: Counter[str] = Counter()
    n_gold: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    for g, p in zip(gold, predicted, strict=True):
        gs, ps = set(g), set(p)
        for span in gs:
            n_gold[span.label] += 1
        for span in ps:
            n_pred[span.label] += 1
        for span in gs & ps:
            tp[span.label] += 1
    per_label = {
        label: _prf(tp[label], n_pred[label], n_gold[label])
        for label in sorted(set(n_gold) | set(n_pred))
    }
    return {
        **_prf(sum(tp.values()), sum(n_pred.values()), sum(n_gold.values())),
        "per_label": per_label,
    }


def _prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": float(n_gold)}
