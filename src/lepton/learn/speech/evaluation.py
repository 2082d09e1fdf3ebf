"""Word error rate of a speech model on a held-out set of transcribed clips (``--test``)."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd

from lepton.errors import DataError
from lepton.learn.speech.settings import DEFAULT_TRANSCRIPT
from lepton.learn.speech.wer import word_errors
from lepton.runtime.audio import SAMPLE_RATE


def evaluate_speech(model: Any, frame: pd.DataFrame) -> dict[str, Any]:
    settings = model.settings
    column = settings.transcript_column or DEFAULT_TRANSCRIPT
    if column not in frame.columns:
        raise DataError(f"the test set needs the transcript column {column!r}", field=column)
    paths = frame[settings.audio_column].astype(str).tolist()
    clips = [model.read(path, i) for i, path in enumerate(map(_path, paths))]
    began = time.monotonic()
    outputs = model.transcribe(clips)
    seconds = time.monotonic() - began
    errors = words = 0
    for reference, output in zip(frame[column].astype(str), outputs, strict=True):
        e, n = word_errors(reference, output["text"])
        errors, words = errors + e, words + n
    audio = sum(len(c) for c in clips) / SAMPLE_RATE
    return {
        "n_rows": len(frame),
        "metrics": {
            "wer": errors / words if words else float("nan"),
            "real_time_factor": seconds / audio if audio else float("nan"),
        },
    }


def _path(value: str) -> Any:
    from pathlib import Path

    return Path(value)
