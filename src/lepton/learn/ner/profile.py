"""The reference a NER deployment is monitored against: how its texts and answers look.

Per text: tokens, entities and out-of-vocabulary tokens (against the training texts'
vocabulary), so entity rate and OOV rate drift can be tested per text (Kolmogorov-
Smirnov), and the label mix of the answers (Jensen-Shannon) as a whole.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from lepton.learn.ner.spans import Span

if TYPE_CHECKING:
    from spacy.language import Language

VOCAB_SIZE = 20_000
SAMPLE = 2000


def words(nlp: Language, text: str) -> list[str]:
    return [t.lower_ for t in nlp.make_doc(text) if not (t.is_space or t.is_punct)]


def vocabulary(nlp: Language, texts: Iterable[str]) -> list[str]:
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(words(nlp, text))
    return [w for w, _ in counts.most_common(VOCAB_SIZE)]


def text_stats(
    nlp: Language, texts: Sequence[str], answers: Sequence[Sequence[Span]], vocab: set[str]
) -> dict[str, list[int]]:
    tokens, entities, oov = [], [], []
    for text, spans in zip(texts, answers, strict=True):
        ws = words(nlp, text)
        tokens.append(len(ws))
        entities.append(len(spans))
        oov.append(sum(w not in vocab for w in ws))
    return {"n_tokens": tokens, "n_entities": entities, "n_oov": oov}


def build_profile(
    nlp: Language,
    texts: Sequence[str],
    answers: Sequence[Sequence[Span]],
    vocab: list[str],
    seed: int,
) -> dict[str, Any]:
    pick = np.random.default_rng(seed).permutation(len(texts))[:SAMPLE]
    chosen_texts = [texts[i] for i in pick]
    chosen_answers = [answers[i] for i in pick]
    stats = text_stats(nlp, chosen_texts, chosen_answers, set(vocab))
    labels: Counter[str] = Counter(s.label for row in answers for s in row)
    total = sum(labels.values())
    n_tokens = max(sum(stats["n_tokens"]), 1)
    return {
        "n_texts": len(texts),
        "label_share": {k: round(v / total, 6) for k, v in labels.most_common()} if total else {},
        "entities_per_100_tokens": round(100 * sum(stats["n_entities"]) / n_tokens, 4),
        "oov_rate": round(sum(stats["n_oov"]) / n_tokens, 6),
        "sample": stats,
        "vocab": vocab,
    }
