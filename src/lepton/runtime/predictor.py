"""The one predictor interface, and what every predictor answers from its manifest.

``Predictor`` is the typed contract the server, the CLI, evaluation and the monitor
program against: batch in, batch out, whichever runtime (native pickle or ONNX) and
whichever kind (table, text, image) is behind it. ``PackageView`` derives the shared
facts (task, labels, columns, variant) from the typed manifest in one place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.errors import LeptonError
from lepton.runtime.manifest import PackageManifest

Records = list[dict[str, Any]]


@runtime_checkable
class Predictor(Protocol):
    """What every loaded package offers, native or ONNX, table or image."""

    manifest: PackageManifest
    path: Path | None

    @property
    def task(self) -> str: ...

    @property
    def labels(self) -> list[Any]: ...

    @property
    def input_columns(self) -> list[str]: ...

    @property
    def variant(self) -> str: ...

    def predict(self, frame: pd.DataFrame) -> pd.Series: ...

    def predict_proba(self, frame: pd.DataFrame) -> pd.DataFrame: ...

    def predict_raw(self, frame: pd.DataFrame) -> NDArray[np.float64]: ...

    def predict_records(self, records: Records) -> NDArray[np.float64]:
        """Probabilities (n, k) or values (n,) for validated request records."""
        ...


class PackageView:
    """Manifest-derived facts; subclasses set ``manifest`` and may rename the variant."""

    manifest: PackageManifest
    path: Path | None = None
    default_variant = "native"

    @property
    def task(self) -> str:
        return self.manifest.task

    @property
    def kind(self) -> str:
        return self.manifest.kind

    @property
    def labels(self) -> list[Any]:
        return self.manifest.labels

    @property
    def input_columns(self) -> list[str]:
        return self.manifest.input_columns

    @property
    def variant(self) -> str:
        return self.manifest.variant.name if self.manifest.variant else self.default_variant


class RawOutputPredictor(PackageView):
    """``predict`` and ``predict_proba`` for predictors that compute ``predict_raw`` themselves."""

    default_variant = "onnx"

    def predict_raw(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        raise NotImplementedError

    def predict_proba(self, frame: pd.DataFrame) -> pd.DataFrame:
        return proba_frame(self.task, self.predict_raw(frame), self.labels, frame.index)

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        raw = self.predict_raw(frame)
        name = self.manifest.target
        if self.task == "regression":
            return pd.Series(raw, index=frame.index, name=name)
        values = np.asarray(self.labels, dtype=object)[raw.argmax(axis=1)]
        return pd.Series(values, index=frame.index, name=name)


def proba_frame(
    task: str, raw: NDArray[np.float64], labels: list[Any], index: pd.Index
) -> pd.DataFrame:
    """Class probabilities as a frame (one column a label), or a clear error for regression."""
    if task == "regression":
        raise LeptonError("predict_proba is for classifiers; this model does regression")
    return pd.DataFrame(raw, columns=labels, index=index)
