"""Text drift: length, out-of-vocabulary rate and embedding (domain classifier) drift."""

from __future__ import annotations

import pandas as pd

from lepton.monitor.summary import MonitorSummary
from lepton.monitor.text_drift import text_drift
from tests.text.conftest import make_reviews


def test_same_distribution_does_not_drift() -> None:
    reference = make_reviews(150, seed=1)["text"]
    current = make_reviews(80, seed=2)["text"]
    result = text_drift("text", reference, current)
    assert not result.length.drifted and not result.oov_drifted
    assert result.oov_rate < 0.05 and result.embedding_auc is not None
    assert not result.embedding_drifted and not result.drifted


def test_new_topic_and_longer_texts_drift_in_every_view() -> None:
    reference = make_reviews(150, seed=1)["text"]
    current = pd.Series(
        [
            f"invoice {i} for the quarterly server maintenance contract was paid late again, "
            "please escalate to the accounts team before friday"
            for i in range(80)
        ]
    )
    result = text_drift("text", reference, current)
    assert result.length.drifted and result.oov_drifted and result.oov_rate > 0.5
    assert result.embedding_drifted and result.embedding_auc is not None
    assert result.embedding_auc > 0.9 and result.drifted
    assert result.to_dict()["oov_drifted"] is True


def test_blank_and_missing_texts_are_left_out() -> None:
    reference = make_reviews(100, seed=1)["text"]
    current = pd.Series(["", None, "  "] * 5 + list(make_reviews(30, seed=3)["text"]))
    result = text_drift("text", reference, current, embeddings=False)
    assert result.current_rows == 30 and result.embedding_auc is None


def test_summary_headline_lists_drifted_text_columns_only_when_there_are_any() -> None:
    summary = MonitorSummary("d", "m", "1h", 1)
    assert "text_drifted_columns" not in summary.headline()
    reference = make_reviews(60, seed=1)["text"]
    summary.text_drift = [text_drift("text", reference, reference * 4, embeddings=False)]
    assert summary.headline()["text_drifted_columns"] == ["text"]
