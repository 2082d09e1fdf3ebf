"""The HTML monitoring report: one self-contained file with every section and plot."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lepton.monitor.drift import FeatureDrift, detect_drift
from lepton.monitor.quality import check_quality
from lepton.monitor.report import drift_strength, render_html


def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    reference = pd.DataFrame(
        {
            "age": rng.normal(40, 10, 2000),
            "color": rng.choice(["red", "blue", "green"], 2000),
            "score": rng.uniform(0, 1, 2000),
        }
    )
    current = pd.DataFrame(
        {
            "age": rng.normal(55, 10, 1500),
            "color": rng.choice(["red", "blue", "pink"], 1500),
            "score": rng.uniform(0, 1, 1500),
        }
    )
    current.loc[:200, "score"] = np.nan
    return reference, current


def test_report_is_one_self_contained_file(tmp_path: Path) -> None:
    reference, current = frames()
    drift = detect_drift(reference, current)
    schema: list[dict[str, Any]] = [
        {"name": "age", "kind": "numeric", "min": 10.0, "max": 70.0},
        {"name": "color", "kind": "categorical", "categories": ["red", "blue", "green"]},
        {"name": "score", "kind": "numeric", "min": 0.0, "max": 1.0},
    ]
    quality = check_quality(schema, current)
    ts = pd.date_range("2024-01-01", periods=300, freq="min")
    latency = pd.DataFrame({"ts": ts, "latency_ms": np.linspace(5, 20, 300), "version": 1})
    metrics = pd.DataFrame(
        {
            "ts": list(ts[::60]) * 2,
            "metric": ["accuracy"] * 10,
            "value": np.linspace(0.9, 0.8, 10),
            "version": [1] * 5 + [2] * 5,
        }
    )
    out = render_html(
        tmp_path / "sub" / "monitor.html",
        title="churn <prod>",
        drift=drift,
        quality=quality,
        reference=reference,
        current=current,
        latency=latency,
        metrics=metrics,
        summary={"requests": 1500, "latency_p99_ms": 19.2},
    )
    text = out.read_text()
    assert out == tmp_path / "sub" / "monitor.html"
    assert "churn &lt;prod&gt;" in text  # escaped
    for heading in ("Summary", "Data drift", "Distributions", "Latency", "Metrics", "Data quality"):
        assert heading in text
    # strength plot + 3 distributions + latency + metrics, all inlined; nothing fetched
    assert len(re.findall(r"src='data:image/png;base64,", text)) == 6
    assert "http://" not in text and "https://" not in text
    assert text.count("<tr class='drift'>") >= 2  # age and color drifted, highlighted
    assert "pink" in text  # the unseen category is named in the quality issues
    assert [p.name for p in out.parent.iterdir()] == ["monitor.html"]  # no temp left


def test_optional_sections_are_left_out(tmp_path: Path) -> None:
    reference, current = frames()
    out = render_html(
        tmp_path / "r.html",
        title="t",
        drift=detect_drift(reference, current),
        quality=check_quality([], current),
        reference=reference,
        current=current,
    )
    text = out.read_text()
    assert "Latency over time" not in text and "Metrics over time" not in text


def test_drift_strength_puts_tests_on_one_scale() -> None:
    def feature(test: str, statistic: float, p: float | None, threshold: float) -> FeatureDrift:
        return FeatureDrift("f", "numeric", test, statistic, p, threshold, False, 0.0)

    assert drift_strength(feature("ks", 0.1, 0.05, 0.05)) == 1.0
    assert drift_strength(feature("ks", 0.1, 1.0, 0.05)) == 0.0
    assert drift_strength(feature("chisquare", np.inf, 0.0, 0.05)) == 10.0
    assert drift_strength(feature("wasserstein", 0.2, None, 0.1)) == 2.0
