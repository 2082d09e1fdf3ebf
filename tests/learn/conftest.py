from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture()
def binary_frame() -> pd.DataFrame:
    """400 rows: two informative numbers, a categorical with signal, noise, missing values."""
    rng = np.random.default_rng(0)
    n = 400
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    color = rng.choice(["red", "green", "blue"], size=n)
    logit = 1.5 * x1 - x2 + np.where(color == "red", 1.0, -0.5)
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    frame = pd.DataFrame({"x1": x1, "x2": x2, "color": color, "noise": rng.normal(size=n), "y": y})
    frame.loc[rng.choice(n, 30, replace=False), "x2"] = np.nan
    return frame


@pytest.fixture()
def regression_frame() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 300
    a, b = rng.normal(size=n), rng.uniform(0, 3, size=n)
    kind = rng.choice(["p", "q"], size=n)
    value = 3 * a + b**2 + np.where(kind == "p", 2.0, 0.0) + rng.normal(scale=0.3, size=n)
    return pd.DataFrame({"a": a, "b": b, "kind": kind, "value": value})


@pytest.fixture()
def multiclass_frame() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    n = 300
    centers = {"A": (0, 0), "B": (3, 0), "C": (0, 3)}
    labels = rng.choice(list(centers), size=n)
    pts = np.array([centers[v] for v in labels]) + rng.normal(scale=0.8, size=(n, 2))
    return pd.DataFrame({"u": pts[:, 0], "v": pts[:, 1], "label": labels})
