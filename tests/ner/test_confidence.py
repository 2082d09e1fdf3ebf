"""Entity confidences from the greedy decoder: the same entities spaCy finds, scored."""

from __future__ import annotations

from lepton.learn.ner.confidence import recognise
from lepton.learn.ner.pipeline import load_base
from lepton.learn.ner.settings import BASE_PIPELINE

TEXTS = [
    "John Smith from Boston asked for a refund on Monday.",
    "Apple bought Beats for $3 billion in 2014.",
    "nothing to see here",
    "",
    "Laura met Tim Cook in Paris last week.",
]


def test_the_entities_are_spacys_own_and_each_has_a_probability() -> None:
    nlp = load_base(BASE_PIPELINE)
    found = recognise(nlp, TEXTS)
    for text, (doc, spans) in zip(TEXTS, found, strict=True):
        expected = [(e.start, e.end, e.label_) for e in nlp(text).ents]
        assert [(e.start, e.end, e.label_) for e in doc.ents] == expected
        assert [(a, b, label) for a, b, label, _ in spans] == expected
        assert all(0.0 < p <= 1.0 for *_, p in spans)
    first = {(a, b, label): p for a, b, label, p in found[0][1]}
    assert first[(0, 2, "PERSON")] > 0.9  # a beam over the greedy model gave this 0.0
