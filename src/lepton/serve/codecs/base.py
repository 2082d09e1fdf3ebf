"""What every input kind must provide to be served: the ``Codec`` interface.

Why one interface (BentoML's IO descriptors): routing, canaries, shadows, batching, the
retry on hot swaps and the prediction log then work for every kind unchanged, and the
server learns nothing about tables or images. A codec belongs to one loaded version:
it is built from that version's input schema, so a canary trained differently is
checked against what IT was trained on.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray
from starlette.requests import Request

from lepton.errors import LeptonError
from lepton.runtime.manifest import PackageManifest

Records = list[dict[str, Any]]


class WrongEndpoint(LeptonError):
    """The deployment answers on another route (a forecaster on /predict, or vice versa)."""

    http_status = 400


def require_endpoint(codec: Codec, endpoint: str, deployment: str) -> None:
    """A 400 pointing at the right route when ``deployment`` does not answer on this one."""
    if codec.endpoint != endpoint:
        raise WrongEndpoint(
            f"deployment {deployment!r} does not answer on /{endpoint}: "
            f"POST /v1/deployments/{deployment}/{codec.endpoint}",
            field="body",
        )


class Codec(ABC):
    """Decode, validate, log and encode one kind of model input (a table, images, …)."""

    offload: ClassVar[bool] = False
    """Whether ``validate`` is slow enough (decoding images) to run in a thread."""

    values: ClassVar[bool] = False
    """Whether outputs are values named by the labels (logged as ``out_<label>``), not
    class probabilities (anomalies: score and flag)."""

    endpoint: ClassVar[str] = "predict"
    """The route this kind answers on (``/v1/deployments/{name}/<endpoint>``)."""

    chains: ClassVar[bool] = False
    """Whether answers are texts a ``?then=`` text deployment can take (speech)."""

    @classmethod
    @abstractmethod
    def for_manifest(cls, manifest: PackageManifest, *, reject_unknown_categories: bool) -> Codec:
        """The codec for one loaded version, from its package's input schema."""

    @abstractmethod
    async def read(self, request: Request) -> list[Any]:
        """The request body as raw rows, or a 4xx naming the field."""

    @abstractmethod
    def validate(self, rows: list[Any]) -> Records:
        """Raw rows → the records the model takes, or a 4xx naming the field and row."""

    def loggable(self, records: Records) -> Records:
        """What the prediction log keeps of ``records`` (by default: all of them)."""
        return records

    def logged(self, records: Records, outputs: NDArray[Any]) -> tuple[Records, NDArray[Any]]:
        """What the prediction log keeps of an answered request: its rows and its outputs
        (by default ``loggable`` rows and the outputs as answered). Kinds whose outputs are
        not one number or one probability row per record (entity spans) put them into the
        rows and log a number (entities found) as the output."""
        return self.loggable(records), outputs

    def encode(self, outputs: NDArray[Any], labels: list[Any] | None) -> dict[str, Any]:
        """The answer's prediction fields: values, or labels with their probabilities."""
        scores = np.asarray(outputs, dtype=float)
        if labels is None:
            return {"predictions": scores.tolist()}
        return {
            "predictions": [labels[i] for i in scores.argmax(axis=1)],
            "labels": labels,
            "probabilities": scores.round(6).tolist(),
        }

    def answer(
        self, outputs: NDArray[Any], labels: list[Any] | None, records: Records
    ) -> dict[str, Any]:
        """The answer's prediction fields given the validated records too (rules: which
        rules fired for each basket); by default just ``encode``."""
        return self.encode(outputs, labels)

    def chain_column(self) -> str | None:
        """The one text input a chained deployment's texts go into, or None if this
        version takes no single text (see ``chains`` and the predict route's ``?then=``)."""
        return None

    def texts(self, outputs: NDArray[Any]) -> list[str]:
        """The text of each answer, for a chained deployment (kinds with ``chains``)."""
        raise LeptonError("this kind answers no texts to chain")

    @classmethod
    @abstractmethod
    def openapi_request_body(cls) -> dict[str, Any]:
        """The OpenAPI ``requestBody`` (``{"content": {media type: …}}``) this kind accepts."""
