"""A package's native pipeline (the pickled trained model) behind the ``Predictor`` interface.

Evaluation, batch prediction, the server and the monitor all go through it and never
learn which library trained the model or which kind of input it reads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.errors import LeptonError
from lepton.runtime.manifest import PackageManifest, read_manifest
from lepton.runtime.package import NativeModel, load_native
from lepton.runtime.predictor import PackageView, Records


class NativePredictor(PackageView):
    """Batch in, batch out, for a loaded model package's native pipeline."""

    def __init__(self, model: NativeModel, manifest: PackageManifest, path: Path | None = None):
        self.model = model
        self.manifest = manifest
        self.path = path

    @classmethod
    def load(cls, folder: str | Path, *, trust: bool = False) -> NativePredictor:
        """Load a package from a folder. Native pickles run code, so outside folders need ``trust``."""
        path = Path(folder)
        manifest = read_manifest(path)
        if not trust:
            raise LeptonError(
                f"{path} is outside the project's store and holds a pickle, which can run code; "
                "load it with trust=True only if you trust where it came from"
            )
        return cls(load_native(path), manifest, path)

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        return self.model.predict(frame)

    def predict_raw(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        return self.model.predict_raw(frame)

    def predict_records(self, records: Records) -> NDArray[np.float64]:
        """Probabilities (n, k) or values (n,) for validated request records."""
        return self.model.predict_records(records)

    def predict_proba(self, frame: pd.DataFrame) -> pd.DataFrame:
        return self.model.predict_proba(frame)
