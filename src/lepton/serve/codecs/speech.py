"""Audio in, a transcript out: multipart ``file`` parts or JSON ``{"audio": [base64, …]}``.

Each clip is decoded and resampled on the server (``lepton.runtime.audio``, the code
training scored the engines with), bounded in size (413), in duration (413, found while
decoding, before any model runs) and refused when corrupt or silent (422). The answer,
per clip in ``predictions``: ``{"text", "segments": [{"start", "end", "text"}],
"duration_s", "words_per_second"}``. The log keeps each clip's duration, loudness, words
per second and text, never its samples.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray
from starlette.requests import Request

from lepton.runtime.audio import MAX_SECONDS, AudioError, audio_stats, decode, refuse_silence
from lepton.runtime.manifest import PackageManifest
from lepton.serve.codecs.base import Codec, Records
from lepton.serve.codecs.openapi import json_object, multipart_file
from lepton.serve.codecs.uploads import UploadLimits, check_count, read_uploads
from lepton.serve.validation import PayloadTooLarge, RequestError

MAX_CLIPS = 16
MAX_CLIP_BYTES = 24 * 1024 * 1024  # 2 min of 44.1 kHz stereo 16-bit WAV fits
MAX_BODY_BYTES = 32 * 1024 * 1024  # base64 of the largest clip


class SpeechCodec(Codec):
    """Reads, decodes and checks uploaded audio for one speech model version."""

    offload = True  # decoding an MP3 takes milliseconds: keep it off the event loop
    chains: ClassVar[bool] = True

    @classmethod
    def for_manifest(
        cls, manifest: PackageManifest, *, reject_unknown_categories: bool
    ) -> SpeechCodec:
        extra = manifest.extra.get("speech", {})
        return cls(
            str(extra.get("audio_column", "audio")), float(extra.get("max_seconds", MAX_SECONDS))
        )

    def __init__(self, column: str, max_seconds: float = MAX_SECONDS) -> None:
        self.column = column
        self.max_seconds = max_seconds
        self.limits = UploadLimits("audio", "audio file", MAX_CLIPS, MAX_CLIP_BYTES, MAX_BODY_BYTES)

    async def read(self, request: Request) -> list[Any]:
        return await read_uploads(request, self.limits)

    def validate(self, rows: list[Any]) -> Records:
        """``rows``: ``{"field", "data"}`` per clip → records with 16 kHz mono samples."""
        check_count(rows, self.limits)
        out = []
        for i, row in enumerate(rows):
            field = str(row["field"])
            try:
                samples = decode(row["data"], max_seconds=self.max_seconds, field=field)
                refuse_silence(samples, field=field)
            except AudioError as exc:
                error = PayloadTooLarge if exc.http_status == 413 else RequestError
                raise error(exc.message, field=field, row=i) from None
            out.append({self.column: samples, **audio_stats(samples)})
        return out

    def logged(self, records: Records, outputs: NDArray[Any]) -> tuple[Records, NDArray[Any]]:
        rows, rates = [], []
        for record, found in zip(records, outputs, strict=True):
            rows.append(
                {
                    "audio_duration_s": record["duration_s"],
                    "audio_loudness_dbfs": record["loudness_dbfs"],
                    "audio_peak_dbfs": record["peak_dbfs"],
                    "words_per_second": found["words_per_second"],
                    "text": found["text"],
                }
            )
            rates.append(found["words_per_second"])
        return rows, np.asarray(rates, dtype=float)

    def encode(self, outputs: NDArray[Any], labels: list[Any] | None) -> dict[str, Any]:
        return {"predictions": [dict(found) for found in outputs]}

    def texts(self, outputs: NDArray[Any]) -> list[str]:
        """What a chained text deployment gets: each clip's transcript."""
        return [str(found["text"]) for found in outputs]

    @classmethod
    def openapi_request_body(cls) -> dict[str, Any]:
        return {
            "content": {
                "application/json": json_object(
                    audio={
                        "type": "array",
                        "items": {"type": "string", "format": "byte"},
                        "description": "speech models: base64 WAV, FLAC, MP3 or Ogg files",
                    }
                ),
                "multipart/form-data": multipart_file(),
            }
        }


__all__ = ["SpeechCodec"]
