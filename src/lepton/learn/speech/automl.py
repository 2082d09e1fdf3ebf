"""The speech kind's training entry point: score the packaged engines, keep the best.

Nothing is trained: the recognisers are pretrained and ship in packages. What "training"
does is what a user would do by hand before deploying one: run each engine (Whisper
tiny.en at int8 and float32, pocketsphinx) on the dataset's clips and, where the clips
carry transcripts, measure word error rate and real-time factor on the same clips; the
most accurate engine that keeps up with real time is kept. Without transcripts the
default engine (Whisper int8) is kept and the clips only give the monitoring reference
(duration, loudness, words per second). Engines are scored round-robin, a few clips at a
time, so a short ``--time-limit`` still compares every engine on the same clips.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lepton.errors import DataError, LeptonError
from lepton.learn.speech.engines import (
    DEFAULT_COMPUTE,
    DEFAULT_ENGINE,
    SpeechEngine,
    load_engine,
)
from lepton.learn.speech.model import SpeechModel, answer
from lepton.learn.speech.settings import SpeechSettings, candidates
from lepton.learn.speech.wer import word_errors
from lepton.learn.trials import FamilySearch, FamilyTrial
from lepton.runtime.audio import F32, SAMPLE_RATE, audio_stats

if TYPE_CHECKING:
    from lepton.learn.automl import AutoML

METRIC = "wer"
MAX_RTF = 0.5  # an engine slower than this cannot keep up with live calls on 2 cores
ROUND = 4  # clips each engine transcribes per round
PROFILE_SAMPLE = 2000
RESERVE_SHARE, RESERVE_MIN_S = 0.1, 2.0  # of the budget: profile, packaging, registration


@dataclass
class EngineScore:
    engine: str
    compute_type: str
    errors: int = 0
    words: int = 0
    audio_seconds: float = 0.0
    compute_seconds: float = 0.0
    load_seconds: float = 0.0
    outputs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.engine}-{self.compute_type}"

    @property
    def wer(self) -> float:
        return self.errors / self.words if self.words else float("nan")

    @property
    def rtf(self) -> float:
        return self.compute_seconds / self.audio_seconds if self.audio_seconds else float("nan")


def fit_speech(automl: AutoML, frame: pd.DataFrame, column_kinds: dict[str, str]) -> AutoML:
    """``AutoML.fit`` for ``task="speech"`` (named by ``lepton.runtime.kinds.speech``)."""
    settings = SpeechSettings.from_options(automl.options or {}, frame)
    budget = float(automl.time_limit)
    started = time.monotonic() - (time.time() - automl.started_)
    deadline = started + budget - max(RESERVE_MIN_S, RESERVE_SHARE * budget)
    order = np.random.default_rng(automl.seed).permutation(len(frame))
    rows = frame.iloc[order].reset_index(drop=True)
    probe = SpeechModel(settings, DEFAULT_ENGINE, DEFAULT_COMPUTE, {}, {})
    clips = [probe.read(path, int(order[i])) for i, path in enumerate(_paths(rows, settings))]
    transcripts = _transcripts(rows, settings)
    notes = automl.notes_
    if transcripts is None:
        scores = _score(
            [(settings.engine or DEFAULT_ENGINE, DEFAULT_COMPUTE)], clips, None, deadline
        )
        how = "not scored: no transcripts (the default engine is served; clips are the reference)"
        notes.append(
            f"no transcript column: serving {scores[0].name}; {scores[0].audio_seconds:.0f} s of "
            f"the clips transcribed for the monitoring reference (real-time factor "
            f"{scores[0].rtf:.3f})"
        )
        chosen = scores[0]
    else:
        pairs = candidates(settings)
        if settings.engine is None:
            pairs = [(DEFAULT_ENGINE, DEFAULT_COMPUTE)] + [
                p for p in pairs if p != (DEFAULT_ENGINE, DEFAULT_COMPUTE)
            ]
        scores = _score(pairs, clips, transcripts, deadline)
        chosen = _choose(scores, notes)
        n = len(chosen.outputs)
        how = (
            f"corpus word error rate on {n} of {len(clips)} clips "
            f"({sum(len(c) for c in clips[:n]) / SAMPLE_RATE:.0f} s of audio), the same clips "
            "for every engine; text normalised (case, punctuation, numbers spelt out)"
        )
    details = {
        "chosen": chosen.name,
        "scores": {s.name: _summary(s) for s in scores},
        "n_clips": len(clips),
    }
    model = SpeechModel(
        settings,
        chosen.engine,
        chosen.compute_type,
        _profile(clips, chosen.outputs, automl.seed),
        details,
    )
    from lepton.learn.automl import LeaderboardRow

    automl.task_, automl.metric_, automl.n_folds_ = "speech", METRIC, 1
    automl.validation_how_ = how
    automl.model_ = model
    automl.search_ = FamilySearch([FamilyTrial(s.name, True, s.compute_seconds) for s in scores])
    automl.interrupted_ = False
    board = [_row(s, s is chosen, transcripts is not None) for s in scores]
    board.sort(key=lambda r: (-r["weight"], r["score"] if r["score"] == r["score"] else 9.0))
    automl.leaderboard_ = [LeaderboardRow(**r) for r in board]
    automl.fit_seconds_ = time.time() - automl.started_
    return automl


def _paths(rows: pd.DataFrame, settings: SpeechSettings) -> list[Any]:
    from pathlib import Path

    column = settings.audio_column
    out = []
    for i, value in enumerate(rows[column].tolist()):
        if not isinstance(value, str) or not value:
            raise DataError(f"row {i}: {column!r} names no audio file", field=column)
        out.append(Path(value))
    if not out:
        raise DataError("--task speech needs at least one audio clip", field=column)
    return out


def _transcripts(rows: pd.DataFrame, settings: SpeechSettings) -> list[str] | None:
    column = settings.transcript_column
    if column is None:
        return None
    values = rows[column].tolist()
    if not any(isinstance(v, str) and v.strip() for v in values):
        raise DataError(
            f"the transcript column {column!r} is empty; fill it, or drop it to serve the "
            "default engine unscored",
            field=column,
        )
    missing = [i for i, v in enumerate(values) if not isinstance(v, str) or not v.strip()]
    if missing:
        raise DataError(
            f"{len(missing)} clips have no transcript (first: row {missing[0]}); "
            "every scored clip needs one",
            field=column,
        )
    return [str(v) for v in values]


def _score(
    pairs: list[tuple[str, str]],
    clips: list[F32],
    transcripts: list[str] | None,
    deadline: float,
) -> list[EngineScore]:
    """Round-robin: every engine transcribes the same next ``ROUND`` clips until time is up."""
    scores: list[EngineScore] = []
    engines: list[SpeechEngine] = []
    for name, compute_type in pairs:
        began = time.monotonic()
        try:
            engines.append(load_engine(name, compute_type))
        except (LeptonError, ImportError, OSError) as exc:
            raise LeptonError(f"the {name} engine failed to load: {exc}") from exc
        scores.append(EngineScore(name, compute_type, load_seconds=time.monotonic() - began))
    done = 0
    while done < len(clips):
        batch = range(done, min(done + ROUND, len(clips)))
        for score, engine in zip(scores, engines, strict=True):
            for i in batch:
                began = time.monotonic()
                transcript = engine.transcribe(clips[i])
                score.compute_seconds += time.monotonic() - began
                score.audio_seconds += len(clips[i]) / SAMPLE_RATE
                score.outputs.append(answer(transcript, clips[i]))
                if transcripts is not None:
                    errors, words = word_errors(transcripts[i], transcript.text)
                    score.errors, score.words = score.errors + errors, score.words + words
        done = batch.stop
        if time.monotonic() >= deadline:
            break
    return scores


def _choose(scores: list[EngineScore], notes: list[str]) -> EngineScore:
    fast = [s for s in scores if s.rtf <= MAX_RTF] or scores
    if len(fast) < len(scores):
        slow = ", ".join(s.name for s in scores if s not in fast)
        notes.append(f"slower than real time / {1 / MAX_RTF:g} on this machine: {slow}")
    best = min(fast, key=lambda s: (round(s.wer, 4), s.rtf))
    notes.append(
        "word error rate: "
        + ", ".join(f"{s.name} {s.wer:.3f} (real-time factor {s.rtf:.3f})" for s in scores)
    )
    return best


def _summary(score: EngineScore) -> dict[str, float]:
    return {
        "wer": score.wer,
        "rtf": score.rtf,
        "clips": float(len(score.outputs)),
        "audio_seconds": score.audio_seconds,
    }


def _row(score: EngineScore, chosen: bool, scored: bool) -> dict[str, Any]:
    n = max(len(score.outputs), 1)
    return {
        "model": score.name,
        "family": score.engine,
        "origin": f"pretrained, real-time factor {score.rtf:.3f}",
        "score": score.wer if scored else float("nan"),
        "score_std": float("nan"),
        "fit_seconds": score.load_seconds + score.compute_seconds,
        "predict_ms_per_row": 1000 * score.compute_seconds / n,  # per clip, one core
        "weight": float(chosen),
        "params": {"compute_type": score.compute_type},
    }


def _profile(clips: list[F32], outputs: list[dict[str, Any]], seed: int) -> dict[str, Any]:
    """The reference the monitor compares live audio with: per-clip duration, loudness, wps."""
    pick = np.sort(np.random.default_rng(seed).permutation(len(clips))[:PROFILE_SAMPLE])
    stats = [audio_stats(clips[i]) for i in pick]
    wps = [float(o["words_per_second"]) for o in outputs[:PROFILE_SAMPLE]]
    return {
        "duration_s": [s["duration_s"] for s in stats],
        "loudness_dbfs": [s["loudness_dbfs"] for s in stats],
        "words_per_second": wps,
    }
