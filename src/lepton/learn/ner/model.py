"""The trained recognizer a NER package holds, and what serving and ``lepton predict`` ask.

Outputs are variable-length span lists, so ``predict_raw`` answers an object array (one
list of ``{"start", "end", "label", "text", "score"}`` per text) rather than a matrix;
``predict`` gives the same as JSON text per row, which CSV and Parquet keep readable.
The score of a span is the probability the greedy decoder gave the actions that built it
(``confidence``): the product over its tokens of the softmax of the valid actions.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.errors import DataError, LeptonError
from lepton.learn.ner.confidence import recognise
from lepton.learn.ner.pipeline import dump, restore
from lepton.learn.ner.settings import NerSettings
from lepton.learn.ner.spans import Span
from lepton.runtime.manifest import ColumnSpec, MemberSpec

if TYPE_CHECKING:
    from spacy.language import Language

TARGET = "entities"
MAX_TEXT_CHARS = 20_000  # per text; longer ones are refused (split them)
BATCH = 64


class _LabelCodec:
    def __init__(self, labels: list[str]) -> None:
        self.labels = labels

    def encode(self, y: pd.Series) -> NDArray[Any]:
        code = {label: i for i, label in enumerate(self.labels)}
        return np.asarray([code.get(str(v), -1) for v in y], dtype=np.int64)

    def decode(self, codes: NDArray[np.int64]) -> NDArray[Any]:
        return np.asarray(self.labels, dtype=object)[codes]


class NerModel:
    """A spaCy entity recognizer with the labels it answers and its reference profile."""

    kind = "ner"
    task = "ner"
    temperature = 1.0
    target_name = TARGET

    def __init__(
        self,
        nlp: Language,
        settings: NerSettings,
        labels: list[str],
        label_map: dict[str, str | None],
        profile: dict[str, Any],
        details: dict[str, Any],
    ) -> None:
        self.nlp = nlp
        self.settings = settings
        self.labels = labels  # what this model answers
        self.label_map = label_map  # the pipeline's label → the answered one (None: dropped)
        self.profile = profile
        self.details = details

    def __getstate__(self) -> dict[str, Any]:
        return {
            "pipeline": dump(self.nlp),
            "settings": self.settings.to_dict(),
            "labels": self.labels,
            "label_map": self.label_map,
            "profile": self.profile,
            "details": self.details,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.nlp = restore(state["pipeline"])
        self.settings = NerSettings(**state["settings"])
        self.labels = list(state["labels"])
        self.label_map = dict(state["label_map"])
        self.profile = state["profile"]
        self.details = state["details"]

    # -- recognising ----------------------------------------------------------------------
    def spans(self, texts: list[str]) -> list[list[Span]]:
        """The answered entities of each text, as character spans (no scores: training)."""
        return [
            [Span(s["start"], s["end"], s["label"]) for s in row]
            for row in self.entities(texts, scores=False)
        ]

    def entities(self, texts: list[str], *, scores: bool = True) -> list[list[dict[str, Any]]]:
        out: list[list[dict[str, Any]]] = []
        for begin in range(0, len(texts), BATCH):
            for doc, found in recognise(self.nlp, texts[begin : begin + BATCH]):
                probability = {(a, b, label): p for a, b, label, p in found}
                row = []
                for ent in doc.ents:
                    label = self.label_map.get(ent.label_, ent.label_)
                    if label is None or label not in self.labels:
                        continue
                    item: dict[str, Any] = {
                        "start": ent.start_char,
                        "end": ent.end_char,
                        "label": label,
                        "text": ent.text,
                    }
                    if scores:
                        key = (ent.start, ent.end, ent.label_)
                        item["score"] = round(float(probability.get(key, 0.0)), 4)
                    row.append(item)
                out.append(row)
        return out

    def texts_of(self, records: list[dict[str, Any]]) -> list[str]:
        column = self.settings.text_column
        texts = []
        for n, record in enumerate(records):
            value = record.get(column)
            if not isinstance(value, str):
                raise DataError(f"record {n}: {column!r} must be a text", field=column)
            if len(value) > MAX_TEXT_CHARS:
                raise DataError(
                    f"record {n}: {column!r} has {len(value)} characters (at most "
                    f"{MAX_TEXT_CHARS}; split it)",
                    field=column,
                )
            texts.append(value)
        return texts

    # -- the package contract (lepton.runtime.package.NativeModel) ---------------------------
    @property
    def target(self) -> _LabelCodec:
        return _LabelCodec(self.labels)

    @property
    def input_columns(self) -> list[str]:
        return [self.settings.text_column]

    @property
    def dropped_columns(self) -> dict[str, str]:
        return {}

    def predict_records(self, records: list[dict[str, Any]]) -> NDArray[Any]:
        """One list of entity dicts per record (an object array, as the server slices it)."""
        found = self.entities(self.texts_of(records))
        out = np.empty(len(found), dtype=object)
        out[:] = found
        return out

    def predict_raw(self, frame: pd.DataFrame) -> NDArray[Any]:
        column = self.settings.text_column
        if column not in frame.columns:
            raise DataError(f"rows need the text column {column!r}", field=column)
        texts = frame[column].fillna("").astype(str).tolist()
        return self.predict_records([{column: t} for t in texts])

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        """Per row: its entities as JSON ``[{"start", "end", "label", "text", "score"}]``."""
        raw = self.predict_raw(frame)
        return pd.Series(
            [json.dumps(r, ensure_ascii=False) for r in raw], index=frame.index, name=TARGET
        )

    def predict_proba(self, frame: pd.DataFrame) -> pd.DataFrame:
        raise LeptonError("an entity recognizer answers spans, not class probabilities")

    def input_schema(self, frame: pd.DataFrame | None = None) -> tuple[ColumnSpec, ...]:
        return (ColumnSpec(self.settings.text_column, "text", nullable=False),)

    def ensemble_specs(self) -> tuple[MemberSpec, ...]:
        member = str(self.details.get("chosen", "pretrained"))
        return (MemberSpec(member, "spacy-ner", 1.0, {"base": self.settings.base}, 1),)

    def manifest_extra(self) -> dict[str, Any]:
        return {
            "ner": {
                **self.settings.to_dict(),
                "labels": self.labels,
                "label_map": self.label_map,
                "profile": self.profile,
                "chosen": self.details.get("chosen"),
                "base_version": self.details.get("base_version"),
            }
        }
