"""Entities with a confidence each: spaCy's greedy decoder, one step at a time, in Python.

Why not beam search (spaCy's ``beam_parse`` + ``scored_ents``, the recipe usually given):
the small English pipeline is trained with a greedy objective, and a beam over it finds
global parses greedy decoding never picks. Measured here: on "John Smith from Boston
asked for a refund on Monday." the beam puts 0.98 on the whole sentence as one PERSON,
so the entities actually returned scored 0.0. Instead the same step model is run the way
the Cython greedy loop runs it: at each step the scores of the valid actions are
softmaxed, the best valid action is applied, and its probability kept. The entities are
exactly the greedy ones (same model, same argmax), and an entity's score is the product
of the probabilities of the actions that built it (B…I…L, or U).
"""

from __future__ import annotations

from typing import Any

import numpy as np

TokenSpan = tuple[int, int, str, float]  # token start, token end, label, probability


def recognise(nlp: Any, texts: list[str]) -> list[tuple[Any, list[TokenSpan]]]:
    """Each text's ``Doc`` (entities set) and its entities with their probabilities."""
    ner = nlp.get_pipe("ner")
    moves = ner.moves
    names = [moves.get_class_name(i) for i in range(moves.n_moves)]
    docs = [nlp.make_doc(t) for t in texts]
    if not any(len(d) for d in docs):
        return [(d, []) for d in docs]
    ner._ensure_labels_are_added(docs)
    states = moves.init_batch(docs)
    steps: list[list[tuple[str, float]]] = [[] for _ in docs]
    where = {id(s): i for i, s in enumerate(states)}
    step_model = ner.model.predict(docs)
    try:
        pending = [s for s in states if not s.is_final()]
        while pending:
            scores = step_model.predict(pending)
            for state, row in zip(pending, scores, strict=True):
                valid = np.fromiter((moves.is_valid(state, n) for n in names), bool, len(names))
                logits = np.where(valid, row, -np.inf)
                best = int(np.argmax(logits))
                weights = np.exp(logits - logits[best])
                steps[where[id(state)]].append((names[best], float(1.0 / weights.sum())))
                moves.apply_transition(state, names[best])
            pending = [s for s in pending if not s.is_final()]
    finally:
        step_model.clear_memory()
    out = []
    for doc, state, taken in zip(docs, states, steps, strict=True):
        moves.set_annotations(state, doc)
        out.append((doc, _spans(taken)))
    return out


def _spans(taken: list[tuple[str, float]]) -> list[TokenSpan]:
    """(start, end, label, p) from the action sequence: one action per token, in order."""
    spans: list[TokenSpan] = []
    start, p = 0, 1.0
    for i, (name, prob) in enumerate(taken):
        move, _, label = name.partition("-")
        if move == "U":
            spans.append((i, i + 1, label, prob))
        elif move == "B":
            start, p = i, prob
        elif move == "I":
            p *= prob
        elif move == "L":
            spans.append((start, i + 1, label, p * prob))
    return spans
