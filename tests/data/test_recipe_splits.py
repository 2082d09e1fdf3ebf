from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lepton.data.recipe import Recipe
from lepton.data.splits import split_frame, split_indices
from lepton.errors import DataError

STEPS = [
    {"step": "drop_duplicates"},
    {"step": "strip_whitespace", "columns": ["city"]},
    {"step": "coerce", "columns": {"amount": "numeric"}},
    {"step": "impute", "columns": ["amount"], "strategy": "median"},
    {"step": "impute", "columns": ["city"], "strategy": "most_frequent"},
    {"step": "clip_outliers", "columns": ["amount"], "factor": 1.5},
    {"step": "drop_columns", "columns": ["junk"]},
]


@pytest.fixture()
def dirty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "amount": ["1", "2", "2", "x", None, "3", "500", "2"],
            "city": [" Oslo", "Lima ", "Lima ", "Oslo", None, "Oslo", "Lima", "Lima "],
            "junk": [0, 1, 1, 0, 0, 0, 0, 1],
        }
    )


def test_recipe_cleans_and_records_learned_values(dirty: pd.DataFrame) -> None:
    cleaned, fitted, reports = Recipe.from_list(STEPS).apply(dirty)
    assert list(cleaned.columns) == ["amount", "city"]
    assert reports[0].rows_before == 8 and reports[0].rows_after == 6
    assert reports[2].details["became_missing"] == {"amount": 1}
    assert cleaned["amount"].notna().all() and cleaned["city"].notna().all()
    assert set(cleaned["city"]) == {"Oslo", "Lima"}
    fitted_steps = fitted.to_list()
    median = fitted_steps[3]["values"]["amount"]
    low, high = fitted_steps[5]["bounds"]["amount"]
    assert cleaned["amount"].max() == pytest.approx(high) and median == 2.5
    assert low <= 1 < 500 and high < 500


def test_fitted_recipe_replays_the_same_values_on_new_rows(dirty: pd.DataFrame) -> None:
    _, fitted, _ = Recipe.from_list(STEPS).apply(dirty)
    fresh = pd.DataFrame({"amount": [None, "9999"], "city": [None, "Pune"], "junk": [1, 1]})
    replayed, refitted, _ = Recipe.from_list(json.loads(json.dumps(fitted.to_list()))).apply(fresh)
    bounds = fitted.to_list()[5]["bounds"]["amount"]
    assert replayed["amount"].tolist() == [2.5, pytest.approx(bounds[1])]
    assert replayed["city"].tolist() == ["Oslo", "Pune"]
    assert refitted.to_list() == fitted.to_list()


def test_recipe_files_toml_and_json(tmp_path: Path) -> None:
    toml = tmp_path / "r.toml"
    toml.write_text(
        '[[steps]]\ntype = "dedupe"\n\n[[steps]]\nstep = "drop_columns"\ncolumns = ["a"]\n'
    )
    assert [s["step"] for s in Recipe.from_file(toml).steps] == ["dedupe", "drop_columns"]
    js = tmp_path / "r.json"
    js.write_text(json.dumps({"steps": [{"step": "impute", "strategy": "mean"}]}))
    assert Recipe.from_file(js).steps[0]["strategy"] == "mean"


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([{"step": "explode"}], "unknown step 'explode'"),
        (
            [{"step": "drop_columns", "columns": ["nope"]}],
            "step 1 .drop_columns.: unknown column 'nope'",
        ),
        ([{"step": "impute", "strategy": "median", "columns": ["city"]}], "not numeric"),
        ([{"step": "coerce", "columns": {"amount": "complex"}}], "cannot coerce"),
    ],
)
def test_bad_recipes_name_the_step(
    dirty: pd.DataFrame, steps: list[dict[str, object]], message: str
) -> None:
    with pytest.raises(DataError, match=message):
        Recipe.from_list(steps).apply(dirty)


def test_malformed_recipe_file(tmp_path: Path) -> None:
    bad = tmp_path / "r.toml"
    bad.write_text("[[steps]\n")
    with pytest.raises(DataError, match="not valid toml"):
        Recipe.from_file(bad)


@pytest.fixture()
def rows() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 300
    return pd.DataFrame(
        {
            "y": rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1]),
            "g": rng.integers(0, 30, n),
            "t": pd.date_range("2020-01-01", periods=n, freq="h")[rng.permutation(n)],
            "x": rng.normal(size=n),
        }
    )


@pytest.mark.parametrize(
    ("method", "column"), [("random", None), ("stratified", "y"), ("group", "g"), ("time", "t")]
)
def test_splits_are_reproducible_and_disjoint(
    rows: pd.DataFrame, method: str, column: str | None
) -> None:
    train, test = split_indices(rows, method=method, column=column, seed=7, test_size=0.25)
    again = split_indices(rows, method=method, column=column, seed=7, test_size=0.25)
    assert np.array_equal(train, again[0]) and np.array_equal(test, again[1])
    assert not set(train) & set(test) and len(train) + len(test) == len(rows)
    assert 0.15 < len(test) / len(rows) < 0.35
    other = split_indices(rows, method=method, column=column, seed=8, test_size=0.25)
    if method != "time":
        assert not np.array_equal(test, other[1])


def test_split_properties(rows: pd.DataFrame) -> None:
    _, test = split_frame(rows, method="stratified", column="y", seed=0, test_size=0.2)
    shares = test["y"].value_counts(normalize=True)
    assert shares["a"] == pytest.approx(0.6, abs=0.05) and shares["c"] == pytest.approx(
        0.1, abs=0.04
    )
    train, test = split_frame(rows, method="group", column="g", seed=0)
    assert not set(train["g"]) & set(test["g"])
    train, test = split_frame(rows, method="time", column="t")
    assert train["t"].max() < test["t"].min()
    with pytest.raises(DataError, match="needs the group column"):
        split_indices(rows, method="group")
