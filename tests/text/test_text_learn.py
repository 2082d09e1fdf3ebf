"""Text families, AutoML on text and on text + tabular columns, the encoder's text block."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lepton.errors import DataError
from lepton.learn import text as textlib
from lepton.learn.automl import AutoML
from lepton.learn.families import TaskInfo, get_family
from lepton.learn.features import FeatureEncoder
from tests.text.conftest import make_reviews

KINDS = {"text": "text"}


def _encoded(frame: pd.DataFrame, embed: bool) -> tuple[FeatureEncoder, object]:
    encoder = FeatureEncoder(KINDS, embed_text=embed).fit(frame[["text"]])
    return encoder, encoder.transform(frame[["text"]])


@pytest.mark.parametrize(("family", "embed"), [("text_tfidf", False), ("text_embedding", True)])
def test_family_fits_and_predicts_probabilities(
    reviews: pd.DataFrame, family: str, embed: bool
) -> None:
    _, data = _encoded(reviews, embed)
    y = (reviews["label"] == "fresh").to_numpy().astype(np.int64)
    info = TaskInfo("binary", 2, "roc_auc")
    fam = get_family(family)
    rows = np.arange(150, dtype=np.int64)
    held = np.arange(150, 200, dtype=np.int64)
    for params in fam.portfolio(info, 150):  # type: ignore[attr-defined]
        fitted = fam.fit(data.take(rows), y[rows], data.take(held), y[held], params, info, 1e12)
        proba = fitted.model.predict(data.take(held))
        assert proba.shape == (50, 2) and np.allclose(proba.sum(axis=1), 1)
        assert ((proba[:, 1] > 0.5) == y[held]).mean() > 0.7


def test_encoder_keeps_text_and_adds_length_and_embedding_components(
    reviews: pd.DataFrame,
) -> None:
    encoder, data = _encoded(reviews, True)
    assert encoder.text_ == ["text"] and "text" in encoder.input_columns
    assert encoder.num_names_[:2] == ["text.chars", "text.words"]
    assert any(n.startswith("text.emb") for n in encoder.num_names_)
    assert data.text is not None and data.text.shape == (200, 1)  # type: ignore[attr-defined]
    assert data.emb is not None and data.emb.shape == (200, 384)  # type: ignore[attr-defined]
    # embeddings are cached by text: a second pass is a lookup, identical values
    again = textlib.embed(list(reviews["text"][:5]))
    assert np.allclose(again, data.emb[:5])  # type: ignore[attr-defined]


def test_automl_on_a_text_table_uses_the_text_families(text_automl: AutoML) -> None:
    board = text_automl.leaderboard()
    assert set(board["family"]) - {"ensemble"} <= {"text_tfidf", "text_embedding"}
    assert {"text_tfidf", "text_embedding"} <= set(board["family"])
    test = make_reviews(60, seed=7, noise=0.0)
    accuracy = (text_automl.predict(test.drop(columns=["label"])) == test["label"]).mean()
    assert accuracy > 0.85


def test_automl_on_text_plus_tabular_uses_both() -> None:
    frame = make_reviews(200, seed=3, noise=0.3)
    rng = np.random.default_rng(0)
    # a numeric column that carries signal the text does not: the label noise is visible in it
    truth = frame["label"] == "fresh"
    frame["score"] = np.where(truth, 1.0, -1.0) + rng.normal(scale=0.7, size=len(frame))
    frame["venue"] = rng.choice(["press", "blog"], size=len(frame))
    automl = AutoML(
        "label",
        time_limit=40,  # generous so embeddings are never skipped; max_trials ends it early
        n_folds=3,
        n_workers=1,
        max_trials=3,
        families=["text_tfidf", "lightgbm"],
        column_kinds={"text": "text", "score": "numeric", "venue": "categorical"},
    ).fit(frame)
    encoder = automl.model_.encoder
    assert encoder.text_ == ["text"] and encoder.numeric_ == ["score"]
    assert encoder.embed_text and any(n.startswith("text.emb") for n in encoder.num_names_)
    families = set(automl.leaderboard()["family"])
    assert {"text_tfidf", "lightgbm"} <= families
    proba = automl.predict_proba(frame.drop(columns=["label"]).head(10))
    assert proba.shape == (10, 2)


def test_short_budget_skips_embeddings_and_says_why(
    reviews: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(textlib, "estimate_embed_seconds", lambda texts: 1e6)
    automl = AutoML("label", time_limit=12, n_folds=3, n_workers=1, max_trials=2).fit(reviews)
    assert any("skipped sentence embeddings" in n for n in automl.notes_)
    assert set(automl.leaderboard()["family"]) - {"ensemble"} == {"text_tfidf"}
    assert not automl.model_.encoder.embed_text


def _tabular() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(size=120)
    return pd.DataFrame({"x": x, "y": np.where(x + rng.normal(size=120) > 0, "yes", "no")})


def test_tabular_tables_do_not_get_text_families() -> None:
    automl = AutoML("y", time_limit=10, n_folds=3, n_workers=1, max_trials=3)
    automl.fit(_tabular())
    assert not set(automl.leaderboard()["family"]) & {"text_tfidf", "text_embedding"}


@pytest.mark.parametrize(
    ("texts", "words"),
    [
        (["", "  ", None] * 20, "no usable feature columns"),
        (["x" * 20_001] + ["a fine film indeed, really"] * 59, "longer than 20,000"),
    ],
)
def test_bad_text_columns_are_refused(texts: list[object], words: str) -> None:
    frame = pd.DataFrame({"text": texts, "label": ["a", "b"] * 30})
    with pytest.raises(DataError, match=words):
        AutoML("label", time_limit=5, n_workers=1, column_kinds=KINDS).fit(frame)


def test_text_families_on_a_table_without_text_are_refused() -> None:
    with pytest.raises(DataError, match="need a non-empty text column"):
        AutoML("y", time_limit=5, n_workers=1, families=["text_tfidf"]).fit(_tabular())
