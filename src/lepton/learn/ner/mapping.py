"""Which of the pretrained pipeline's labels mean which of yours, learnt on training texts.

The pretrained pipeline speaks OntoNotes (PERSON, GPE, NORP, …); a corpus may speak
CoNLL (PER, LOC, MISC, …) or anything else. To score the pretrained baseline fairly it
gets the best map the training texts support: each pipeline label goes to the gold label
its predictions overlap most, and is then dropped if answering it lowers the strict F1
on those texts (DATE on CoNLL, say, or a label whose answers are mostly wrong).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from lepton.learn.ner.scoring import entity_scores
from lepton.learn.ner.spans import Span


def learn_label_map(
    gold: Sequence[Sequence[Span]], predicted: Sequence[Sequence[Span]]
) -> dict[str, str | None]:
    tally: defaultdict[str, Counter[str]] = defaultdict(Counter)
    seen: Counter[str] = Counter()
    for g, p in zip(gold, predicted, strict=True):
        for span in p:
            seen[span.label] += 1
            best, overlap = None, 0
            for truth in g:
                shared = min(span.end, truth.end) - max(span.start, truth.start)
                if shared > overlap:
                    best, overlap = truth.label, shared
            if best is not None:
                tally[span.label][best] += 1
    mapping: dict[str, str | None] = {
        label: tally[label].most_common(1)[0][0] if tally[label] else None for label in seen
    }

    def f1(candidate: dict[str, str | None]) -> float:
        mapped = [
            [Span(s.start, s.end, str(candidate[s.label])) for s in row if candidate[s.label]]
            for row in predicted
        ]
        return float(entity_scores(gold, mapped)["f1"])

    best_f1 = f1(mapping)
    for label, _ in seen.most_common():
        if mapping[label] is None:
            continue
        trial = {**mapping, label: None}
        score = f1(trial)
        if score > best_f1:
            mapping, best_f1 = trial, score
    return mapping
