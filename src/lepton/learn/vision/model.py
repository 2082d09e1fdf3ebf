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
from lepton.runtime.images import Preprocessing, load_paths
from lepton.runtime.manifest import ColumnSpec, MemberSpec


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

    @property
    def kind(self) -> str:
        return "image"

    @property
    def dropped_columns(self) -> dict[str, str]:
        return {}

    def input_schema(self, frame: pd.DataFrame | None = None) -> tuple[ColumnSpec, ...]:
        """One image column with its preprocessing: the recipe is part of the contract."""
        return (
            ColumnSpec(
                self.image_column,
                "image",
                nullable=False,
                preprocessing=self.preprocessing.to_dict(),
            ),
        )

    def ensemble_specs(self) -> tuple[MemberSpec, ...]:
        return (MemberSpec("cnn", self.family, 1.0, self.params, 1),)

    def manifest_extra(self) -> dict[str, Any]:
        return {"training": dict(self.extra)}

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
