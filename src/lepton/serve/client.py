"""``lepton.Client``: call a running Lepton server from Python."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import pandas as pd

from lepton.errors import LeptonError


class ServerError(LeptonError):
    """The server answered with an error; the message is the server's own."""


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
        answer = self.predict_raw(deployment, frame)
        out = pd.DataFrame({"prediction": answer["predictions"]}, index=frame.index)
        if "probabilities" in answer:
            probs = np.asarray(answer["probabilities"], dtype=float)
            for j, label in enumerate(answer["labels"]):
                out[f"p_{label}"] = probs[:, j]
        out.attrs.update(request_id=answer["request_id"], version=answer["version"])
        return out

    def deployments(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v1/deployments")["deployments"])

    def health(self) -> bool:
        return self._http.get("/healthz").status_code == 200

    def _call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, json=body)
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
