"""Monitoring a speech deployment: has the audio changed, and are the transcripts right?

Drift compares what the log keeps of each clip with the reference the package records
(``extra.speech.profile``, measured on the dataset's clips), each by Kolmogorov-Smirnov:

- **duration** of the clips (a new call flow, or clipped uploads);
- **loudness**, RMS in dBFS (a new microphone, gain or codec);
- **words per second** of the transcripts: speech the engine no longer follows comes
  out as too few words (or as repeated ones) before anyone reads a transcript.

Live word error rate is measured when feedback sends the true transcript of a logged clip
(``label``: the text). A speech model is pretrained and the log keeps no audio, so there
is nothing to retrain on: ``lepton retrain`` says so, and the live WER is the signal to
switch engine (``lepton train --engine``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from lepton.errors import LeptonError
from lepton.learn.speech.wer import corpus_wer
from lepton.monitor.drift import DriftReport, detect_drift
from lepton.monitor.inputs import InputChecks
from lepton.monitor.performance import LivePerformance, scored_per_version, training_metrics
from lepton.monitor.quality import check_quality
from lepton.runtime.manifest import PackageManifest
from lepton.store.project import Project

# what the codec logs of a clip → the profile's name for it
LOGGED = {
    "audio_duration_s": "duration_s",
    "audio_loudness_dbfs": "loudness_dbfs",
    "words_per_second": "words_per_second",
}
SCHEMA = [{"name": name, "kind": "numeric", "nullable": False} for name in LOGGED]
METRIC = "wer"


def speech_checks(
    manifest: PackageManifest, reference: pd.DataFrame, current: pd.DataFrame
) -> InputChecks:
    """Duration, loudness and words-per-second drift of the logged clips against the profile."""
    profile = manifest.extra.get("speech", {}).get("profile", {})
    base = pd.DataFrame(
        {name: pd.Series(profile.get(name, []), dtype=float) for name in LOGGED.values()}
    )
    quality = check_quality(SCHEMA, current)
    if current.empty or base.dropna().empty or not set(LOGGED) <= set(current.columns):
        return InputChecks(None, quality, base)
    live = current[list(LOGGED)].rename(columns=LOGGED).astype(float)
    kinds = dict.fromkeys(LOGGED.values(), "numeric")
    features = list(detect_drift(base.dropna(), live, kinds=kinds).features)
    share = sum(f.drifted for f in features) / len(features)
    drift = DriftReport(features, share, share >= 0.5, len(base), len(current))
    return InputChecks(drift, quality, base)


def live_wer(frame: pd.DataFrame) -> dict[str, float]:
    """Corpus WER of the logged transcripts against the fed-back ones."""
    if not len(frame):
        return {}
    return {
        METRIC: corpus_wer(
            frame["label"].astype(str).tolist(), frame["in_text"].fillna("").astype(str).tolist()
        )
    }


def speech_performance(
    project: Project, model: str, manifest: PackageManifest, labelled: pd.DataFrame, bucket: str
) -> LivePerformance:
    """Live WER per version and per time bucket, next to the scored one."""
    if labelled.empty or "in_text" not in labelled.columns:
        return LivePerformance()
    return scored_per_version(labelled, live_wer, training_metrics(manifest.metrics), bucket)


def rescore_speech(project: Project, deployment: str, **options: Any) -> Any:
    """The speech kind's ``retrainer``: there is nothing to retrain, and why."""
    raise LeptonError(
        f"{deployment!r} serves a pretrained speech engine and the prediction log keeps no "
        "audio, so there is nothing to retrain on; watch its live WER (`lepton monitor`) "
        "and re-score the engines on new transcribed clips with `lepton train --task speech`"
    )
