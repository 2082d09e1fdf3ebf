"""Data-quality checks against an input schema: missing, out of range, unseen, invalid."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lepton.monitor.quality import check_quality

SCHEMA: list[dict[str, Any]] = [
    {"name": "age", "kind": "numeric", "min": 17.0, "max": 90.0},
    {"name": "color", "kind": "categorical", "categories": ["red", "blue"]},
    {"name": "member", "kind": "boolean"},
    {"name": "signup", "kind": "datetime"},
    {"name": "income", "kind": "numeric", "min": 0.0, "max": 1e6},
]


def live(n: int = 1000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.uniform(18, 80, n),
            "color": rng.choice(["red", "blue"], n),
            "member": rng.random(n) < 0.5,
            "signup": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 90, n), "D"),
            "income": rng.uniform(0, 1e5, n),
        }
    )


def test_clean_window_has_no_issues() -> None:
    report = check_quality(SCHEMA, live())
    assert report.ok and report.issues == []
    age = report.column("age")
    assert age.missing_rate == 0.0 and age.out_of_range_share == 0.0
    assert report.column("color").unseen_share == 0.0
    assert len(report.to_frame()) == len(SCHEMA)


def test_broken_window_reports_each_problem() -> None:
    frame = live()
    frame.loc[:199, "age"] = np.nan  # 20% missing
    frame.loc[200:299, "age"] = 120.0  # 100 of 800 values out of range
    frame.loc[:79, "color"] = "green"  # 8% unseen, the top one
    frame.loc[80:89, "color"] = "teal"
    frame["member"] = frame["member"].astype(object)
    frame.loc[:4, "member"] = "maybe"
    frame = frame.drop(columns=["income"]).assign(extra=1)
    report = check_quality(SCHEMA, frame)
    age = report.column("age")
    assert age.missing_rate == 0.2
    assert age.out_of_range_share == 100 / 800
    color = report.column("color")
    assert color.unseen_share == 0.09
    assert color.top_unseen == [("green", 80), ("teal", 10)]
    assert report.column("member").invalid_share == 5 / 1000
    income = report.column("income")
    assert not income.present and income.missing_rate == 1.0
    assert report.extra_columns == ["extra"]
    text = "\n".join(report.issues)
    for expected in ("age: 20.0% missing", "outside the training range", "'green' (80)", "income"):
        assert expected in text
    frame_out = report.to_frame()
    assert not frame_out.set_index("name").loc["age", "ok"]


def test_thresholds_are_configurable() -> None:
    frame = live()
    frame.loc[:29, "color"] = "green"  # 3%
    assert check_quality(SCHEMA, frame).ok
    assert not check_quality(SCHEMA, frame, unseen_threshold=0.01).ok


def test_category_values_compare_as_text_like_the_validator() -> None:
    schema: list[dict[str, Any]] = [
        {"name": "zip", "kind": "categorical", "categories": ["1", "2"]}
    ]
    report = check_quality(schema, pd.DataFrame({"zip": [1, 2, 2, 3]}))
    assert report.column("zip").unseen_share == 0.25
    assert report.column("zip").top_unseen == [("3", 1)]
