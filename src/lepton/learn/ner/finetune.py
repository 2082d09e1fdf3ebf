"""Fine-tune the pretrained recognizer on your spans, on CPU, within a deadline.

``resume_training`` keeps the pretrained weights (the point of starting from them); new
labels are added to the output layer. Minibatches grow from 4 to 32 texts (spaCy's
compounding schedule). Every ``eval_every`` texts the model is scored on (a sample of)
the held-out split; the best weights are kept, and training stops when ``patience``
evaluations in a row bring nothing, or at the deadline, whichever comes first.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lepton.learn.ner.pipeline import recognizer
from lepton.learn.ner.scoring import entity_scores
from lepton.learn.ner.spans import Span

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.training import Example

PATIENCE = 4
EVAL_SAMPLE = 600  # held-out texts scored per check (all of them at the end)


@dataclass
class FineTuned:
    f1: float  # on the early-stopping sample of the held-out split
    steps: int
    texts_seen: int
    epochs: float
    seconds: float
    stopped: str  # why training ended: "no gain", "deadline" or "epochs"
    history: list[dict[str, float]] = field(default_factory=list)


def examples(
    nlp: Language, texts: Sequence[str], spans: Sequence[Sequence[Span]], notes: list[str]
) -> list[Example]:
    """spaCy ``Example``s; a span off token boundaries is widened to the tokens it touches."""
    from spacy.training import Example

    out, widened, dropped = [], 0, 0
    for text, row in zip(texts, spans, strict=True):
        doc = nlp.make_doc(text)
        entities, last_end = [], -1
        for span in row:
            aligned = doc.char_span(span.start, span.end, label=span.label)
            if aligned is None:
                aligned = doc.char_span(
                    span.start, span.end, label=span.label, alignment_mode="expand"
                )
                widened += 1
            if aligned is None or aligned.start_char < last_end:
                dropped += 1
                continue
            entities.append((aligned.start_char, aligned.end_char, span.label))
            last_end = aligned.end_char
        out.append(Example.from_dict(doc, {"entities": entities}))
    if widened:
        notes.append(f"{widened} entity spans did not fall on token boundaries: widened to them")
    if dropped:
        notes.append(f"{dropped} entity spans overlapped once aligned to tokens: left out")
    return out


def fine_tune(
    nlp: Language,
    train: list[Example],
    score: Callable[[Language], float],
    deadline: float,
    *,
    seed: int,
    dropout: float,
    eval_every: int,
    max_epochs: int = 30,
) -> FineTuned:
    """Train ``nlp``'s recognizer in place; on return it holds the best weights seen."""
    from spacy.util import minibatch
    from thinc.api import compounding, fix_random_seed

    fix_random_seed(seed)
    ner = recognizer(nlp)
    for example in train:
        for ent in example.reference.ents:
            if ent.label_ not in ner.labels:
                ner.add_label(ent.label_)
    optimizer = nlp.resume_training()
    started = time.monotonic()
    rng = random.Random(seed)
    best_f1 = score(nlp)
    best: bytes = ner.to_bytes()
    history = [{"texts": 0.0, "f1": best_f1, "seconds": 0.0}]
    steps = seen = stale = 0
    next_eval = eval_every
    stopped = "epochs"
    order = list(train)
    for _epoch in range(max_epochs):
        rng.shuffle(order)
        for batch in minibatch(order, size=compounding(4.0, 32.0, 1.001)):  # type: ignore[no-untyped-call]
            if time.monotonic() >= deadline:
                stopped = "deadline"
                break
            nlp.update(batch, drop=dropout, sgd=optimizer, losses={})
            steps += 1
            seen += len(batch)
            if seen >= next_eval:
                next_eval += eval_every
                f1 = score(nlp)
                history.append(
                    {"texts": float(seen), "f1": f1, "seconds": time.monotonic() - started}
                )
                if f1 > best_f1 + 1e-4:
                    best_f1, best, stale = f1, ner.to_bytes(), 0
                else:
                    stale += 1
                    if stale >= PATIENCE:
                        stopped = "no gain"
                        break
        if stopped != "epochs":
            break
    ner.from_bytes(best)
    return FineTuned(
        best_f1,
        steps,
        seen,
        seen / max(len(train), 1),
        time.monotonic() - started,
        stopped,
        history,
    )


def f1_on(
    texts: Sequence[str], gold: Sequence[Sequence[Span]], predict: Callable[[list[str]], Any]
) -> float:
    return float(entity_scores(gold, predict(list(texts)))["f1"])
