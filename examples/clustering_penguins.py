"""Segment penguins without their species: train, read the profile, predict, score.

    .venv/bin/python examples/clustering_penguins.py [--time-limit 30]

Uses ``../shared/datasets/penguins.train.parquet`` when present, else scikit-learn's
bundled wine data (label: ``target``). The label column is withheld from training and
only used at the end to say how well the clusters recover it (adjusted Rand index).
Set LEPTON_HOME to keep the project; by default a fresh temporary home is used.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import pandas as pd

PENGUINS = (
    Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets" / "penguins.train.parquet"
)


def load() -> tuple[pd.DataFrame, str]:
    for path in (PENGUINS, Path("/work/shared/datasets/penguins.train.parquet")):
        if path.is_file():
            return pd.read_parquet(path), "species"
    from sklearn.datasets import load_wine

    return load_wine(as_frame=True).frame, "target"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=30.0)
    time_limit = parser.parse_args().time_limit
    os.environ.setdefault("LEPTON_HOME", tempfile.mkdtemp(prefix="lepton-clusters-"))
    from sklearn.metrics import adjusted_rand_score

    import lepton
    from lepton.learn.clustering.profile import describe_contrast

    frame, label = load()
    inputs = frame.drop(columns=[label])
    model = lepton.fit(inputs, task="clustering", name="penguin-segments", time_limit=time_limit)
    details = model.automl.model_.manifest_extra()["clustering"]
    print(f"{details['family']} found {details['k']} clusters (silhouette {details['silhouette']})")
    for row in details["profile"]:
        apart = "; ".join(describe_contrast(c) for c in row["contrasts"][:3])
        print(f"  cluster {row['cluster']}: {row['size']} rows — {apart}")
    assigned = model.automl.model_.assign(inputs.head(5))
    print(assigned.to_string())
    clusters = model.automl.model_.predict(inputs)
    print(f"ARI against the withheld {label!r}: {adjusted_rand_score(frame[label], clusters):.3f}")


if __name__ == "__main__":
    main()
