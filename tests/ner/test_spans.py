"""Span annotations, CoNLL files and strict entity scoring: the parts that need no model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lepton.data.conll import read_conll
from lepton.errors import DataError
from lepton.learn.ner.mapping import learn_label_map
from lepton.learn.ner.scoring import entity_scores
from lepton.learn.ner.spans import Span, parse_spans

TEXT = "Maria Lopez works at Acme Corp in Berlin."


def test_spans_parse_from_lists_and_json_sorted() -> None:
    spans = parse_spans(json.dumps([[34, 40, "GPE"], [0, 11, "PERSON"]]), TEXT, row=0)
    assert spans == [Span(0, 11, "PERSON"), Span(34, 40, "GPE")]
    assert parse_spans([{"start": 21, "end": 30, "label": "ORG"}], TEXT, row=0) == [
        Span(21, 30, "ORG")
    ]
    assert parse_spans(None, TEXT, row=0) == [] and parse_spans("", TEXT, row=0) == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([[0, 11, "PERSON"], [6, 15, "PERSON"]], "overlap"),
        ([[30, 99, "GPE"]], "out of range"),
        ([[5, 5, "X"]], "out of range"),
        ([[0, 5]], "is not \\[start, end, label\\]"),
        ([[0.0, 5, "X"]], "offsets must be integers"),
        ([[0, 5, ""]], "label must be a non-empty string"),
        ([[11, 12, "X"]], "only whitespace"),
        ("[[0, 5, ", "not JSON"),
        ({"start": 0}, "must be a list"),
    ],
)
def test_bad_spans_are_a_clear_error_naming_row_and_field(value: object, message: str) -> None:
    with pytest.raises(DataError, match=message) as caught:
        parse_spans(value, TEXT, row=7, field="entities")
    assert "row 7" in str(caught.value) and caught.value.field == "entities"


CONLL = """-DOCSTART- -X- O O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O
. . O O

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER
"""


def test_conll_reads_one_row_per_sentence_with_character_spans(tmp_path: Path) -> None:
    frame = read_conll(tmp_path / "x.conll", CONLL)
    assert frame["text"].tolist() == ["EU rejects German call .", "Peter Blackburn"]
    first, second = (json.loads(e) for e in frame["entities"])
    assert first == [[0, 2, "ORG"], [11, 17, "MISC"]]
    assert second == [[0, 15, "PER"]]
    text = frame["text"][0]
    assert [text[s:e] for s, e, _ in first] == ["EU", "German"]


def test_conll_understands_iob1_and_bioes() -> None:
    iob1 = "New I-LOC\nYork I-LOC\nand O\nParis I-LOC\n"
    frame = read_conll(Path("a.iob"), iob1)
    assert json.loads(frame["entities"][0]) == [[0, 8, "LOC"], [13, 18, "LOC"]]
    bioes = "New B-LOC\nYork E-LOC\nParis S-LOC\nRome S-LOC\n"
    frame = read_conll(Path("b.bio"), bioes)
    assert json.loads(frame["entities"][0]) == [[0, 8, "LOC"], [9, 14, "LOC"], [15, 19, "LOC"]]


def test_conll_refuses_bad_tags_and_empty_files() -> None:
    with pytest.raises(DataError, match="bad tag 'X-LOC'"):
        read_conll(Path("c.conll"), "Paris X-LOC\n")
    with pytest.raises(DataError, match="no tagged sentences"):
        read_conll(Path("d.conll"), "\n\n")


def test_scoring_is_strict_on_boundaries_and_labels() -> None:
    gold = [[Span(0, 11, "PER"), Span(34, 40, "LOC")]]
    exact = entity_scores(gold, gold)
    assert exact["f1"] == 1.0 and exact["per_label"]["PER"]["support"] == 1.0
    shifted = entity_scores(gold, [[Span(0, 5, "PER"), Span(34, 40, "ORG")]])
    assert shifted["precision"] == 0.0 and shifted["recall"] == 0.0 and shifted["f1"] == 0.0
    half = entity_scores(gold, [[Span(0, 11, "PER")]])
    assert half["precision"] == 1.0 and half["recall"] == 0.5
    assert half["f1"] == pytest.approx(2 / 3)
    assert half["per_label"]["LOC"]["recall"] == 0.0


def test_label_map_follows_overlap_and_drops_labels_that_match_nothing() -> None:
    gold = [[Span(0, 11, "PER"), Span(34, 40, "LOC")], [Span(0, 6, "LOC")]]
    predicted = [
        [Span(0, 11, "PERSON"), Span(34, 40, "GPE"), Span(12, 17, "DATE")],
        [Span(0, 6, "GPE"), Span(10, 14, "DATE")],
    ]
    assert learn_label_map(gold, predicted) == {"PERSON": "PER", "GPE": "LOC", "DATE": None}


def test_jsonl_spans_are_kept_as_json_text_and_parse_back(tmp_path: Path) -> None:
    from lepton.data.sources import read_source

    source = tmp_path / "tickets.jsonl"
    rows = [
        {"text": TEXT, "entities": [[0, 11, "PERSON"], [21, 30, "ORG"]]},
        {"text": "Nothing here.", "entities": []},
    ]
    source.write_text("\n".join(json.dumps(r) for r in rows))
    frame = read_source(source).frame
    assert frame["entities"].tolist() == ['[[0, 11, "PERSON"], [21, 30, "ORG"]]', "[]"]
    assert parse_spans(frame["entities"][0], TEXT, row=0) == [
        Span(0, 11, "PERSON"),
        Span(21, 30, "ORG"),
    ]
