"""Drift verdicts, test choices and scores must equal Evidently's DataDriftPreset's."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lepton.monitor.drift import detect_drift, detect_prediction_drift, infer_kind

evidently = pytest.importorskip("evidently")
from evidently import Report  # noqa: E402
from evidently.presets import DataDriftPreset  # noqa: E402

_TEST_NAMES = {
    "K-S p_value": "ks",
    "chi-square p_value": "chisquare",
    "Z-test p_value": "z",
    "Wasserstein distance (normed)": "wasserstein",
    "Jensen-Shannon distance": "jensenshannon",
}
# Evidently's comparison per test (KS is the one that drifts at p == threshold).
_DRIFTED = {
    "ks": lambda s, t: s <= t,
    "chisquare": lambda s, t: s < t,
    "z": lambda s, t: s < t,
    "wasserstein": lambda s, t: s >= t,
    "jensenshannon": lambda s, t: s >= t,
}


def evidently_drift(
    reference: pd.DataFrame, current: pd.DataFrame
) -> tuple[dict[str, tuple[str, float, bool]], float, int]:
    """Evidently's per-column (test, score, drifted), the drifted share and count."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snapshot = Report([DataDriftPreset()]).run(current, reference).dict()
    columns: dict[str, tuple[str, float, bool]] = {}
    share, count = float("nan"), -1
    for metric in snapshot["metrics"]:
        config: dict[str, Any] = metric["config"]
        if config["type"].endswith("ValueDrift"):
            test = _TEST_NAMES[config["method"]]
            score = float(metric["value"])
            columns[config["column"]] = (test, score, _DRIFTED[test](score, config["threshold"]))
        elif config["type"].endswith("DriftedColumnsCount"):
            share, count = float(metric["value"]["share"]), int(metric["value"]["count"])
    return columns, share, count


def assert_same_as_evidently(reference: pd.DataFrame, current: pd.DataFrame) -> None:
    ours = detect_drift(reference, current)
    theirs, share, count = evidently_drift(reference, current)
    assert {f.name for f in ours.features} == set(theirs)
    for feature in ours.features:
        test, score, drifted = theirs[feature.name]
        assert feature.test == test, feature.name
        assert feature.score == pytest.approx(score, rel=1e-6, abs=1e-12), feature.name
        assert feature.drifted == drifted, feature.name
    assert ours.share_drifted == pytest.approx(share)
    assert sum(f.drifted for f in ours.features) == count
    assert ours.dataset_drift == (share >= 0.5)


def mixed_frame(rng: np.random.Generator, n: int, shift: float) -> pd.DataFrame:
    """Every type rule at once: float, few-valued float, binary, strings, small/large ints, bool."""
    drifted = shift > 0
    return pd.DataFrame(
        {
            "num": rng.normal(shift, 1.0, n),
            "few": rng.choice(
                [0.0, 1.5, 3.0, 4.0], n, p=[0.1, 0.2, 0.3, 0.4] if drifted else [0.4, 0.3, 0.2, 0.1]
            ),
            "binary_float": rng.choice([0.0, 1.0], n, p=[0.3, 0.7] if drifted else [0.5, 0.5]),
            "color": rng.choice(list("abce") if drifted else list("abcd"), n),
            "small_int": rng.integers(0, 6 if drifted else 4, n),
            "big_int": rng.integers(0, 1000, n) + int(shift * 200),
            "flag": rng.random(n) < (0.65 if drifted else 0.5),
            "with_nan": np.where(rng.random(n) < 0.2, np.nan, rng.exponential(1 + shift, n)),
            "cat_nan": pd.Series(
                rng.choice(np.array(["u", "v", "w", None], dtype=object), n)
            ).astype(object),
        }
    )


@pytest.mark.parametrize(
    ("n_ref", "n_cur", "shift"),
    [
        (400, 600, 0.0),  # small reference, no drift: KS / chi-squared / z-test
        (400, 600, 1.0),  # small reference, drift
        (1000, 300, 0.4),  # the boundary: 1,000 rows is still "small"
        (3000, 4000, 0.0),  # large reference: Wasserstein / Jensen-Shannon, no drift
        (3000, 4000, 1.0),  # large reference, drift
    ],
)
def test_matches_evidently_on_mixed_frames(n_ref: int, n_cur: int, shift: float) -> None:
    rng = np.random.default_rng(n_ref + n_cur)
    assert_same_as_evidently(mixed_frame(rng, n_ref, 0.0), mixed_frame(rng, n_cur, shift))


def test_expected_tests_are_chosen() -> None:
    rng = np.random.default_rng(1)
    small = detect_drift(mixed_frame(rng, 500, 0.0), mixed_frame(rng, 500, 1.0))
    large = detect_drift(mixed_frame(rng, 2000, 0.0), mixed_frame(rng, 2000, 1.0))
    assert {f.name: f.test for f in small.features} == {
        "num": "ks",
        "few": "chisquare",
        "binary_float": "z",
        "color": "chisquare",
        "small_int": "chisquare",
        "big_int": "ks",
        "flag": "z",
        "with_nan": "ks",
        "cat_nan": "chisquare",
    }
    assert {f.name: f.test for f in large.features} == {
        "num": "wasserstein",
        "few": "jensenshannon",
        "binary_float": "jensenshannon",
        "color": "jensenshannon",
        "small_int": "jensenshannon",
        "big_int": "wasserstein",
        "flag": "jensenshannon",
        "with_nan": "wasserstein",
        "cat_nan": "jensenshannon",
    }
    assert small.feature("flag").kind == "binary"
    assert small.feature("few").kind == "numeric"
    assert small.feature("color").kind == "categorical"
    assert small.feature("num").p_value is not None
    assert large.feature("num").p_value is None


def test_categories_only_in_current_and_infinities() -> None:
    rng = np.random.default_rng(7)
    reference = pd.DataFrame(
        {
            "city": rng.choice(["paris", "rome"], 300),
            "code": rng.choice(["x", "y", "z"], 300),
            "value": np.where(rng.random(300) < 0.05, np.inf, rng.normal(size=300)),
        }
    )
    current = pd.DataFrame(
        {
            "city": rng.choice(["paris", "rome", "oslo"], 300, p=[0.49, 0.49, 0.02]),
            "code": rng.choice(["x", "y", "z"], 300),
            "value": np.where(rng.random(300) < 0.05, -np.inf, rng.normal(size=300)),
        }
    )
    assert_same_as_evidently(reference, current)
    # Evidently's chi-squared: a category never seen in the reference has expected count 0.
    city = detect_drift(reference, current).feature("city")
    assert city.test == "chisquare" and city.p_value == 0.0 and city.drifted
    big_ref = pd.concat([reference] * 5, ignore_index=True)
    big_cur = pd.concat([current] * 5, ignore_index=True)
    assert_same_as_evidently(big_ref, big_cur)


def test_numeric_with_few_unique_values_and_constants() -> None:
    rng = np.random.default_rng(3)
    reference = pd.DataFrame(
        {
            "rating": rng.choice([1.0, 2.0, 3.0, 4.0, 5.0], 800),
            "pair": rng.choice([10.0, 20.0], 800),
            "constant": np.full(800, 2.5),
            "six_values": rng.choice(np.arange(6.0), 800),
        }
    )
    current = pd.DataFrame(
        {
            "rating": rng.choice([1.0, 2.0, 3.0, 4.0, 5.0], 500, p=[0.1, 0.1, 0.2, 0.3, 0.3]),
            "pair": rng.choice([10.0, 20.0], 500),
            "constant": np.full(500, 2.5),
            "six_values": rng.choice(np.arange(6.0), 500),
        }
    )
    assert_same_as_evidently(reference, current)
    ours = detect_drift(reference, current)
    assert ours.feature("constant").p_value == 1.0
    assert ours.feature("six_values").test == "ks"


def test_kinds_override_inference() -> None:
    rng = np.random.default_rng(5)
    reference = pd.DataFrame({"zip": rng.integers(0, 8, 400), "when": pd.Timestamp("2024-01-01")})
    current = pd.DataFrame({"zip": rng.integers(0, 8, 400), "when": pd.Timestamp("2024-02-01")})
    assert infer_kind(current["zip"]) == "categorical"  # ≤ 10 distinct ints
    assert infer_kind(current["when"]) is None  # datetimes are not compared
    forced = detect_drift(reference, current, kinds={"zip": "numeric", "when": "datetime"})
    assert [f.name for f in forced.features] == ["zip"]
    assert forced.feature("zip").test == "ks"
    with pytest.raises(ValueError, match="unknown column kind"):
        detect_drift(reference, current, kinds={"zip": "ordinal"})


def test_empty_current_column_counts_as_drift() -> None:
    reference = pd.DataFrame({"a": np.arange(50.0), "b": np.arange(50.0)})
    current = pd.DataFrame({"a": np.full(20, np.nan), "b": np.arange(20.0)})
    report = detect_drift(reference, current)
    assert report.feature("a").test == "empty" and report.feature("a").drifted


def test_psi_and_prediction_drift() -> None:
    rng = np.random.default_rng(11)
    reference = pd.Series(rng.normal(size=5000), name="prediction")
    same = detect_prediction_drift(reference, pd.Series(rng.normal(size=5000)))
    moved = detect_prediction_drift(reference, pd.Series(rng.normal(1.0, size=5000)))
    assert same.psi < 0.02 < 0.25 < moved.psi
    assert same.test == "wasserstein" and not same.drifted and moved.drifted
    labels = pd.Series(rng.choice(["yes", "no"], 3000, p=[0.2, 0.8]))
    live = pd.Series(rng.choice(["yes", "no"], 3000, p=[0.5, 0.5]))
    label_drift = detect_prediction_drift(labels, live)
    assert label_drift.kind == "binary" and label_drift.test == "jensenshannon"
    assert label_drift.drifted and label_drift.psi > 0.1


def test_report_frame_and_dataset_rule() -> None:
    rng = np.random.default_rng(2)
    reference = mixed_frame(rng, 2000, 0.0)
    current = mixed_frame(rng, 2000, 1.0)
    report = detect_drift(reference, current, drift_share=0.99)
    frame = report.to_frame()
    assert list(frame["name"]) == list(reference.columns)
    assert {"test", "score", "threshold", "drifted", "psi"} <= set(frame.columns)
    assert report.dataset_drift is False  # 99% of features is more than drifted here
    assert detect_drift(reference, current).dataset_drift is True


def test_category_dtype_and_nullable_flags() -> None:
    rng = np.random.default_rng(13)

    def frame(n: int, p: list[float]) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "plan": pd.Categorical(
                    rng.choice(["free", "pro", "team"], n, p=p),
                    categories=["free", "pro", "team", "x"],
                ),
                "opted_in": pd.Series(
                    rng.choice(np.array([True, False, None], dtype=object), n, p=[0.4, 0.4, 0.2])
                ),
            }
        )

    assert_same_as_evidently(frame(600, [0.5, 0.3, 0.2]), frame(700, [0.3, 0.3, 0.4]))
    assert_same_as_evidently(frame(3000, [0.5, 0.3, 0.2]), frame(2000, [0.5, 0.3, 0.2]))
