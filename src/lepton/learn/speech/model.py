"""The speech pipeline a package holds, and what serving and ``lepton predict`` ask of it.

The package keeps no weights: it names the engine, its compute type and the installed
package (with its version and, for Whisper, the weights' SHA-256) the weights come from.
Loading checks that the installed weights are the ones that were scored, so a version
never silently answers with a different model. Outputs are one transcript per clip
(``{"text", "segments", "duration_s", "words_per_second"}``), an object array.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.errors import DataError, LeptonError
from lepton.learn.speech.engines import SpeechEngine, Transcript, load_engine, source
from lepton.learn.speech.settings import SpeechSettings
from lepton.runtime.audio import F32, SAMPLE_RATE, AudioError, decode, refuse_silence
from lepton.runtime.manifest import ColumnSpec, MemberSpec

TARGET = "transcript"


class _NoLabels:
    def encode(self, y: pd.Series) -> NDArray[Any]:
        return np.zeros(len(y), dtype=np.int64)

    def decode(self, codes: NDArray[np.int64]) -> NDArray[Any]:
        return np.asarray(codes, dtype=object)


def answer(transcript: Transcript, samples: F32) -> dict[str, Any]:
    seconds = len(samples) / SAMPLE_RATE
    words = len(transcript.text.split())
    return {
        **transcript.to_dict(),
        "duration_s": round(seconds, 3),
        "words_per_second": round(words / seconds, 3) if seconds else 0.0,
    }


class SpeechModel:
    """A pretrained recogniser, the settings it serves with, and its reference profile."""

    kind = "speech"
    task = "speech"
    temperature = 1.0
    target_name = TARGET
    labels: list[Any] = []  # noqa: RUF012 - a transcript has no label set

    def __init__(
        self,
        settings: SpeechSettings,
        engine: str,
        compute_type: str,
        profile: dict[str, Any],
        details: dict[str, Any],
        *,
        loaded: SpeechEngine | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.compute_type = compute_type
        self.source = source(engine)
        self.profile = profile
        self.details = details
        self._engine = loaded
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {
            "settings": self.settings.to_dict(),
            "engine": self.engine,
            "compute_type": self.compute_type,
            "source": self.source,
            "profile": self.profile,
            "details": self.details,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.settings = SpeechSettings(**state["settings"])
        self.engine = str(state["engine"])
        self.compute_type = str(state["compute_type"])
        self.source = dict(state["source"])
        self.profile = state["profile"]
        self.details = state["details"]
        self._engine = None
        self._lock = threading.Lock()
        installed = source(self.engine)
        if installed != self.source:
            raise LeptonError(
                f"this speech model was scored with {self.source} but {installed} is "
                "installed; install that version (the weights come from the package)"
            )

    def with_compute_type(self, compute_type: str) -> SpeechModel:
        """The same pipeline run at another precision (the optimizer's variants)."""
        return SpeechModel(self.settings, self.engine, compute_type, self.profile, self.details)

    @property
    def recogniser(self) -> SpeechEngine:
        with self._lock:  # first use loads the engine once, even with concurrent requests
            if self._engine is None:
                self._engine = load_engine(
                    self.engine, self.compute_type, threads=self.settings.threads
                )
            return self._engine

    # -- transcribing ---------------------------------------------------------------------
    def transcribe(self, clips: list[F32]) -> list[dict[str, Any]]:
        engine = self.recogniser
        return [answer(engine.transcribe(samples), samples) for samples in clips]

    def clips_of(self, records: list[dict[str, Any]]) -> list[F32]:
        column = self.settings.audio_column
        clips = []
        for n, record in enumerate(records):
            value = record.get(column)
            if isinstance(value, str | Path):
                value = self.read(Path(value), n)
            if not isinstance(value, np.ndarray):
                raise DataError(f"record {n}: {column!r} must be audio", field=column)
            clips.append(value.astype(np.float32, copy=False))
        return clips

    def read(self, path: Path, row: int) -> F32:
        """A file named in a table: decoded, checked, or one error naming the row."""
        column = self.settings.audio_column
        try:
            samples = decode(path, max_seconds=self.settings.max_seconds, field=column)
            refuse_silence(samples, field=column)
        except AudioError as exc:
            raise DataError(f"row {row}: {path}: {exc.message}", field=column) from None
        return samples

    # -- the package contract (lepton.runtime.package.NativeModel) ---------------------------
    @property
    def target(self) -> _NoLabels:
        return _NoLabels()

    @property
    def input_columns(self) -> list[str]:
        return [self.settings.audio_column]

    @property
    def dropped_columns(self) -> dict[str, str]:
        return {}

    def predict_records(self, records: list[dict[str, Any]]) -> NDArray[Any]:
        """One transcript dict per record (an object array, as the server slices it)."""
        found = self.transcribe(self.clips_of(records))
        out = np.empty(len(found), dtype=object)
        out[:] = found
        return out

    def predict_raw(self, frame: pd.DataFrame) -> NDArray[Any]:
        column = self.settings.audio_column
        if column not in frame.columns:
            raise DataError(f"rows need the audio column {column!r} (file paths)", field=column)
        return self.predict_records([{column: p} for p in frame[column].astype(str)])

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        """Per row: the transcript's text (``predict_raw`` has segments and timings)."""
        raw = self.predict_raw(frame)
        return pd.Series([r["text"] for r in raw], index=frame.index, name=TARGET)

    def predict_proba(self, frame: pd.DataFrame) -> pd.DataFrame:
        raise LeptonError("a speech recogniser answers transcripts, not class probabilities")

    def input_schema(self, frame: pd.DataFrame | None = None) -> tuple[ColumnSpec, ...]:
        return (ColumnSpec(self.settings.audio_column, "audio", nullable=False),)

    def ensemble_specs(self) -> tuple[MemberSpec, ...]:
        name = f"{self.engine}-{self.compute_type}"
        return (MemberSpec(name, self.engine, 1.0, dict(self.source), 1),)

    def manifest_extra(self) -> dict[str, Any]:
        return {
            "speech": {
                **self.settings.to_dict(),
                "engine": self.engine,
                "compute_type": self.compute_type,
                "source": self.source,
                "profile": self.profile,
                "sample_rate": SAMPLE_RATE,
            }
        }
