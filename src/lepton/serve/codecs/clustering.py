"""Clustering requests: table rows in (the tabular codec's formats), cluster and distance out.

The model's raw output is its closeness to each cluster (minus a dissimilarity); the
answer is, per record, the nearest cluster and its dissimilarity (``distances``; what it measures is the
package's ``clustering.measure``: a centroid or medoid distance, or -log membership
probability for a Gaussian mixture).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from lepton.runtime.manifest import PackageManifest
from lepton.serve.codecs.tabular import TabularCodec


class ClusteringCodec(TabularCodec):
    measure: str = ""

    @classmethod
    def for_manifest(
        cls, manifest: PackageManifest, *, reject_unknown_categories: bool
    ) -> ClusteringCodec:
        codec = cls(manifest.schema_dicts(), reject_unknown_categories=reject_unknown_categories)
        codec.measure = str((manifest.extra.get("clustering") or {}).get("measure", ""))
        return codec

    def encode(self, outputs: NDArray[Any], labels: list[Any] | None) -> dict[str, Any]:
        scores = np.asarray(outputs, dtype=float).reshape(len(outputs), -1)
        best = scores.argmax(axis=1)
        ids = labels if labels is not None else list(range(scores.shape[1]))
        return {
            "predictions": [ids[i] for i in best],
            "distances": (-scores[np.arange(len(best)), best]).round(6).tolist(),
            "distance_measure": self.measure,
        }
