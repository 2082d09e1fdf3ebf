"""Text benchmark: Lepton AutoML vs a TF-IDF + logistic-regression baseline on rotten_tomatoes.

Same train/test split (``shared/datasets/rotten_tomatoes.{train,test}.parquet``), same
machine, one run. The baseline is scikit-learn's defaults (``TfidfVectorizer()`` +
``LogisticRegression()``). Lepton gets a fixed wall-clock budget (default 300 s) which
covers embedding the training texts, the search, ensembling and calibration; wall time
below is fit + test prediction.

AutoGluon's ``MultiModalPredictor`` is run only when ``autogluon.multimodal`` imports in
``benchmarks/.venv-peers``; otherwise it is reported as not runnable, with the reason.

    .venv/bin/python benchmarks/text.py                 # 300 s budget
    .venv/bin/python benchmarks/text.py --budget 120

Results: a table on stdout and ``benchmarks/results/text.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score

HERE = Path(__file__).resolve().parent
DATASETS = HERE.parents[1] / "shared" / "datasets"
PEERS_PYTHON = HERE / ".venv-peers" / "bin" / "python"
OUT = HERE / "results" / "text.json"
TARGET_POINTS = 3.0

AUTOGLUON_REASON = (
    "autogluon.multimodal is not installed in benchmarks/.venv-peers and is not installed "
    "by this benchmark: its text predictor fine-tunes a Hugging Face backbone "
    "(google/electra-base-discriminator by default) that is fetched from the hub at fit "
    "time, and these machines may not download model weights; it also pulls torchvision, "
    "which has no CPU build matching torch 2.13 here (see benchmarks/setup_peers.sh)"
)


def load() -> tuple[pd.DataFrame, pd.DataFrame]:
    train = pd.read_parquet(DATASETS / "rotten_tomatoes.train.parquet")
    test = pd.read_parquet(DATASETS / "rotten_tomatoes.test.parquet")
    return train, test


def run_baseline(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, Any]:
    started = time.perf_counter()
    vectorizer = TfidfVectorizer()
    model = LogisticRegression().fit(vectorizer.fit_transform(train["text"]), train["label"])
    fitted = time.perf_counter()
    predicted = model.predict(vectorizer.transform(test["text"]))
    done = time.perf_counter()
    return {
        "name": "tfidf+logreg (sklearn defaults)",
        "status": "ok",
        "accuracy": float(accuracy_score(test["label"], predicted)),
        "fit_seconds": fitted - started,
        "predict_seconds": done - fitted,
        "wall_seconds": done - started,
    }


def run_lepton(train: pd.DataFrame, test: pd.DataFrame, budget: float) -> dict[str, Any]:
    from lepton.learn import AutoML

    started = time.perf_counter()
    automl = AutoML("label", time_limit=budget, seed=0).fit(train)
    fitted = time.perf_counter()
    predicted = automl.predict(test.drop(columns=["label"]))
    done = time.perf_counter()
    board = automl.leaderboard()
    return {
        "name": f"lepton AutoML ({budget:g} s)",
        "status": "ok",
        "accuracy": float(accuracy_score(test["label"], predicted)),
        "fit_seconds": fitted - started,
        "predict_seconds": done - fitted,
        "wall_seconds": done - started,
        "cv_metric": automl.metric_,
        "notes": automl.notes_,
        "leaderboard": board.head(12).to_dict(orient="records"),
        "members": [
            {"name": m.name, "family": m.family, "weight": m.weight, "params": m.params}
            for m in automl.model_.members
        ],
    }


def autogluon_status() -> dict[str, Any]:
    entry: dict[str, Any] = {"name": "AutoGluon MultiModalPredictor", "status": "not runnable"}
    if not PEERS_PYTHON.exists():
        entry["reason"] = "benchmarks/.venv-peers does not exist; " + AUTOGLUON_REASON
        return entry
    probe = subprocess.run(
        [str(PEERS_PYTHON), "-c", "import autogluon.multimodal"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        entry["reason"] = AUTOGLUON_REASON
    else:  # pragma: no cover - not the case on the build machines
        entry["reason"] = (
            "autogluon.multimodal imports, but its default backbone needs a hub download; "
            "not run so that the benchmark never fetches weights"
        )
    return entry


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=float, default=300.0, help="Lepton's time limit, seconds")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    console = Console()
    train, test = load()
    console.print(f"rotten_tomatoes: {len(train)} train / {len(test)} test rows")
    results = [run_baseline(train, test)]
    console.print(f"baseline accuracy {results[0]['accuracy']:.4f}")
    results.append(run_lepton(train, test, args.budget))
    results.append(autogluon_status())
    baseline = results[0]["accuracy"]
    table = Table(title=f"rotten_tomatoes test accuracy (Lepton budget {args.budget:g} s)")
    for column in ("system", "status", "accuracy", "vs baseline (points)", "fit s", "wall s"):
        table.add_column(column)
    for r in results:
        ok = r["status"] == "ok"
        table.add_row(
            r["name"],
            r["status"] if ok else f"{r['status']}: {r['reason'][:60]}…",
            f"{r['accuracy']:.4f}" if ok else "-",
            f"{100 * (r['accuracy'] - baseline):+.2f}" if ok else "-",
            f"{r['fit_seconds']:.1f}" if ok else "-",
            f"{r['wall_seconds']:.1f}" if ok else "-",
        )
    console.print(table)
    lepton = results[1]
    gain = 100 * (lepton["accuracy"] - baseline)
    met = gain >= TARGET_POINTS
    console.print(
        f"target: Lepton ≥ baseline + {TARGET_POINTS:g} points → "
        f"{gain:+.2f} points: {'met' if met else 'NOT met'}"
    )
    for note in lepton.get("notes", []):
        console.print(f"  note: {note}")
    payload = {
        "dataset": "rotten_tomatoes",
        "train_rows": len(train),
        "test_rows": len(test),
        "budget_seconds": args.budget,
        "target_points": TARGET_POINTS,
        "gain_points": gain,
        "target_met": met,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_average_at_end": os.getloadavg(),
        },
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=1, default=str))
    console.print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
