"""Entity-level scores of a NER model on a held-out annotated table (``lepton train --test``)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from lepton.errors import DataError
from lepton.learn.ner.automl import METRIC, read_texts
from lepton.learn.ner.scoring import entity_scores
from lepton.learn.ner.settings import DEFAULT_ENTITIES
from lepton.learn.ner.spans import parse_spans


def evaluate_ner(model: Any, frame: pd.DataFrame) -> dict[str, Any]:
    settings = model.settings
    column = settings.entities_column or DEFAULT_ENTITIES
    if column not in frame.columns:
        raise DataError(f"the test set needs the entities column {column!r}", field=column)
    texts = read_texts(frame, settings.text_column)
    gold = [
        parse_spans(v, t, row=i, field=column)
        for i, (v, t) in enumerate(zip(frame[column], texts, strict=True))
    ]
    scores = entity_scores(gold, model.spans(texts))
    return {
        "n_rows": len(frame),
        "metrics": {
            METRIC: scores["f1"],
            "precision": scores["precision"],
            "recall": scores["recall"],
        },
        "per_label": scores["per_label"],
    }
