"""AutoML: tasks, families, search, ensembling, evaluation, model packages."""

from __future__ import annotations

from typing import Any

import pandas as pd

from lepton.learn.automl import AutoML
from lepton.runtime.native import NativePredictor


def fit(
    data: pd.DataFrame,
    *,
    target: str,
    time_limit: float = 60.0,
    metric: str | None = None,
    task: str | None = None,
    seed: int = 0,
    **options: Any,
) -> AutoML:
    """Train in memory, without touching the project store (``lepton.fit`` registers)."""
    return AutoML(
        target, time_limit=time_limit, metric=metric, task=task, seed=seed, **options
    ).fit(data)


__all__ = ["AutoML", "NativePredictor", "fit"]
