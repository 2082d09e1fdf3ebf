"""What the runtime knows of speech packages without importing an engine: no ONNX graph."""

from __future__ import annotations

from lepton.runtime.no_graph import NoOnnxGraph


class NoOnnxSpeech(NoOnnxGraph):
    REASON = (
        "Whisper runs in CTranslate2 (its own int8/float32 kernels, beam search in C++) and "
        "pocketsphinx is an HMM decoder; neither is one ONNX graph: speech is served natively"
    )
