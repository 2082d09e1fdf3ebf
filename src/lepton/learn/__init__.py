"""AutoML: tasks, families, search, ensembling, evaluation, model packages.

``AutoML`` and ``NativePredictor`` are imported on first use, so that a submodule (the family
registry, say) can be imported without the search stack (scikit-learn, Optuna).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from lepton.learn.automl import AutoML
    from lepton.runtime.native import NativePredictor

_LAZY = {"AutoML": "lepton.learn.automl", "NativePredictor": "lepton.runtime.native"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    from lepton.learn.automl import AutoML

    return AutoML(
        target, time_limit=time_limit, metric=metric, task=task, seed=seed, **options
    ).fit(data)


__all__ = ["AutoML", "NativePredictor", "fit"]
