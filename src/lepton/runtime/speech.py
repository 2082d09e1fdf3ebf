"""What the runtime knows of speech packages without importing an engine: no ONNX graph."""

from __future__ import annotations

from typing import Any


class NoOnnxSpeech:
    """The ``onnx_predictor`` of the speech kind: there is no graph to run, and why."""

    REASON = (
        "Whisper runs in CTranslate2 (its own int8/float32 kernels, beam search in C++) and "
        "pocketsphinx is an HMM decoder; neither is one ONNX graph: speech is served natively"
    )

    @classmethod
    def load(cls, folder: Any, threads: int | None = None) -> Any:
        from lepton.errors import LeptonError

        raise LeptonError(cls.REASON)
