from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lepton.errors import DataError
from lepton.monitor.performance import live_metrics
from lepton.serve.predlog import LoggedRequest, PredictionLog
from lepton.store.predictions import PredictionStore, parse_window, strip_inputs


def _log(root: Path, n_requests: int = 10, version: int = 1) -> list[str]:
    log = PredictionLog(root / "predictions", flush_seconds=60)
    ids = []
    for i in range(n_requests):
        rid = f"req{version}-{i}"
        ids.append(rid)
        p = 0.9 if i % 2 else 0.2
        log.append(
            LoggedRequest(
                rid,
                time.time(),
                "churn",
                "churn",
                version,
                "primary",
                3.0,
                [{"x": float(i), "color": "red"}, {"x": -float(i), "color": "blue"}],
                np.array([[1 - p, p], [p, 1 - p]]),
                ["no", "yes"],
            )
        )
    log.append_error("churn", 422)
    log.close()
    return ids


def test_predictions_are_queryable_by_window_version_and_role(tmp_path: Path) -> None:
    _log(tmp_path, 10, version=1)
    _log(tmp_path, 4, version=2)
    store = PredictionStore(tmp_path)
    everything = store.predictions("churn")
    assert len(everything) == 28 and set(everything["version"]) == {1, 2}
    assert len(store.predictions("churn", version=2)) == 8
    assert len(store.predictions("churn", window="1h")) == 28
    assert store.predictions("churn", role="shadow").empty
    assert store.predictions("nobody").empty
    assert list(strip_inputs(everything).columns) == ["x", "color"]
    assert store.errors("churn")["status"].tolist() == [422, 422]


def test_feedback_is_idempotent_and_reports_unknown_ids(tmp_path: Path) -> None:
    ids = _log(tmp_path, 6)
    store = PredictionStore(tmp_path)
    labels = pd.DataFrame({"request_id": [*ids[:3], "ghost"], "label": ["yes", "no", "yes", "no"]})
    first = store.add_feedback("churn", labels)
    assert (first.accepted, first.updated, first.unknown) == (3, 0, ["ghost"])
    again = store.add_feedback("churn", labels.assign(label="no"))
    assert (again.accepted, again.updated) == (0, 3)
    feedback = store.feedback("churn")
    assert len(feedback) == 3 and set(feedback["label"]) == {"no"}  # the newest label wins
    joined = store.labelled("churn")
    assert len(joined) == 3 and set(joined["row"]) == {0}


def test_bad_feedback_is_refused_with_the_field(tmp_path: Path) -> None:
    _log(tmp_path, 2)
    store = PredictionStore(tmp_path)
    with pytest.raises(DataError, match="request_id and label"):
        store.add_feedback("churn", pd.DataFrame({"id": ["x"], "label": ["yes"]}))
    with pytest.raises(DataError) as info:
        store.add_feedback("churn", pd.DataFrame({"request_id": ["a"], "label": [None]}))
    assert info.value.field == "label"


def test_live_metrics_from_logged_probabilities(tmp_path: Path) -> None:
    ids = _log(tmp_path, 10)
    store = PredictionStore(tmp_path)
    # odd requests predicted "yes" for row 0: label them all "yes" → half right
    store.add_feedback("churn", pd.DataFrame({"request_id": ids, "label": ["yes"] * 10}))
    table = live_metrics(
        store.labelled("churn"), "binary", ["no", "yes"], training={"accuracy": 0.9}
    )
    accuracy = table[table.metric == "accuracy"].iloc[0]
    assert accuracy.live == pytest.approx(0.5) and accuracy.n == 10
    assert accuracy.change == pytest.approx(-0.4)


@pytest.mark.parametrize(("text", "seconds"), [("30m", 1800), ("24h", 86400), ("7d", 604800)])
def test_windows(text: str, seconds: int) -> None:
    window = parse_window(text)
    assert window is not None and window.total_seconds() == seconds
    assert parse_window("all") is None
    with pytest.raises(DataError, match="not understood"):
        parse_window("yesterday")
