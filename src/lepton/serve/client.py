"""``lepton.Client``: call a running Lepton server from Python."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd

from lepton.errors import LeptonError


class ServerError(LeptonError):
    """The server answered with an error; the message is the server's own."""


IMAGES_PER_REQUEST = 64  # well under the server's per-request limit (256)
CLIPS_PER_REQUEST = 8  # the server takes 16 clips a request


class Client:
    """A small typed client: ``Client(url, key).predict("adult", frame)``."""

    def __init__(self, url: str, key: str | None = None, *, timeout: float = 60.0) -> None:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def predict_raw(self, deployment: str, frame: pd.DataFrame) -> dict[str, Any]:
        """The server's JSON answer for ``frame`` (request id, version, predictions…)."""
        records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        return self._call("POST", f"/v1/deployments/{deployment}/predict", {"records": records})

    def predict(self, deployment: str, frame: pd.DataFrame) -> pd.DataFrame:
        """Predictions as a frame aligned with ``frame``: ``prediction`` (+ ``p_<label>``)."""
        return _frame([self.predict_raw(deployment, frame)], frame.index)

    def predict_images(
        self,
        deployment: str,
        images: Sequence[str | Path | bytes],
        *,
        batch_size: int = IMAGES_PER_REQUEST,
    ) -> pd.DataFrame:
        """Predictions for image files (paths) or encoded image bytes, one row per image.

        The server decodes, converts and resizes each image exactly as in training.
        """
        return self.predict_files(deployment, images, batch_size=batch_size)

    def predict_audio(
        self,
        deployment: str,
        clips: Sequence[str | Path | bytes],
        *,
        batch_size: int = CLIPS_PER_REQUEST,
    ) -> pd.DataFrame:
        """Transcripts for audio files (paths) or encoded audio bytes, one row per clip
        (``prediction``: ``{"text", "segments", "duration_s", "words_per_second"}``)."""
        return self.predict_files(deployment, clips, batch_size=batch_size)

    def predict_files(
        self,
        deployment: str,
        files: Sequence[str | Path | bytes],
        *,
        batch_size: int = IMAGES_PER_REQUEST,
    ) -> pd.DataFrame:
        """Predictions for uploaded files, one row per file, in order.

        Sent as multipart ``file`` parts, ``batch_size`` files per request, so a folder of
        any size stays under the server's per-request limit.
        """
        images = files
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        answers = []
        for start in range(0, len(images), batch_size):
            parts = [
                ("file", _upload(item, start + i))
                for i, item in enumerate(images[start : start + batch_size])
            ]
            answers.append(self._call("POST", f"/v1/deployments/{deployment}/predict", files=parts))
        return _frame(answers, pd.RangeIndex(len(images)))

    def deployments(self) -> list[dict[str, Any]]:
        """Every active deployment (needs an admin key: the list reveals the routes)."""
        return list(self._call("GET", "/v1/deployments")["deployments"])

    def health(self) -> bool:
        return self._http.get("/healthz").status_code == 200

    def _call(
        self, method: str, path: str, body: Any = None, *, files: Any = None
    ) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, json=body, files=files)
        except httpx.HTTPError as exc:
            raise ServerError(f"could not reach {self.url}: {exc}") from exc
        if response.status_code >= 400:
            try:
                error = response.json().get("error", {})
                message = error.get("message", response.text)
                if error.get("field"):
                    message += f" (field: {error['field']})"
            except ValueError:
                message = response.text
            raise ServerError(f"{response.status_code}: {message}")
        result: dict[str, Any] = response.json()
        return result


def _frame(answers: list[dict[str, Any]], index: pd.Index) -> pd.DataFrame:
    """One frame from one or more server answers (in order); version of the last answer."""
    out = pd.DataFrame({"prediction": [p for a in answers for p in a["predictions"]]}, index=index)
    if answers and "probabilities" in answers[0]:
        probs = np.asarray([row for a in answers for row in a["probabilities"]], dtype=float)
        for j, label in enumerate(answers[0]["labels"]):
            out[f"p_{label}"] = probs[:, j]
    if answers:
        out.attrs.update(
            request_id=answers[-1]["request_id"],
            request_ids=[a["request_id"] for a in answers],
            version=answers[-1]["version"],
        )
    return out


def _upload(item: str | Path | bytes, position: int) -> tuple[str, bytes, str]:
    """A multipart file part: (file name, bytes, content type)."""
    if isinstance(item, bytes):
        return (f"file-{position}", item, "application/octet-stream")
    path = Path(item)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LeptonError(f"cannot read file {path}: {exc.strerror or exc}") from None
    return (path.name, data, "application/octet-stream")
