"""What kind of problem a target column poses, and how its labels map to integers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.errors import DataError

TASKS = ("binary", "multiclass", "regression")
MAX_CLASSES = 100


@dataclass(frozen=True)
class TargetEncoding:
    """The task plus the label ↔ integer mapping the models are trained with."""

    task: str
    labels: list[Any]  # class labels in index order; empty for regression

    def encode(self, y: pd.Series) -> NDArray[Any]:
        if self.task == "regression":
            return pd.to_numeric(y, errors="raise").to_numpy(dtype=np.float64)
        index = {label: i for i, label in enumerate(self.labels)}
        codes = y.map(lambda v: index.get(_plain(v), -1)).to_numpy(dtype=np.int64)
        if (codes < 0).any():
            unknown = sorted({str(v) for v in y[codes < 0]})[:5]
            raise DataError(f"target has labels not seen in training: {', '.join(unknown)}")
        return codes

    def decode(self, codes: NDArray[np.int64]) -> NDArray[Any]:
        return np.asarray(self.labels, dtype=object)[codes]


def _plain(value: Any) -> Any:
    """Labels as JSON-friendly Python values (numpy ints → int) so packages can store them."""
    return value.item() if isinstance(value, np.generic) else value


def infer_task(y: pd.Series, task: str | None = None) -> TargetEncoding:
    """Binary / multiclass / regression from the target's values, unless ``task`` says."""
    name = str(y.name)
    y = y.dropna()
    if y.empty:
        raise DataError(f"target column {name!r} has no values")
    distinct = y.nunique()
    if task is not None and task not in TASKS:
        raise DataError(f"unknown task {task!r}; choose one of: {', '.join(TASKS)}")
    if distinct < 2:
        raise DataError(
            f"target column {name!r} is constant ({y.iloc[0]!r}): there is nothing to learn; "
            "check the target or the rows you filtered"
        )
    numeric = pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)
    if task is None:
        if not numeric or distinct == 2:
            task = "binary" if distinct == 2 else "multiclass"
        elif pd.api.types.is_integer_dtype(y) and distinct <= 20 and distinct < len(y) / 20:
            task = "multiclass"
        else:
            task = "regression"
    if task == "regression":
        if not numeric:
            raise DataError(f"target column {name!r} is not numeric; regression needs numbers")
        return TargetEncoding("regression", [])
    if task == "binary" and distinct != 2:
        raise DataError(f"task binary needs 2 classes; {name!r} has {distinct}")
    if distinct > MAX_CLASSES:
        raise DataError(
            f"target column {name!r} has {distinct} classes (> {MAX_CLASSES}); "
            "if it is a quantity, pass --task regression"
        )
    labels = sorted((_plain(v) for v in y.unique()), key=lambda v: (str(type(v)), v))
    return TargetEncoding(task, labels)
