"""Anomaly detection benchmark: Lepton's chosen detector against a default isolation forest.

No labelled anomaly set ships ready-made, so each is built the ODDS / ADBench way from
real labelled data that ships in a package (seed 0 throughout):

- ``breast_cancer``: scikit-learn's bundled Wisconsin diagnostic breast cancer set
  (``load_breast_cancer``; UCI, CC BY 4.0, shipped under scikit-learn's BSD-3 licence):
  all 357 benign rows are normal, malignant rows downsampled to 10% of the result (40).
- ``wine``: scikit-learn's bundled UCI wine set (``load_wine``; CC BY 4.0, shipped under
  BSD-3): classes 1 and 2 are normal (119 rows), class 0 downsampled to 10 outliers
  (as ODDS' ``wine``).
- ``credit_default``: /work/shared/datasets/credit_default.train.parquet (ISLP 0.6.0's
  ``Default``, BSD): the 8,000 training rows, defaults (3.3%) as the anomalies.

Both sides see the same rows and the same preprocessing (``AnomalyMatrix``: the shared
``FeatureEncoder``, median imputation, robust scaling, category frequencies); the label
is withheld from features. The baseline is ``IsolationForest(random_state=0)`` on that
matrix. Lepton runs **without the label** (selection by bootstrap stability): the honest
comparison; the ``with label`` column selects by cross-validated ROC-AUC instead. AUC is
transductive as in ODDS: fit on all rows, score the same rows.

    PYTHONPATH=src python benchmarks/mining_anomaly.py [--quick]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

from lepton.learn.anomaly.matrix import AnomalyMatrix
from lepton.learn.automl import AutoML
from lepton.learn.features import FeatureEncoder

SEED = 0
SHARED = Path("/work/shared/datasets")
RESULTS = Path(__file__).parent / "results" / "mining_anomaly.json"


def _downsample(normal: pd.DataFrame, outliers: pd.DataFrame, n_out: int) -> pd.DataFrame:
    picked = outliers.sample(n_out, random_state=SEED)
    frame = pd.concat([normal.assign(label=0), picked.assign(label=1)])
    return frame.sample(frac=1.0, random_state=SEED).reset_index(drop=True)


def breast_cancer() -> pd.DataFrame:
    data = load_breast_cancer(as_frame=True).frame
    benign, malignant = data[data.target == 1], data[data.target == 0]
    n_out = round(len(benign) / 9)  # 10% of the result
    return _downsample(benign.drop(columns="target"), malignant.drop(columns="target"), n_out)


def wine() -> pd.DataFrame:
    data = load_wine(as_frame=True).frame
    normal, outliers = data[data.target != 0], data[data.target == 0]
    return _downsample(normal.drop(columns="target"), outliers.drop(columns="target"), 10)


def credit_default() -> pd.DataFrame:
    data = pd.read_parquet(SHARED / "credit_default.train.parquet")
    data["label"] = (data.pop("default") == "Yes").astype(int)
    return data


SETS = {"breast_cancer": breast_cancer, "wine": wine, "credit_default": credit_default}


def _lepton_auc(
    frame: pd.DataFrame, with_label: bool, time_limit: float
) -> tuple[float, str, float]:
    started = time.time()
    target = "label" if with_label else None
    data = frame if with_label else frame.drop(columns="label")
    automl = AutoML(target, task="anomaly", time_limit=time_limit, seed=SEED).fit(data)
    model = automl.model_
    scores = model.scores(frame.drop(columns="label"))  # type: ignore[union-attr]
    name = model.detector.name  # type: ignore[union-attr]
    return float(roc_auc_score(frame["label"], scores)), name, time.time() - started


def run(quick: bool = False) -> dict[str, Any]:
    time_limit = 10.0 if quick else 30.0
    rows = []
    for name, build in SETS.items():
        frame = build()
        features = frame.drop(columns="label")
        matrix = AnomalyMatrix(
            FeatureEncoder(
                {
                    c: "numeric"
                    for c in features.columns
                    if pd.api.types.is_numeric_dtype(features[c])
                }
            )
        ).fit(features)
        x = matrix.transform(features)
        forest = IsolationForest(random_state=0).fit(x)
        baseline = float(roc_auc_score(frame["label"], -forest.score_samples(x)))
        auc, chosen, seconds = _lepton_auc(frame, False, time_limit)
        auc_label, chosen_label, _ = _lepton_auc(frame, True, time_limit)
        rows.append(
            {
                "dataset": name,
                "rows": len(frame),
                "anomalies": int(frame["label"].sum()),
                "iforest_auc": round(baseline, 4),
                "lepton_auc": round(auc, 4),
                "lepton_detector": chosen,
                "lepton_seconds": round(seconds, 1),
                "lepton_label_auc": round(auc_label, 4),
                "lepton_label_detector": chosen_label,
                "beats_iforest": auc > baseline,
            }
        )
    return {
        "benchmark": "mining_anomaly",
        "time_limit": time_limit,
        "rows": rows,
        "target": "ROC-AUC (no label) above default IsolationForest(random_state=0) on each set",
        "target_met": all(r["beats_iforest"] for r in rows),
    }


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    result = run(quick="--quick" in sys.argv)
    table = Table(title="Anomaly detection: ROC-AUC (transductive, ODDS-style)")
    for column in (
        "dataset",
        "rows",
        "anomalies",
        "IForest",
        "Lepton (no label)",
        "detector",
        "s",
        "Lepton (label)",
        "detector (label)",
    ):
        table.add_column(column)
    for r in result["rows"]:
        table.add_row(
            r["dataset"],
            str(r["rows"]),
            str(r["anomalies"]),
            f"{r['iforest_auc']:.4f}",
            f"{r['lepton_auc']:.4f}",
            r["lepton_detector"],
            f"{r['lepton_seconds']}",
            f"{r['lepton_label_auc']:.4f}",
            r["lepton_label_detector"],
        )
    Console(width=160).print(table)
    print(f"target met: {result['target_met']}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
