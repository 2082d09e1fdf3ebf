"""The NER kind's optimizer: the native spaCy recognizer measured, no ONNX variant, and why.

spaCy's entity recognizer is a transition-based parser: a feature network run once per
parser action inside a decoding loop, which ONNX has no graph for, and the pipeline is
already CPU-optimised (its small model is 12 MB, float32). ``lepton optimize`` on a NER
model measures the native recognizer (latency, throughput, held-out entity F1) and
records why no variant was built.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.errors import LeptonError
from lepton.learn.metrics import Metric
from lepton.learn.ner.model import NerModel
from lepton.learn.ner.scoring import entity_scores
from lepton.learn.ner.settings import DEFAULT_ENTITIES
from lepton.learn.ner.spans import Span, parse_spans
from lepton.optimize.choose import check_objective
from lepton.optimize.native_records import NativeRecordsBuilder
from lepton.runtime.manifest import PackageManifest
from lepton.runtime.ner import NoOnnxNer

BATCH = 64
MAX_TEXTS = 500  # held-out texts measured (F1 on a sample beyond)


def _f1(y: Any, predicted: Any) -> float:
    found = [[Span(e["start"], e["end"], e["label"]) for e in row] for row in predicted]
    return float(entity_scores(list(y), found)["f1"])


ENTITY_F1 = Metric("entity_f1", _f1, True, False, ("ner",))


class NerBuilder(NativeRecordsBuilder):
    """``VariantBuilder`` for NER models: native only, with the reason in the notes."""

    examples = "texts"
    reason = NoOnnxNer.REASON
    batch = BATCH
    max_calls = 300
    native_description = "spaCy entity recognizer (native)"

    def labelled_heldout(
        self,
        model: NerModel,
        manifest: PackageManifest,
        heldout: pd.DataFrame,
        objective: str,
        what: str,
    ) -> tuple[pd.DataFrame, NDArray[Any], Metric]:
        check_objective(objective)
        column = model.settings.entities_column or DEFAULT_ENTITIES
        text = model.settings.text_column
        if column not in heldout.columns or text not in heldout.columns:
            raise LeptonError(
                f"held-out {what} need the columns {text!r} and {column!r} (annotated texts)"
            )
        heldout = heldout.head(MAX_TEXTS).reset_index(drop=True)
        gold = np.empty(len(heldout), dtype=object)
        gold[:] = [
            parse_spans(v, str(t), row=i, field=column)
            for i, (v, t) in enumerate(zip(heldout[column], heldout[text], strict=True))
        ]
        return heldout[[text]], gold, ENTITY_F1
