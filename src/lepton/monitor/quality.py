"""Data-quality checks on live inputs against the model package's input schema.

Drift says the distribution moved; these checks say the inputs are broken in ways a
model cannot absorb: columns going missing, numbers outside anything seen in training
(the model extrapolates), categories it never saw (they fall into "unknown"). Each
check is a share of the column's rows, vectorised over the whole window.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ColumnQuality", "QualityReport", "check_quality"]

TOP_UNSEEN = 5
_BOOLEAN_TEXT = {"true", "yes", "1", "y", "t", "false", "no", "0", "n", "f", "1.0", "0.0"}


@dataclass
class ColumnQuality:
    """One schema column's health in the live window.

    ``missing_rate`` is a share of all rows; the other shares are of the non-missing values,
    so a mostly-empty column whose few values are all out of range still stands out.
    """

    name: str
    kind: str
    rows: int
    present: bool  # False when the column is absent from the live frame altogether
    missing_rate: float
    invalid_share: float = 0.0  # values that do not parse as the column's kind
    out_of_range_share: float | None = None  # numeric only: outside the training [min, max]
    unseen_share: float | None = None  # categorical only: values not seen in training
    top_unseen: list[tuple[str, int]] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.issues


@dataclass
class QualityReport:
    """Per-column checks plus the human-readable list of what crossed a threshold."""

    columns: list[ColumnQuality]
    rows: int
    thresholds: dict[str, float]
    extra_columns: list[str] = field(default_factory=list)  # live columns not in the schema

    @property
    def issues(self) -> list[str]:
        return [issue for column in self.columns for issue in column.issues]

    @property
    def ok(self) -> bool:
        return not self.issues

    def column(self, name: str) -> ColumnQuality:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_frame(self) -> pd.DataFrame:
        columns = [
            "name",
            "kind",
            "rows",
            "present",
            "missing_rate",
            "invalid_share",
            "out_of_range_share",
            "unseen_share",
            "top_unseen",
            "ok",
        ]
        rows = []
        for c in self.columns:
            row = asdict(c)
            row.pop("issues")
            row["top_unseen"] = ", ".join(f"{v} ({n:,})" for v, n in c.top_unseen)
            row["ok"] = c.ok
            rows.append(row)
        return pd.DataFrame(rows, columns=columns)


def check_quality(
    schema: list[dict[str, Any]],
    current: pd.DataFrame,
    *,
    missing_threshold: float = 0.1,
    out_of_range_threshold: float = 0.05,
    unseen_threshold: float = 0.05,
) -> QualityReport:
    """Check every schema column of ``current``; an issue is raised when a share exceeds its threshold."""
    thresholds = {
        "missing": missing_threshold,
        "out_of_range": out_of_range_threshold,
        "unseen": unseen_threshold,
    }
    columns = [_check_column(spec, current, thresholds) for spec in schema]
    known = {spec["name"] for spec in schema}
    return QualityReport(
        columns=columns,
        rows=len(current),
        thresholds=thresholds,
        extra_columns=[str(c) for c in current.columns if c not in known],
    )


def _check_column(
    spec: dict[str, Any], current: pd.DataFrame, thresholds: dict[str, float]
) -> ColumnQuality:
    name, kind, rows = str(spec["name"]), str(spec["kind"]), len(current)
    if name not in current.columns:
        return ColumnQuality(
            name,
            kind,
            rows,
            present=False,
            missing_rate=1.0,
            issues=[f"{name}: column missing from live inputs"],
        )
    column = current[name]
    missing = column.isna().to_numpy()
    result = ColumnQuality(
        name, kind, rows, present=True, missing_rate=float(missing.mean()) if rows else 0.0
    )
    values = column[~missing]
    if kind == "numeric":
        _check_numeric(result, spec, values)
    elif kind == "categorical":
        _check_categorical(result, spec, values)
    elif kind == "boolean":
        _check_boolean(result, values)
    elif kind == "datetime":
        parsed = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
        result.invalid_share = _share(int(parsed.isna().sum()), len(values))
    _issues(result, thresholds)
    return result


def _check_numeric(result: ColumnQuality, spec: dict[str, Any], values: pd.Series) -> None:
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    invalid = ~np.isfinite(numbers)
    result.invalid_share = _share(int(invalid.sum()), len(numbers))
    low, high = spec.get("min"), spec.get("max")
    if low is None and high is None:
        return
    finite = numbers[~invalid]
    outside = np.zeros(finite.shape, dtype=bool)
    if low is not None and np.isfinite(low):
        outside |= finite < float(low)
    if high is not None and np.isfinite(high):
        outside |= finite > float(high)
    result.out_of_range_share = _share(int(outside.sum()), len(numbers))


def _check_categorical(result: ColumnQuality, spec: dict[str, Any], values: pd.Series) -> None:
    if "categories" not in spec:
        return
    known = pd.Index([str(c) for c in spec["categories"]])
    # Factorise first: the str() conversion then runs once per distinct value, not per row.
    codes, uniques = pd.factorize(values)
    labels = pd.Index([str(v) for v in uniques])
    counts = np.bincount(codes, minlength=len(uniques)) if len(codes) else np.zeros(0, np.int64)
    unseen = ~labels.isin(known)
    result.unseen_share = _share(int(counts[unseen].sum()), len(values))
    order = np.argsort(-counts[unseen], kind="stable")[:TOP_UNSEEN]
    result.top_unseen = [(labels[unseen][i], int(counts[unseen][i])) for i in order]


def _check_boolean(result: ColumnQuality, values: pd.Series) -> None:
    if pd.api.types.is_bool_dtype(values.dtype):
        return
    codes, uniques = pd.factorize(values)
    bad = np.array(
        [
            not isinstance(v, bool | np.bool_) and str(v).strip().lower() not in _BOOLEAN_TEXT
            for v in uniques
        ],
        dtype=bool,
    )
    result.invalid_share = _share(int(np.isin(codes, np.flatnonzero(bad)).sum()), len(values))


def _issues(result: ColumnQuality, thresholds: dict[str, float]) -> None:
    name = result.name
    if result.missing_rate > thresholds["missing"]:
        result.issues.append(
            f"{name}: {result.missing_rate:.1%} missing (threshold {thresholds['missing']:.0%})"
        )
    if result.invalid_share > 0:
        result.issues.append(
            f"{name}: {result.invalid_share:.1%} values are not valid {result.kind}"
        )
    if (
        result.out_of_range_share is not None
        and result.out_of_range_share > thresholds["out_of_range"]
    ):
        result.issues.append(
            f"{name}: {result.out_of_range_share:.1%} outside the training range "
            f"(threshold {thresholds['out_of_range']:.0%})"
        )
    if result.unseen_share is not None and result.unseen_share > thresholds["unseen"]:
        top = ", ".join(f"{v!r} ({n:,})" for v, n in result.top_unseen)
        result.issues.append(
            f"{name}: {result.unseen_share:.1%} unseen categories "
            f"(threshold {thresholds['unseen']:.0%}): {top}"
        )


def _share(count: int, rows: int) -> float:
    return count / rows if rows else 0.0
