"""The speech kind's options (``--audio-column``, ``--transcript-column``, ``--engine``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from lepton.errors import DataError
from lepton.learn.speech.engines import COMPUTE_TYPES, ENGINES
from lepton.runtime.audio import MAX_SECONDS

DEFAULT_AUDIO = "audio"
DEFAULT_TRANSCRIPT = "transcript"


@dataclass(frozen=True)
class SpeechSettings:
    audio_column: str
    transcript_column: str | None  # None: no transcripts, the default engine is served
    engine: str | None = None  # None: every engine is scored and the best one kept
    max_seconds: float = MAX_SECONDS  # per clip, in serving and in training data
    threads: int = 1  # per request: two requests then run side by side on two cores

    @classmethod
    def from_options(cls, options: dict[str, Any], frame: pd.DataFrame) -> SpeechSettings:
        audio = options.get("audio_column") or DEFAULT_AUDIO
        if audio not in frame.columns:
            raise DataError(
                f"--task speech needs a column of audio files: {audio!r} is not one of "
                f"{', '.join(map(str, frame.columns))} (pass --audio-column)",
                field="audio_column",
            )
        transcript = options.get("transcript_column")
        if transcript and transcript not in frame.columns:
            raise DataError(
                f"--transcript-column {transcript!r} is not a column of this dataset",
                field="transcript_column",
            )
        if not transcript and DEFAULT_TRANSCRIPT in frame.columns:
            transcript = DEFAULT_TRANSCRIPT
        engine = options.get("engine")
        if engine is not None and engine not in ENGINES:
            raise DataError(
                f"--engine {engine!r}: choose one of {', '.join(ENGINES)}", field="engine"
            )
        max_seconds = float(options.get("max_audio_seconds") or MAX_SECONDS)
        if not 1.0 <= max_seconds <= 3600.0:
            raise DataError(
                "--max-audio-seconds must be between 1 and 3600", field="max_audio_seconds"
            )
        return cls(str(audio), str(transcript) if transcript else None, engine, max_seconds)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def candidates(settings: SpeechSettings) -> list[tuple[str, str]]:
    """(engine, compute type) pairs to score, the default first."""
    engines = [settings.engine] if settings.engine else list(ENGINES)
    return [(e, c) for e in engines for c in COMPUTE_TYPES[e]]
