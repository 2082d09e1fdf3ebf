"""What the runtime knows of NER packages without importing spaCy: there is no ONNX graph."""

from __future__ import annotations

from lepton.runtime.no_graph import NoOnnxGraph


class NoOnnxNer(NoOnnxGraph):
    REASON = (
        "spaCy's transition-based entity recognizer decodes with a state machine (a loop "
        "over parser actions), not one numeric graph: it is served natively"
    )
