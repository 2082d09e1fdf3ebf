"""An image package's ONNX graph behind the ``Predictor`` interface (no pickle: safe to load).

The graph takes ``pixels`` uint8 [N, H, W, C] — already decoded, converted and resized by
``lepton.runtime.images`` — and does the normalisation, the network and the
temperature-scaled softmax itself, so it answers exactly as the native model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.errors import LeptonError
from lepton.runtime.images import Preprocessing, load_paths
from lepton.runtime.manifest import ONNX, PackageManifest, read_manifest
from lepton.runtime.onnx_table import session_options
from lepton.runtime.predictor import RawOutputPredictor

INPUT = "pixels"
BATCH = 512


class OnnxImagePredictor(RawOutputPredictor):
    """``predict_records`` (server), ``predict_pixels`` and ``predict_raw`` (frames of paths)."""

    def __init__(self, session: Any, manifest: PackageManifest, path: Path | None = None) -> None:
        self.session = session
        self.manifest = manifest
        self.path = path
        self.image_column, self.preprocessing = image_input(manifest)

    @classmethod
    def load(cls, folder: str | Path, *, threads: int = 1) -> OnnxImagePredictor:
        import onnxruntime as ort

        path = Path(folder)
        manifest = read_manifest(path)
        graph = path / manifest.serving.get("onnx", ONNX)
        if not graph.is_file():
            raise LeptonError(f"model package {path} has no ONNX graph ({graph.name})")
        session = ort.InferenceSession(
            str(graph), session_options(threads), providers=["CPUExecutionProvider"]
        )
        return cls(session, manifest, path)

    def predict_pixels(self, pixels: NDArray[np.uint8]) -> NDArray[np.float64]:
        parts = [
            self.session.run(None, {INPUT: np.ascontiguousarray(pixels[i : i + BATCH])})[0]
            for i in range(0, len(pixels), BATCH)
        ]
        proba = np.concatenate(parts).astype(np.float64)
        return np.asarray(proba / proba.sum(axis=1, keepdims=True), dtype=np.float64)

    def predict_records(self, records: list[dict[str, Any]]) -> NDArray[np.float64]:
        return self.predict_pixels(np.stack([r[self.image_column] for r in records]))

    def predict_raw(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        pre = self.preprocessing
        paths = [str(p) for p in frame[self.image_column]]
        return self.predict_pixels(load_paths(paths, pre.size, pre.mode))


def image_input(manifest: PackageManifest) -> tuple[str, Preprocessing]:
    """The image column of an image package and the preprocessing recorded with it."""
    columns = manifest.columns_of_kind("image")
    if not columns or columns[0].preprocessing is None:
        raise LeptonError("this package has no image input with a recorded preprocessing")
    return columns[0].name, Preprocessing.from_dict(columns[0].preprocessing)
