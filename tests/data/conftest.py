from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image


@pytest.fixture()
def table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 200
    frame = pd.DataFrame(
        {
            "row_id": np.arange(n),
            "age": rng.integers(18, 80, n).astype(float),
            "city": rng.choice(["Oslo", "Lima", "Pune"], n),
            "member": rng.choice(["yes", "no"], n),
            "joined": pd.date_range("2024-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            "review": [f"review number {i} says the product was fine overall" for i in range(n)],
            "constant": 1.5,
            "label": rng.choice(["a", "b"], n, p=[0.7, 0.3]),
        }
    )
    frame.loc[[3, 7, 11], "age"] = np.nan
    frame.loc[5, "age"] = 1000.0  # an outlier
    return frame


@pytest.fixture()
def image_folder(tmp_path: Path) -> Path:
    root = tmp_path / "images"
    for label, color in (("cat", (200, 10, 10)), ("dog", (10, 10, 200))):
        (root / label).mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (8 + i, 8), color).save(root / label / f"{i}.png")
    return root
