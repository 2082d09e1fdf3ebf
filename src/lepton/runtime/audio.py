"""The one audio decoding path, shared by ingest, training, evaluation and serving.

Why one module: an engine only hears audio the way it heard it at evaluation if decode,
down-mix and resampling are the same code. Any container PyAV (FFmpeg) reads is taken
(WAV, FLAC, MP3, Ogg, …); every file becomes mono float32 at 16 kHz (the mean of its channels), the rate both
engines expect. Decoding streams frame by frame and stops as soon as the clip is longer
than the limit, so an hour-long upload costs no more than the limit to refuse.
"""

from __future__ import annotations

import io
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lepton.errors import DataError

SAMPLE_RATE = 16_000
MAX_SECONDS = 120.0  # per clip, by default: a synchronous request, not a batch job
MIN_SECONDS = 0.1
SILENCE_DBFS = -60.0  # RMS below this is silence (16-bit dither sits near -90 dBFS)

F32 = NDArray[np.float32]


class AudioError(DataError):
    """Audio that cannot be decoded, is empty or silent; ``field`` names where it came from."""


class AudioTooLong(AudioError):
    """Longer than the deployment takes: refused while decoding, before any model runs."""

    http_status = 413


def decode(data: bytes | Path, *, max_seconds: float = MAX_SECONDS, field: str = "audio") -> F32:
    """Bytes or a file → mono float32 samples in [-1, 1] at ``SAMPLE_RATE``."""
    import av

    source: Any = str(data) if isinstance(data, Path) else io.BytesIO(data)
    limit = math.ceil(max_seconds * SAMPLE_RATE)
    chunks: list[F32] = []
    total = 0
    try:
        with av.open(source, mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise AudioError("the file holds no audio stream", field=field)
            stream = container.streams.audio[0]
            # planar float, channels kept: the mean of the channels is the mono signal
            # (FFmpeg's own downmix sums them at -3 dB, which clips full-scale stereo)
            resampler = av.AudioResampler(format="fltp", rate=SAMPLE_RATE)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    total = _append(chunks, out, total, limit, max_seconds, field)
            for out in resampler.resample(None):  # flush what the resampler holds
                total = _append(chunks, out, total, limit, max_seconds, field)
    except AudioError:
        raise
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise AudioError(
            f"not readable audio ({_first_line(exc)}); send WAV, FLAC, MP3 or Ogg", field=field
        ) from None
    samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    if len(samples) < MIN_SECONDS * SAMPLE_RATE:
        raise AudioError(
            f"the audio is {len(samples) / SAMPLE_RATE:.2f} s long; at least {MIN_SECONDS:g} s "
            "of sound is needed",
            field=field,
        )
    return np.clip(samples, -1.0, 1.0)


def _append(
    chunks: list[F32], frame: Any, total: int, limit: int, max_seconds: float, field: str
) -> int:
    planes = frame.to_ndarray()  # (channels, samples)
    values = planes.mean(axis=0, dtype=np.float32) if planes.shape[0] > 1 else planes[0]
    values = values.astype(np.float32, copy=False)
    total += len(values)
    if total > limit:
        raise AudioTooLong(
            f"the audio is longer than {max_seconds:g} s, the limit of this deployment; "
            "split it into shorter clips",
            field=field,
        )
    chunks.append(values)
    return total


def loudness_dbfs(samples: F32) -> float:
    """RMS level in dB relative to full scale (0 is a full-scale square wave)."""
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if len(samples) else 0.0
    return 20.0 * math.log10(rms) if rms > 1e-10 else -200.0


def refuse_silence(samples: F32, *, field: str = "audio") -> None:
    level = loudness_dbfs(samples)
    if level < SILENCE_DBFS:
        raise AudioError(
            f"the audio is silent ({level:.0f} dBFS RMS, below {SILENCE_DBFS:g}); "
            "nothing to transcribe",
            field=field,
        )


def audio_stats(samples: F32) -> dict[str, float]:
    """What monitoring keeps of a clip instead of its samples: duration and loudness."""
    peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
    return {
        "duration_s": round(len(samples) / SAMPLE_RATE, 3),
        "loudness_dbfs": round(loudness_dbfs(samples), 2),
        "peak_dbfs": round(20.0 * math.log10(peak), 2) if peak > 1e-10 else -200.0,
    }


def _first_line(exc: BaseException) -> str:
    """FFmpeg's message without its errno and placeholder file name."""
    lines = str(exc).strip().splitlines()
    text = re.sub(r"^\[Errno -?\d+\]\s*|:\s*'<none>'$", "", lines[0]) if lines else ""
    return text[:200] or type(exc).__name__
