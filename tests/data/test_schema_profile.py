from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lepton.data.profile import Profile, profile_frame
from lepton.data.schema import Schema, infer_schema
from lepton.errors import DataError


def test_kinds_are_inferred_from_values(table: pd.DataFrame) -> None:
    kinds = infer_schema(table).kinds()
    assert kinds == {
        "row_id": "id",
        "age": "numeric",
        "city": "categorical",
        "member": "boolean",
        "joined": "datetime",
        "review": "text",
        "constant": "numeric",
        "label": "categorical",
    }


def test_image_paths_and_string_ids() -> None:
    frame = pd.DataFrame(
        {
            "image": [f"cat/{i}.png" for i in range(30)],
            "uuid": [f"u{i:04x}z" for i in range(30)],
            "flag": [0, 1] * 15,
        }
    )
    assert infer_schema(frame).kinds() == {"image": "image_path", "uuid": "id", "flag": "boolean"}


def test_unknown_target_suggests_close_names(table: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="did you mean 'label'"):
        infer_schema(table, target="lable")


def test_schema_roundtrips_through_dict(table: pd.DataFrame) -> None:
    schema = infer_schema(table, target="label")
    assert Schema.from_dict(schema.to_dict()) == schema


def test_profile_counts_and_warnings(table: pd.DataFrame) -> None:
    table = pd.concat([table, table.iloc[[0, 1]]], ignore_index=True)
    schema = infer_schema(table, target="label")
    profile = profile_frame(table, schema, target="label")
    assert profile.n_rows == 202 and profile.n_duplicate_rows == 2
    age = profile.column("age")
    assert age.n_missing == 3 and age.missing_pct == pytest.approx(100 * 3 / 202, abs=1e-3)
    assert age.stats["n_outliers"] >= 1 and age.stats["max"] == 1000.0
    assert sum(age.stats["histogram"]["counts"]) == 199
    assert profile.target is not None and sum(profile.target["class_balance"].values()) == 202
    kinds = {(w["column"], w["kind"]) for w in profile.warnings}
    assert {("constant", "constant"), ("", "duplicates")} <= kinds
    assert Profile.from_dict(profile.to_dict()) == profile


def test_id_columns_are_flagged(table: pd.DataFrame) -> None:
    profile = profile_frame(table, infer_schema(table), target=None)
    assert ("row_id", "id_like") in {(w["column"], w["kind"]) for w in profile.warnings}
    assert profile.target is None


def test_leaky_column_is_flagged() -> None:
    rng = np.random.default_rng(0)
    label = rng.choice(["yes", "no"], 500)
    frame = pd.DataFrame(
        {
            "outcome_code": np.where(label == "yes", "Y1", "N0"),
            "noise": rng.choice(["p", "q", "r"], 500),
            "label": label,
        }
    )
    profile = profile_frame(frame, infer_schema(frame, target="label"), target="label")
    leaks = [w["column"] for w in profile.warnings if w["kind"] == "leakage"]
    assert leaks == ["outcome_code"]


def test_regression_target_leak_by_correlation() -> None:
    rng = np.random.default_rng(1)
    y = rng.normal(size=300)
    frame = pd.DataFrame({"y_copy": y * 2 + 1, "x": rng.normal(size=300), "y": y})
    profile = profile_frame(frame, infer_schema(frame, target="y"), target="y")
    assert profile.target is not None and profile.target["task_hint"] == "regression"
    assert [w["column"] for w in profile.warnings if w["kind"] == "leakage"] == ["y_copy"]
