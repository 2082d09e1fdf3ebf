"""Word error rate of a speech model on a held-out set of transcribed clips (``--test``).

Transcribing is the slow part, so with a ``deadline`` (``lepton train --test`` keeps a
share of the time limit for it) the clips are scored in a seeded order until the time is
up, and the report says how many were.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lepton.errors import DataError
from lepton.learn.speech.settings import DEFAULT_TRANSCRIPT
from lepton.learn.speech.wer import word_errors
from lepton.runtime.audio import SAMPLE_RATE


def evaluate_speech(
    model: Any, frame: pd.DataFrame, *, deadline: float | None = None, seed: int = 0
) -> dict[str, Any]:
    settings = model.settings
    column = settings.transcript_column or DEFAULT_TRANSCRIPT
    if column not in frame.columns:
        raise DataError(f"the test set needs the transcript column {column!r}", field=column)
    order = np.random.default_rng(seed).permutation(len(frame))
    paths = frame[settings.audio_column].astype(str).tolist()
    references = frame[column].astype(str).tolist()
    errors = words = 0
    audio = seconds = 0.0
    scored = 0
    _ = model.recogniser  # load the engine now: the real-time factor times transcribing only
    for i in order:
        if deadline is not None and scored and time.time() >= deadline:
            break
        clip = model.read(Path(paths[i]), int(i))
        began = time.monotonic()
        (output,) = model.transcribe([clip])
        seconds += time.monotonic() - began
        audio += len(clip) / SAMPLE_RATE
        e, n = word_errors(references[i], output["text"])
        errors, words, scored = errors + e, words + n, scored + 1
    return {
        "n_rows": len(frame),
        "n_scored": scored,
        "metrics": {
            "wer": errors / words if words else float("nan"),
            "real_time_factor": seconds / audio if audio else float("nan"),
        },
        **(
            {"note": f"WER on {scored} of {len(frame)} clips: the time limit"}
            if scored < len(frame)
            else {}
        ),
    }
