"""The speech kind's optimizer: the engine at each precision it runs, measured on real clips.

CTranslate2 quantizes Whisper's weights as it loads them, so the variants are the same
packaged weights at another ``compute_type`` (int8 against float32), not another file.
Each is run once over the held-out clips: every clip is timed on its own (p50, p99 per
clip), throughput is clips per second over that pass, and the metric is word error
rate against the clips' transcripts, or, for clips without any, against the native
engine's own transcripts (how far the variant strays from what was chosen).
pocketsphinx has one precision: it is measured and the notes say so.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.errors import LeptonError
from lepton.learn.metrics import Metric
from lepton.learn.speech.engines import COMPUTE_TYPES
from lepton.learn.speech.model import SpeechModel
from lepton.learn.speech.settings import DEFAULT_TRANSCRIPT
from lepton.learn.speech.wer import corpus_wer
from lepton.optimize.choose import check_objective
from lepton.optimize.protocol import BuiltVariant, Measure, MeasureOptions, Progress, VariantRun
from lepton.optimize.result import Variant
from lepton.runtime.manifest import NATIVE, PackageManifest
from lepton.runtime.speech import NoOnnxSpeech

MAX_CLIPS = 16  # held-out clips measured per variant (each is transcribed once)


def _wer(y: Any, predicted: Any) -> float:
    return corpus_wer([str(t) for t in y], [str(p["text"]) for p in predicted])


WER = Metric("wer", _wer, False, False, ("speech",))


class SpeechBuilder:
    """``VariantBuilder`` for speech models: the other precisions of the same engine."""

    examples = "clips"
    native_description = "the scored engine (native)"

    def labelled_heldout(
        self,
        model: SpeechModel,
        manifest: PackageManifest,
        heldout: pd.DataFrame,
        objective: str,
        what: str,
    ) -> tuple[pd.DataFrame, NDArray[Any], Metric]:
        check_objective(objective)
        audio = model.settings.audio_column
        if audio not in heldout.columns:
            raise LeptonError(f"held-out {what} need the audio column {audio!r}")
        heldout = heldout.head(MAX_CLIPS).reset_index(drop=True)
        column = model.settings.transcript_column or DEFAULT_TRANSCRIPT
        y = np.empty(len(heldout), dtype=object)
        if column in heldout.columns and heldout[column].notna().all():
            y[:] = heldout[column].astype(str).tolist()
        else:  # no references: how far each variant strays from the native transcripts
            clips = [model.read(Path(p), i) for i, p in enumerate(heldout[audio].astype(str))]
            y[:] = [o["text"] for o in model.transcribe(clips)]
        return heldout[[audio]], y, WER

    def features(self, model: SpeechModel, heldout: pd.DataFrame, say: Progress) -> list[Any]:
        audio = model.settings.audio_column
        say(f"decoding {len(heldout)} clips")
        return [{audio: model.read(Path(p), i)} for i, p in enumerate(heldout[audio].astype(str))]

    def native_note(self, model: SpeechModel) -> str:
        return f"{model.engine} at {model.compute_type}"

    def build(
        self,
        model: SpeechModel,
        manifest: PackageManifest,
        features: list[Any],
        train: pd.DataFrame | None,
        workdir: Path,
        tolerance: float,
        notes: list[str],
        say: Progress,
    ) -> list[BuiltVariant]:
        others = [c for c in COMPUTE_TYPES[model.engine] if c != model.compute_type]
        if not others:
            notes.append(f"no variant: {model.engine} runs at one precision")
        notes.append(f"onnx-fp32 not built: {NoOnnxSpeech.REASON}")
        built = []
        for compute_type in others:
            name = f"{model.engine}-{compute_type}"
            variant = Variant(
                name,
                f"{model.engine} with {compute_type} weights (CTranslate2 quantizes on load)",
                workdir / name,
                "native",
                model=model.with_compute_type(compute_type),
            )
            built.append(BuiltVariant(variant, None))
        return built

    def measurer(
        self, model: SpeechModel, features: list[Any], workdir: Path, options: MeasureOptions
    ) -> Measure:
        def measure(variant: Variant) -> VariantRun:
            runner: SpeechModel = variant.model if variant.model is not None else model
            runner.predict_records(features[:1])  # load the engine and warm it up
            outputs: list[dict[str, Any]] = []
            times: list[float] = []
            for record in features:
                began = time.perf_counter()
                outputs.extend(runner.predict_records([record]))
                times.append(time.perf_counter() - began)
            predictions: NDArray[Any] = np.empty(len(outputs), dtype=object)
            predictions[:] = outputs
            package = variant.folder / NATIVE
            return VariantRun(
                predictions,
                1000 * float(np.percentile(times, 50)),
                1000 * float(np.percentile(times, 99)),
                len(times) / sum(times),
                package.stat().st_size if package.is_file() else 0,
            )

        return measure
