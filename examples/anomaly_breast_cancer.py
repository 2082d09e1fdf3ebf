"""Anomaly detection on scikit-learn's bundled breast cancer set, from a clean checkout.

Benign tumours are the normal rows; malignant ones, downsampled to 10%, the anomalies
(the ODDS construction). Lepton trains without the label, then is scored against it.

    PYTHONPATH=src python examples/anomaly_breast_cancer.py [--time-limit 20]
"""

from __future__ import annotations

import argparse
import os
import tempfile

import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import roc_auc_score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=20.0)
    time_limit = parser.parse_args().time_limit
    os.environ.setdefault("LEPTON_HOME", tempfile.mkdtemp(prefix="lepton-anomaly-"))
    import lepton

    data = load_breast_cancer(as_frame=True).frame
    benign, malignant = data[data.target == 1], data[data.target == 0].sample(40, random_state=0)
    frame = pd.concat([benign, malignant]).sample(frac=1.0, random_state=0)
    label = (frame.pop("target") == 0).astype(int).to_numpy()
    model = lepton.fit(
        frame, task="anomaly", contamination=0.1, time_limit=time_limit, name="tumours"
    )
    scored = model.automl.model_.predict_raw(frame)  # [score, is_anomaly] per row
    print(f"ROC-AUC against the withheld label: {roc_auc_score(label, scored[:, 0]):.4f}")
    print(f"flagged {int(scored[:, 1].sum())} of {len(frame)} rows (contamination 0.1)")


if __name__ == "__main__":
    main()
