"""The ``onnx_predictor`` of kinds that have no ONNX graph: loading one says why.

A kind still names an ONNX runner (the registry asks every kind for one), so a caller
that asks for a graph of a rules, NER, speech or recommend package gets the kind's own
reason as one clear error instead of a missing file.
"""

from __future__ import annotations

from typing import Any, ClassVar

from lepton.errors import LeptonError


class NoOnnxGraph:
    REASON: ClassVar[str]

    @classmethod
    def load(cls, folder: Any, threads: int | None = None) -> Any:
        raise LeptonError(cls.REASON)
