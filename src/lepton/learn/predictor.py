"""One interface for every consumer: ``Predictor.predict(batch) -> outputs``.

Built from a model package; evaluation, batch prediction, the server and the
monitor all go through it and never learn which library trained the model.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.errors import LeptonError
from lepton.learn.model import TrainedModel
from lepton.learn.package import load_native, read_manifest
from lepton.learn.package_view import PackageView

if TYPE_CHECKING:
    from lepton.learn.vision.model import ImageModel


class Predictor(PackageView):
    """Batch in, batch out, for a loaded model package."""

    def __init__(
        self, model: TrainedModel | ImageModel, manifest: dict[str, Any], path: Path | None = None
    ):
        self.model = model
        self.manifest = manifest
        self.path = path

    @classmethod
    def load(cls, folder: str | Path, *, trust: bool = False) -> Predictor:
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

    def predict_records(
        self, records: list[dict[str, Any]] | dict[str, list[Any]]
    ) -> NDArray[np.float64]:
        """Probabilities (n, k) or values (n,) for plain records; builds a DataFrame first."""
        if not isinstance(self.model, TrainedModel):  # image records hold converted pixels
            if isinstance(records, dict):
                n = len(next(iter(records.values()), []))
                records = [{k: v[i] for k, v in records.items()} for i in range(n)]
            return self.model.predict_records(records)
        if isinstance(records, dict):
            frame = pd.DataFrame(records)
        else:
            frame = pd.DataFrame.from_records(records, columns=self.input_columns)
        return self.model.predict_raw(frame)

    def predict_proba(self, frame: pd.DataFrame) -> pd.DataFrame:
        return self.model.predict_proba(frame)
