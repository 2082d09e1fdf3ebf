"""The trained image classifier: preprocessing recipe + network + label mapping.

It mirrors ``TrainedModel``'s surface (``task``, ``labels``, ``target``, ``predict_raw``,
``predict_proba``, ``predict``) so evaluation, packages, predictors and the optimizer
use it without knowing it sees pixels. Inputs are either frames whose image column
holds file paths, or records whose image column holds already-converted uint8 arrays
(what the server's image validator produces).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from numpy.typing import NDArray

from lepton.errors import DataError
from lepton.learn.families.cnn_net import ImageNet, embeddings, predict_proba
from lepton.learn.tasks import TargetEncoding
from lepton.learn.vision.preprocess import Preprocessing, load_paths


@dataclass
class ImageModel:
    net: ImageNet
    preprocessing: Preprocessing
    target: TargetEncoding
    target_name: str
    image_column: str
    params: dict[str, Any]
    family: str = "cnn"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def task(self) -> str:
        return self.target.task

    @property
    def labels(self) -> list[Any]:
        return self.target.labels

    @property
    def temperature(self) -> float:
        return float(self.net.temperature)

    @property
    def input_columns(self) -> list[str]:
        return [self.image_column]

    def pixels(self, frame: pd.DataFrame) -> NDArray[np.uint8]:
        """The frame's images (file paths) converted exactly as in training."""
        if self.image_column not in frame.columns:
            raise DataError(f"input has no image column {self.image_column!r}")
        paths = [str(p) for p in frame[self.image_column]]
        pre = self.preprocessing
        return load_paths(paths, pre.size, pre.mode)

    def predict_pixels(self, pixels: NDArray[np.uint8]) -> NDArray[np.float64]:
        return predict_proba(self.net, torch.from_numpy(np.ascontiguousarray(pixels)))

    def predict_raw(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        return self.predict_pixels(self.pixels(frame))

    def predict_records(self, records: list[dict[str, Any]]) -> NDArray[np.float64]:
        """Records from the server's image validator: converted uint8 arrays under the column."""
        return self.predict_pixels(np.stack([r[self.image_column] for r in records]))

    def embed(self, pixels: NDArray[np.uint8]) -> NDArray[np.float64]:
        return embeddings(self.net, torch.from_numpy(np.ascontiguousarray(pixels)))

    def predict_proba(self, frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(self.predict_raw(frame), columns=self.labels, index=frame.index)

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        codes = self.predict_raw(frame).argmax(axis=1)
        return pd.Series(self.target.decode(codes), index=frame.index, name=self.target_name)


def input_schema(model: ImageModel) -> list[dict[str, Any]]:
    """The package's input schema: one image column with its preprocessing."""
    return [
        {
            "name": model.image_column,
            "kind": "image",
            "nullable": False,
            "preprocessing": model.preprocessing.to_dict(),
        }
    ]


def is_image_manifest(manifest: dict[str, Any]) -> bool:
    return any(c.get("kind") == "image" for c in manifest.get("input_schema", []))


def image_manifest(
    model: ImageModel,
    output: dict[str, Any],
    metrics: dict[str, Any],
    lineage: dict[str, Any],
    code_version: str,
    native: str,
) -> dict[str, Any]:
    """``lepton.json`` for an image model: the preprocessing recipe is part of the contract."""
    from datetime import UTC, datetime

    from lepton.learn.package import FORMAT

    return {
        "format": FORMAT,
        "task": model.task,
        "target": model.target_name,
        "input_schema": input_schema(model),
        "preprocessing": model.preprocessing.to_dict(),
        "dropped_columns": {},
        "output_schema": output,
        "metrics": metrics,
        "lineage": {**lineage, "code_version": code_version},
        "ensemble": [
            {
                "name": "cnn",
                "family": model.family,
                "weight": 1.0,
                "params": model.params,
                "n_fold_models": 1,
            }
        ],
        "temperature": model.temperature,
        "training": dict(model.extra),
        "serving": {"native": native},
        "created_at": datetime.now(UTC).isoformat(),
    }
