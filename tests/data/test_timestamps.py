"""``parse_timestamps``: one inferred format when it fits, per value only for mixed columns."""

from __future__ import annotations

import pandas as pd

from lepton.runtime.columns import parse_timestamps


def test_one_format_columns_parse_in_one_pass_like_mixed_parsing() -> None:
    stamps = pd.date_range("2008-01-01", periods=500, freq="7h")
    text = pd.Series([f"{t.month}/{t.day}/{t.year} {t.hour}:{t.minute:02d}" for t in stamps])
    text[3] = None
    parsed = parse_timestamps(text)
    mixed = pd.to_datetime(text, errors="coerce", format="mixed")
    pd.testing.assert_series_equal(parsed, mixed)
    assert parsed.isna().sum() == 1 and parsed[10] == stamps[10]


def test_mixed_formats_fall_back_to_parsing_each_value() -> None:
    text = pd.Series(["2024-05-01", "May 2, 2024", "2024-05-03 10:00", "not a date"])
    parsed = parse_timestamps(text)
    assert list(parsed.dt.day[:3]) == [1, 2, 3]
    assert pd.isna(parsed[3])


def test_values_that_no_parser_reads_stay_missing() -> None:
    parsed = parse_timestamps(pd.Series(["2024-05-01", "garbage", "2024-05-03"]), utc=True)
    assert parsed.isna().tolist() == [False, True, False]
    assert str(parsed.dt.tz) == "UTC"
