"""Which of the pretrained pipeline's labels mean which of yours, learnt on training texts.

The pretrained pipeline speaks OntoNotes (PERSON, GPE, NORP, …); a corpus may speak
CoNLL (PER, LOC, MISC, …). To score the pretrained baseline fairly, each pipeline label
is mapped to the gold label its predictions overlap most on the training split, or
dropped when most of its predictions overlap no gold entity (DATE on CoNLL, say).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from lepton.learn.ner.spans import Span


def learn_label_map(
    gold: Sequence[Sequence[Span]], predicted: Sequence[Sequence[Span]]
) -> dict[str, str | None]:
    tally: defaultdict[str, Counter[str | None]] = defaultdict(Counter)
    for g, p in zip(gold, predicted, strict=True):
        for span in p:
            best, overlap = None, 0
            for truth in g:
                shared = min(span.end, truth.end) - max(span.start, truth.start)
                if shared > overlap:
                    best, overlap = truth.label, shared
            tally[span.label][best] += 1
    mapping: dict[str, str | None] = {}
    for label, counts in tally.items():
        target, n = max(
            ((k, v) for k, v in counts.items() if k is not None),
            key=lambda kv: kv[1],
            default=(None, 0),
        )
        mapping[label] = target if n > counts[None] else None
    return mapping
