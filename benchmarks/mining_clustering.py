"""Clustering benchmark: Lepton's automatic choice (not told k) against k-means told the true k.

Data sets (real, labelled; the label column is withheld from training):

- iris: scikit-learn's bundled ``load_iris`` (Fisher 1936, UCI; BSD-3 with scikit-learn);
- wine: scikit-learn's bundled ``load_wine`` (UCI Wine, Forina et al.; BSD-3 with scikit-learn);
- penguins: /work/shared/datasets/penguins (Palmer penguins, Gorman et al. 2014, CC0),
  the train split; the label is ``species``.

Both sides use the same preprocessing (Lepton's ``ClusterSpace``: the tabular encoder,
median imputation, standardisation, one-hot). Target: Lepton's ARI within 0.05 of
``KMeans(n_clusters=true k, n_init=10)`` on every set (or better).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pandas as pd

TARGET_GAP = 0.05
PENGUINS = Path("/work/shared/datasets/penguins.train.parquet")


def _sets() -> list[tuple[str, pd.DataFrame, str]]:
    from sklearn.datasets import load_iris, load_wine

    out = []
    for name, loader in (("iris", load_iris), ("wine", load_wine)):
        frame = loader(as_frame=True).frame.rename(columns={"target": "label"})
        out.append((name, frame, "label"))
    if PENGUINS.is_file():
        frame = pd.read_parquet(PENGUINS)
        label = "species" if "species" in frame.columns else str(frame.columns[0])
        out.append(("penguins", frame, label))
    return out


def run(quick: bool = False) -> dict[str, Any]:
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    from lepton.learn.automl import AutoML, _infer_kinds
    from lepton.learn.clustering.space import ClusterSpace

    rows = []
    for name, frame, label in _sets():
        truth = frame[label].astype(str)
        inputs = frame.drop(columns=[label])
        kinds = _infer_kinds(inputs)
        started = time.time()
        automl = AutoML(None, task="clustering", time_limit=10 if quick else 30, column_kinds=kinds)
        model = automl.fit(inputs).model_
        seconds = time.time() - started
        lepton_ari = adjusted_rand_score(truth, model.predict(inputs))
        x = ClusterSpace.fit(inputs, kinds).transform(inputs)
        k_true = truth.nunique()
        km = KMeans(n_clusters=k_true, n_init=10, random_state=0).fit(x)
        kmeans_ari = adjusted_rand_score(truth, km.labels_)
        rows.append(
            {
                "dataset": name,
                "rows": len(frame),
                "true_k": int(k_true),
                "lepton_family": model.fitted.family,
                "lepton_k": model.k,
                "lepton_ari": round(float(lepton_ari), 4),
                "kmeans_true_k_ari": round(float(kmeans_ari), 4),
                "gap": round(float(kmeans_ari - lepton_ari), 4),
                "meets_target": bool(kmeans_ari - lepton_ari <= TARGET_GAP),
                "fit_seconds": round(seconds, 2),
            }
        )
    return {
        "rows": rows,
        "target": f"Lepton ARI >= k-means(true k) ARI - {TARGET_GAP} on every set",
        "all_met": all(r["meets_target"] for r in rows),
    }


if __name__ == "__main__":
    from rich.console import Console
    from rich.table import Table

    result = run()
    table = Table(title="Clustering: ARI, Lepton (auto) vs k-means told the true k")
    for column in result["rows"][0]:
        table.add_column(column)
    for row in result["rows"]:
        table.add_row(*(str(v) for v in row.values()))
    Console(width=160).print(table)
    print("all targets met:", result["all_met"])
    out = Path(__file__).parent / "results" / "mining_clustering.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
