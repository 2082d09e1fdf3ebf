"""Small generated review tables (200 rows) and one text model trained once per session."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lepton.learn.automl import AutoML
from lepton.store.project import Project

GOOD = ["wonderful", "moving", "brilliant", "charming", "gripping", "delightful", "superb"]
BAD = ["tedious", "clumsy", "dull", "lifeless", "boring", "awful", "messy"]
NOUNS = ["film", "script", "cast", "story", "direction", "ending", "soundtrack"]
TEMPLATES = [
    "the {noun} is {adj} and the {noun2} feels {adj2} throughout",
    "a {adj} {noun}, with a {adj2} {noun2} that stays with you",
    "honestly the {noun} was {adj}; even the {noun2} is {adj2}",
    "what a {adj} {noun} this turned out to be, {adj2} {noun2} included",
]


def make_reviews(n: int = 200, seed: int = 0, *, noise: float = 0.1) -> pd.DataFrame:
    """Review-like sentences whose label follows the sentiment words (with label noise)."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        fresh = bool(rng.random() < 0.5)
        words = GOOD if fresh else BAD
        text = str(rng.choice(TEMPLATES)).format(
            noun=rng.choice(NOUNS),
            noun2=rng.choice(NOUNS),
            adj=rng.choice(words),
            adj2=rng.choice(words if rng.random() < 0.8 else GOOD + BAD),
        )
        label = fresh if rng.random() > noise else not fresh
        rows.append({"text": text, "label": "fresh" if label else "rotten"})
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def reviews() -> pd.DataFrame:
    return make_reviews()


@pytest.fixture(scope="session")
def text_automl(reviews: pd.DataFrame) -> AutoML:
    """Both text families, in-process, a short budget."""
    return AutoML("label", time_limit=40, n_folds=3, n_workers=1, max_trials=4).fit(reviews)


@pytest.fixture()
def project(lepton_home: Path) -> Project:
    return Project.open()
