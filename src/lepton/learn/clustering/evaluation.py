"""Score a clustering model on held-out rows (``--test``): silhouette, shares, agreement.

There is no truth to score clusters against, so the held-out score is the silhouette of
the served assignment; when the rows carry the label column withheld in training, the
adjusted Rand index and NMI against it are added.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lepton.learn.clustering.families import silhouette
from lepton.learn.clustering.model import ClusterModel


def evaluate_clustering(model: ClusterModel, frame: pd.DataFrame) -> dict[str, Any]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    x = model.space.transform(frame)
    clusters = model.fitted.dissimilarity(x).argmin(axis=1)
    metrics: dict[str, float] = {"silhouette": silhouette(x, clusters, 0)}
    label = model.details.get("label_column")
    if label and label in frame.columns:
        known = frame[label].notna().to_numpy()
        truth = frame.loc[known, label].astype(str).to_numpy()
        metrics["ari"] = float(adjusted_rand_score(truth, clusters[known]))
        metrics["nmi"] = float(normalized_mutual_info_score(truth, clusters[known]))
    shares = np.bincount(clusters, minlength=model.k) / max(1, len(clusters))
    return {"n_rows": len(frame), "shares": shares.round(4).tolist(), "metrics": metrics}
