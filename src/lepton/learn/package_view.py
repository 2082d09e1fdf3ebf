"""What every predictor answers from its package's manifest, native or ONNX, table or image.

One place for these so the server, the CLI and the monitor see the same task, labels,
columns and variant name whichever predictor a package was loaded as.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.errors import LeptonError


class PackageView:
    """Manifest-derived facts; subclasses set ``manifest`` and may rename the variant."""

    manifest: dict[str, Any]
    default_variant = "native"

    @property
    def task(self) -> str:
        return str(self.manifest["task"])

    @property
    def labels(self) -> list[Any]:
        return list(self.manifest["output_schema"].get("labels", []))

    @property
    def input_columns(self) -> list[str]:
        return [str(c["name"]) for c in self.manifest["input_schema"]]

    @property
    def variant(self) -> str:
        return str(self.manifest.get("variant", {}).get("name", self.default_variant))


class RawOutputPredictor(PackageView):
    """``predict`` and ``predict_proba`` for predictors that compute ``predict_raw`` themselves."""

    default_variant = "onnx"

    def predict_raw(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        raise NotImplementedError

    def predict_proba(self, frame: pd.DataFrame) -> pd.DataFrame:
        return proba_frame(self.task, self.predict_raw(frame), self.labels, frame.index)

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        raw = self.predict_raw(frame)
        name = self.manifest.get("target")
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
