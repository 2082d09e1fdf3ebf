"""Decoding, resampling and refusing audio; word error rate on normalised text."""

from __future__ import annotations

import io
import math
import wave

import numpy as np
import pytest

from lepton.learn.speech.wer import corpus_wer, edit_distance, normalise, spell
from lepton.runtime.audio import (
    SAMPLE_RATE,
    AudioError,
    AudioTooLong,
    audio_stats,
    decode,
    refuse_silence,
)


def wav(samples: np.ndarray, rate: int, channels: int = 1) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as fh:
        fh.setnchannels(channels)
        fh.setsampwidth(2)
        fh.setframerate(rate)
        fh.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return out.getvalue()


def tone(seconds: float, rate: int, hz: float = 440.0, level: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return level * np.sin(2 * math.pi * hz * t)


@pytest.mark.parametrize("rate", [8_000, 22_050, 44_100, 48_000])
def test_any_rate_becomes_16_khz_mono_of_the_same_duration(rate: int) -> None:
    samples = decode(wav(tone(2.0, rate), rate))
    assert samples.dtype == np.float32
    assert abs(len(samples) - 2 * SAMPLE_RATE) <= 0.01 * SAMPLE_RATE
    assert 0.45 < float(np.max(np.abs(samples))) <= 0.55


def test_stereo_is_mixed_down_and_loudness_is_measured() -> None:
    left = tone(1.0, 16_000)
    stereo = np.stack([left, left], axis=1).reshape(-1)
    samples = decode(wav(stereo, 16_000, channels=2))
    assert abs(len(samples) - SAMPLE_RATE) <= 160
    stats = audio_stats(samples)
    assert stats["duration_s"] == pytest.approx(1.0, abs=0.01)
    # a sine of amplitude 0.5 has an RMS of 0.5/sqrt(2): -9.03 dBFS
    assert stats["loudness_dbfs"] == pytest.approx(-9.03, abs=0.3)


def test_too_long_is_refused_while_decoding() -> None:
    with pytest.raises(AudioTooLong, match="longer than 3 s") as caught:
        decode(wav(tone(5.0, 16_000), 16_000), max_seconds=3, field="file")
    assert caught.value.http_status == 413 and caught.value.field == "file"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"not audio at all", "not readable audio"),
        (wav(tone(2.0, 16_000), 16_000)[:40], "not readable audio \\(Invalid data found"),
        (wav(np.zeros(100), 16_000), "at least"),
    ],
)
def test_corrupt_truncated_or_empty_audio_is_one_clear_error(data: bytes, words: str) -> None:
    with pytest.raises(AudioError, match=words) as caught:
        decode(data, field="audio[0]")
    assert caught.value.http_status == 422 and caught.value.field == "audio[0]"


def test_silence_is_refused_but_quiet_speech_level_is_not() -> None:
    with pytest.raises(AudioError, match="silent"):
        refuse_silence(decode(wav(np.zeros(16_000), 16_000)))
    refuse_silence(decode(wav(tone(1.0, 16_000, level=0.01), 16_000)))  # -43 dBFS: kept


def test_normalising_forgives_case_punctuation_titles_and_numbers() -> None:
    assert normalise("Mr. Dashwood's ill-disposed, 7 times!") == [
        "mister",
        "dashwood's",
        "ill",
        "disposed",
        "seven",
        "times",
    ]
    assert spell(1984) == "one thousand nine hundred eighty four"
    assert spell(42) == "forty two"


def test_word_error_rate_counts_substitutions_insertions_and_deletions() -> None:
    assert edit_distance(["a", "b", "c", "d"], ["a", "x", "c"]) == 2
    assert corpus_wer(["the cat sat", "on the mat"], ["the cat sat", "on mat"]) == 1 / 6
    assert corpus_wer(["Press 1."], ["press one"]) == 0.0


def test_a_chain_goes_into_the_one_text_column_a_codec_takes() -> None:
    from lepton.serve.codecs.ner import NerCodec
    from lepton.serve.codecs.tabular import TabularCodec

    review = [{"name": "review", "kind": "text"}, {"name": "stars", "kind": "numeric"}]
    assert TabularCodec(review).chain_column() == "review"
    two = [{"name": "a", "kind": "text"}, {"name": "b", "kind": "text"}]
    assert TabularCodec(two).chain_column() is None
    assert TabularCodec([{"name": "x", "kind": "numeric"}]).chain_column() is None
    assert NerCodec("body").chain_column() == "body"
