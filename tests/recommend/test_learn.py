"""Families, metrics on a hand-checked example, the search, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from lepton.errors import DataError
from lepton.learn.automl import AutoML
from lepton.learn.recommend.families import family_names, make_family, top_k
from lepton.learn.recommend.interactions import prepare
from lepton.learn.recommend.metrics import ranking_report
from lepton.learn.recommend.settings import RecommendSettings
from tests.recommend.conftest import OPTIONS, taste_frame


def test_ranking_metrics_on_a_hand_checked_example() -> None:
    # user 0 relevant {1, 3}, top-3 [3, 0, 1]: hits at ranks 1 and 3
    # user 1 relevant {2}, top-3 [0, 4, 5]: no hit
    report = ranking_report(
        {0: np.array([3, 0, 1]), 1: np.array([0, 4, 5])},
        {0: np.array([1, 3]), 1: np.array([2])},
        n_items=10,
        k=3,
    )
    ndcg_0 = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert report["ndcg@3"] == pytest.approx(ndcg_0 / 2)
    assert report["precision@3"] == pytest.approx((2 / 3) / 2)
    assert report["recall@3"] == pytest.approx(1.0 / 2)
    assert report["coverage"] == pytest.approx(5 / 10)  # items 0, 1, 3, 4, 5


def test_top_k_orders_best_first() -> None:
    idx, vals = top_k(np.array([[0.1, 0.9, 0.5, 0.9]]), 3)
    assert idx.tolist() == [[1, 3, 2]] and vals.tolist() == [[0.9, 0.9, 0.5]]


@pytest.mark.parametrize("name", family_names())
def test_every_family_ranks_the_users_own_group_first(name: str) -> None:
    frame = taste_frame(n_users=40)
    data = prepare(frame, RecommendSettings(**OPTIONS))  # type: ignore[arg-type]
    matrix = data.matrix()
    family = make_family(name, **make_family(name).grid[0]).fit(matrix)
    user = int(np.flatnonzero(data.users == "u0")[0])  # an "a" user
    scores = family.scores(np.array([user]), matrix[user])[0]
    restored = make_family(name, **family.params).load(family.arrays())
    assert restored.scores(np.array([user]), matrix[user])[0] == pytest.approx(scores, rel=1e-5)
    if name == "popularity":
        assert data.items[int(np.argmax(scores))] == "hit"
        return
    a_items = [i for i, v in enumerate(data.items) if v.startswith("a")]
    b_items = [i for i, v in enumerate(data.items) if v.startswith("b")]
    assert scores[a_items].mean() > scores[b_items].mean()
    similar, _ = family.similar(int(np.flatnonzero(data.items == "a1")[0]), 3)
    assert all(data.items[i].startswith(("a", "hit")) for i in similar[0])


def test_the_search_beats_popularity_and_records_the_holdout() -> None:
    automl = AutoML(None, task="recommend", time_limit=15, options=dict(OPTIONS)).fit(taste_frame())
    board = automl.leaderboard()
    assert set(board["family"]) == set(family_names())
    scores = dict(zip(board["family"], board["score"], strict=True))
    assert scores[board["family"].iloc[0]] > scores["popularity"]
    assert "latest 1 interaction(s) by 'ts'" in automl.validation_how_
    answer = automl.model_.recommend("u0", 5)
    assert answer["fallback"] is None and len(answer["items"]) == 5
    have = set(taste_frame().query("user == 'u0'")["item"])
    assert not have & {i["item"] for i in answer["items"]}


def test_without_a_time_column_the_holdout_is_seeded_random() -> None:
    options = {k: v for k, v in OPTIONS.items() if k != "time_column"}
    automl = AutoML(None, task="recommend", time_limit=10, families=["popularity"], options=options)
    automl.fit(taste_frame())
    assert "at random (seed 0" in automl.validation_how_


@pytest.mark.parametrize(
    ("frame", "options", "column"),
    [
        (taste_frame().drop(columns=["item"]), OPTIONS, "item"),
        (taste_frame().assign(rating="five"), OPTIONS, "rating"),
        (taste_frame().assign(item="only"), OPTIONS, "item"),
        (taste_frame(), {"item_column": "item"}, "user_column"),
    ],
)
def test_bad_input_names_the_column(
    frame: pd.DataFrame, options: dict[str, str], column: str
) -> None:
    with pytest.raises(DataError) as info:
        AutoML(None, task="recommend", time_limit=5, options=dict(options)).fit(frame)
    assert info.value.field == column


def test_users_with_a_single_interaction_leave_nothing_to_validate() -> None:
    frame = pd.DataFrame({"user": ["a", "b", "c"], "item": ["x", "y", "z"], "ts": [1, 2, 3]})
    options = {"user_column": "user", "item_column": "item", "time_column": "ts"}
    with pytest.raises(DataError, match="nothing to validate on"):
        AutoML(None, task="recommend", time_limit=5, options=options).fit(frame)


def test_item_knn_shrinkage_lowers_rare_similarities() -> None:
    matrix = sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 1], [0, 0, 1]], dtype=np.float32))
    plain = make_family("item_knn", neighbours=5, shrink=0.0).fit(matrix).similarity
    shrunk = make_family("item_knn", neighbours=5, shrink=10.0).fit(matrix).similarity
    assert plain[0, 1] == pytest.approx(1.0)
    assert shrunk[0, 1] == pytest.approx(2 / (2 + 10))
