"""Request records become the same graph inputs as a DataFrame would (no DataFrame built)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from lepton.runtime.manifest import ColumnSpec
from lepton.runtime.onnx_table import MISSING, GraphLayout

SCHEMA = [
    {"name": "age", "kind": "numeric"},
    {"name": "hours", "kind": "numeric"},
    {"name": "member", "kind": "boolean"},
    {"name": "city", "kind": "categorical"},
    {"name": "plan", "kind": "categorical"},
]


def test_records_and_frame_give_identical_inputs() -> None:
    records = [
        {"age": 31, "hours": 40.5, "member": "yes", "city": "Oslo", "plan": "gold"},
        {"age": "42", "hours": np.float32(12.0), "member": False, "city": 7, "plan": None},
        {"age": None, "hours": float("nan"), "member": None, "city": "Rome"},  # no "plan"
        {"age": np.int64(5), "hours": True, "member": "no", "city": None, "plan": "basic"},
    ]
    layout = GraphLayout([ColumnSpec.from_dict(c) for c in SCHEMA])
    got = layout.from_records(records)
    frame = pd.DataFrame.from_records(records, columns=layout.columns)
    want = layout.from_frame(frame)
    np.testing.assert_array_equal(got["num"], want["num"])
    assert got["cat"].tolist() == want["cat"].tolist()
    np.testing.assert_array_equal(got["missing"], want["missing"])
    assert got["cat"][2, 1] == MISSING and got["cat"][1, 0] == "7"
    assert math.isnan(got["num"][2, 0]) and got["missing"][2] == np.float32(4 / 5)


def test_column_mapping_and_no_rows() -> None:
    layout = GraphLayout([ColumnSpec.from_dict(c) for c in SCHEMA])
    by_columns = layout.from_records({"age": [1, 2], "hours": [3, None], "member": ["yes", "no"],
                                      "city": ["a", "b"], "plan": ["x", None]})  # fmt: skip
    assert by_columns["num"].shape == (2, 3) and by_columns["cat"].shape == (2, 2)
    assert by_columns["missing"].tolist() == [0.0, 0.4000000059604645]
    empty = layout.from_records([])
    assert empty["num"].shape == (0, 3) and empty["cat"].shape == (0, 2)
    assert empty["missing"].shape == (0,)
