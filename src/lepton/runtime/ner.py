"""What the runtime knows of NER packages without importing spaCy: there is no ONNX graph."""

from __future__ import annotations

from typing import Any


class NoOnnxNer:
    """The ``onnx_predictor`` of the NER kind: there is no graph to run, and why."""

    REASON = (
        "spaCy's transition-based entity recognizer decodes with a state machine (a loop "
        "over parser actions), not one numeric graph: it is served natively"
    )

    @classmethod
    def load(cls, folder: Any, threads: int | None = None) -> Any:
        from lepton.errors import LeptonError

        raise LeptonError(cls.REASON)
