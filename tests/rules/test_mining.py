"""Baskets, FP-growth and pruning on small hand-made and seeded data."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from lepton.errors import DataError
from lepton.learn.rules.baskets import build_baskets
from lepton.learn.rules.evaluation import hit_rate
from lepton.learn.rules.mining import mine, prune
from lepton.learn.rules.settings import RulesSettings
from lepton.runtime.rules import RuleSet
from tests.rules.conftest import basket_frame

SETTINGS = RulesSettings("transaction", "item")


def _long(baskets: list[list[str]]) -> pd.DataFrame:
    rows = [(f"t{i}", item) for i, b in enumerate(baskets) for item in b]
    return pd.DataFrame(rows, columns=["transaction", "item"])


def test_baskets_are_a_sparse_one_hot_matrix() -> None:
    frame = _long([["a", "b"], ["b", "c", "c"], ["a"]])
    baskets = build_baskets(frame, "transaction", "item")
    assert baskets.items == ["a", "b", "c"]
    assert baskets.matrix.nnz == 5  # the repeated c counts once
    assert [sorted(b) for b in baskets.lists()] == [["a", "b"], ["b", "c"], ["a"]]
    assert baskets.frame().dtypes.map(lambda d: isinstance(d, pd.SparseDtype)).all()


def test_rules_carry_support_confidence_lift_and_conviction() -> None:
    frame = _long([["bread", "butter"]] * 6 + [["bread"]] * 2 + [["milk", "tea"]] * 4)
    baskets = build_baskets(frame, "transaction", "item")
    mined = mine(
        baskets, RulesSettings("transaction", "item", min_support=0.2), time.monotonic() + 30
    )
    by_text = {r.describe(): r for r in mined.rules}
    rule = by_text["{bread} → {butter}"]
    assert rule.support == pytest.approx(6 / 12)
    assert rule.confidence == pytest.approx(6 / 8)
    assert rule.lift == pytest.approx((6 / 8) / (6 / 12))
    assert rule.conviction == pytest.approx((1 - 0.5) / (1 - 0.75))
    assert by_text["{butter} → {bread}"].conviction is None  # confidence 1: infinite
    assert all(r.lift > 1 for r in mined.rules)


def test_pruning_drops_low_lift_and_redundant_rules() -> None:
    table = pd.DataFrame(
        {
            "antecedents": [
                frozenset({"a"}),
                frozenset({"a", "b"}),
                frozenset({"a", "c"}),
                frozenset({"x"}),
            ],
            "consequents": [frozenset({"z"})] * 3 + [frozenset({"y"})],
            "support": [0.3, 0.2, 0.1, 0.2],
            "confidence": [0.8, 0.7, 0.9, 0.5],
            "lift": [2.0, 2.1, 2.5, 0.9],
            "conviction": [2.0, 1.5, 3.0, 0.8],
        }
    )
    kept = {r.describe() for r in prune(table, 10)}
    # {a,b}→z is no more confident than {a}→z: redundant; {a,c}→z is more confident: kept;
    # x→y has lift < 1
    assert kept == {"{a} → {z}", "{a, c} → {z}"}
    assert len(prune(table, 1)) == 1  # the cap keeps the most confident


def test_support_is_lowered_automatically_until_rules_suffice() -> None:
    baskets = build_baskets(basket_frame(800, seed=3), "transaction", "item")
    mined = mine(
        baskets, RulesSettings("transaction", "item", max_rules=200), time.monotonic() + 30
    )
    assert len(mined.rounds) >= 2
    supports = [r["min_support"] for r in mined.rounds]
    assert supports == sorted(supports, reverse=True)
    assert mined.min_support == supports[-1]
    assert mined.rules and len(mined.rules) <= 200


def test_a_spent_budget_stops_the_search_after_one_round() -> None:
    baskets = build_baskets(basket_frame(800, seed=3), "transaction", "item")
    mined = mine(baskets, RulesSettings("transaction", "item", max_rules=10_000), time.monotonic())
    assert len(mined.rounds) == 1
    assert any("stopped lowering" in note for note in mined.notes)


def test_hit_rate_recovers_a_held_out_item() -> None:
    frame = _long([["bread", "butter"]] * 6 + [["milk", "tea"]] * 6)
    baskets = build_baskets(frame, "transaction", "item")
    rules = RuleSet(
        mine(
            baskets, RulesSettings("transaction", "item", min_support=0.2), time.monotonic() + 30
        ).rules
    )
    assert hit_rate(rules, [["bread", "butter"], ["milk", "tea"]], k=1)["hit_rate@1"] == 1.0
    assert hit_rate(rules, [["bread", "jam"]], k=1)["hit_rate@1"] == 0.0


@pytest.mark.parametrize(
    ("frame", "field"),
    [
        (pd.DataFrame({"transaction": ["a", "b"], "item": ["x", "y"]}), "transaction"),
        (pd.DataFrame({"order": ["a", "a"], "item": ["x", "y"]}), "transaction"),
        (pd.DataFrame({"transaction": ["a", "a"], "sku": ["x", "y"]}), "item"),
        (pd.DataFrame({"transaction": ["a", "b"], "item": [None, None]}), "item"),
    ],
)
def test_bad_basket_tables_name_the_column(frame: pd.DataFrame, field: str) -> None:
    with pytest.raises(DataError) as caught:
        build_baskets(frame, "transaction", "item")
    assert caught.value.field == field
    assert field in str(caught.value)
