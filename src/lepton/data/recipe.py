"""Cleaning recipes: recorded, replayable steps that turn one dataset version into the next.

A recipe is a list of steps (from TOML, JSON or Python). Applying it *fits* the steps
that learn something (imputation values, clipping bounds) and returns the fitted recipe,
which is stored with the new version: replaying the fitted recipe on new rows applies
exactly the same values, so serving-time data can be cleaned the way training data was.

Steps: drop_duplicates, drop_columns, rename, strip_whitespace, coerce, impute,
clip_outliers, drop_missing.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lepton.data.schema import unknown_column_message
from lepton.errors import DataError
from lepton.runtime.columns import parse_timestamps

COERCE_TYPES = ("numeric", "integer", "datetime", "boolean", "string", "categorical")
IMPUTE_STRATEGIES = ("median", "mean", "most_frequent", "constant")
TRUE_WORDS = {"true", "yes", "t", "y", "1"}
FALSE_WORDS = {"false", "no", "f", "n", "0"}


@dataclass(frozen=True)
class StepReport:
    step: str
    rows_before: int
    rows_after: int
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Recipe:
    """An ordered list of cleaning steps, each a dict with a ``step`` key."""

    steps: list[dict[str, Any]]

    @classmethod
    def from_list(cls, steps: list[dict[str, Any]]) -> Recipe:
        if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
            raise DataError("a recipe is a list of steps, each a table with a 'step' key")
        steps = [_normalise(s) for s in steps]
        for index, step in enumerate(steps):
            name = step.get("step")
            if name not in STEPS:
                raise DataError(
                    f"recipe step {index + 1}: unknown step {name!r}; "
                    f"choose one of: {', '.join(sorted(STEPS))}"
                )
        return cls([dict(s) for s in steps])

    @classmethod
    def from_file(cls, path: str | Path) -> Recipe:
        """TOML (``[[steps]]`` tables) or JSON (a list, or ``{"steps": [...]}``)."""
        path = Path(path)
        if not path.is_file():
            raise DataError(f"{path}: recipe file not found")
        suffix = path.suffix.lower()
        if suffix not in (".toml", ".json"):
            raise DataError(f"{path}: recipe files are .toml or .json, not {suffix or 'no suffix'}")
        text = path.read_text(encoding="utf-8")
        try:
            data: Any = tomllib.loads(text) if suffix == ".toml" else json.loads(text)
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
            raise DataError(
                f"{path}: not valid {path.suffix.lstrip('.') or 'JSON'}: {exc}"
            ) from exc
        steps = data.get("steps") if isinstance(data, dict) else data
        if steps is None:
            raise DataError(f"{path}: no steps; write one [[steps]] table per step")
        return cls.from_list(steps)

    def to_list(self) -> list[dict[str, Any]]:
        return [dict(s) for s in self.steps]

    def apply(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, Recipe, list[StepReport]]:
        """Run every step; returns the cleaned rows, the fitted recipe and what each step did."""
        fitted: list[dict[str, Any]] = []
        reports: list[StepReport] = []
        out = frame.copy()
        for index, step in enumerate(self.steps):
            name = step["step"]
            before = len(out)
            try:
                out, fitted_step, details = STEPS[name](out, step)
            except DataError as exc:
                raise DataError(f"recipe step {index + 1} ({name}): {exc.message}") from exc
            fitted.append(fitted_step)
            reports.append(StepReport(name, before, len(out), details))
        return out.reset_index(drop=True), Recipe(fitted), reports


def _normalise(step: dict[str, Any]) -> dict[str, Any]:
    """Accept ``type`` as a synonym of ``step`` (both read naturally in TOML)."""
    out = dict(step)
    if "step" not in out and "type" in out:
        out["step"] = out.pop("type")
    return out


StepFn = Callable[
    [pd.DataFrame, dict[str, Any]], tuple[pd.DataFrame, dict[str, Any], dict[str, Any]]
]


def _columns(
    frame: pd.DataFrame, step: dict[str, Any], *, default: list[str] | None = None
) -> list[str]:
    columns = step.get("columns", default if default is not None else list(frame.columns))
    if isinstance(columns, str):
        columns = [columns]
    if not isinstance(columns, list):
        raise DataError("'columns' must be a list of column names")
    for col in columns:
        if col not in frame.columns:
            raise DataError(unknown_column_message(str(col), [str(c) for c in frame.columns]))
    return [str(c) for c in columns]


def _drop_duplicates(
    frame: pd.DataFrame, step: dict[str, Any]
) -> tuple[pd.DataFrame, dict[str, Any], dict[str, Any]]:
    subset = _columns(frame, step) if "columns" in step else None
    out = frame.drop_duplicates(subset=subset, keep="first")
    return out, dict(step), {"removed": len(frame) - len(out)}


def _drop_columns(
    frame: pd.DataFrame, step: dict[str, Any]
) -> tuple[pd.DataFrame, dict[str, Any], dict[str, Any]]:
    if "columns" not in step:
        raise DataError("drop_columns needs 'columns'")
    columns = _columns(frame, step)
    return frame.drop(columns=columns), dict(step), {"dropped": columns}


def _rename(
    frame: pd.DataFrame, step: dict[str, Any]
) -> tuple[pd.DataFrame, dict[str, Any], dict[str, Any]]:
    mapping = step.get("columns")
    if not isinstance(mapping, dict) or not mapping:
        raise DataError("rename needs 'columns' as a table of old = new names")
    _columns(frame, {"columns": list(mapping)})
    return frame.rename(columns=mapping), dict(step), {"renamed": mapping}


def _strip_whitespace(
    frame: pd.DataFrame, step: dict[str, Any]
) -> tuple[pd.DataFrame, dict[str, Any], dict[str, Any]]:
    out = frame.copy()
    changed = 0
    for col in _columns(frame, step):
        if out[col].dtype == object:
            stripped = out[col].map(lambda v: v.strip() if isinstance(v, str) else v)
            changed += int((stripped != out[col]).sum() - (out[col].isna().sum()))
            out[col] = stripped.replace("", np.nan)
    return out, dict(step), {"cells_changed": max(changed, 0)}


def _coerce(
    frame: pd.DataFrame, step: dict[str, Any]
) -> tuple[pd.DataFrame, dict[str, Any], dict[str, Any]]:
    mapping = step.get("columns")
    if not isinstance(mapping, dict) or not mapping:
        raise DataError("coerce needs 'columns' as a table of column = type")
    _columns(frame, {"columns": list(mapping)})
    out = frame.copy()
    failed: dict[str, int] = {}
    for col, kind in mapping.items():
        if kind not in COERCE_TYPES:
            raise DataError(f"cannot coerce {col!r} to {kind!r}; types: {', '.join(COERCE_TYPES)}")
        column = pd.Series(out[col])
        coerced = _coerce_series(column, kind)
        failed[col] = int((column.notna() & coerced.isna()).sum())
        out[col] = coerced
    return out, dict(step), {"became_missing": failed}


def _coerce_series(values: pd.Series, kind: str) -> pd.Series:
    if kind in ("numeric", "integer"):
        cleaned = values.map(lambda v: v.strip().replace(",", "") if isinstance(v, str) else v)
        numbers = pd.to_numeric(cleaned, errors="coerce")
        return numbers.round().astype("Int64") if kind == "integer" else numbers.astype(float)
    if kind == "datetime":
        return parse_timestamps(values)
    if kind == "boolean":

        def to_bool(v: Any) -> Any:
            text = str(v).strip().lower()
            return True if text in TRUE_WORDS else False if text in FALSE_WORDS else pd.NA

        return values.map(lambda v: pd.NA if pd.isna(v) else to_bool(v)).astype("boolean")
    if kind == "categorical":
        return values.astype("category")
    return values.map(lambda v: v if pd.isna(v) else str(v)).astype(object)


def _impute(
    frame: pd.DataFrame, step: dict[str, Any]
) -> tuple[pd.DataFrame, dict[str, Any], dict[str, Any]]:
    strategy = step.get("strategy", "median")
    if strategy not in IMPUTE_STRATEGIES:
        raise DataError(
            f"unknown strategy {strategy!r}; choose one of {', '.join(IMPUTE_STRATEGIES)}"
        )
    columns = _columns(frame, step, default=[c for c in frame.columns if frame[c].isna().any()])
    values: dict[str, Any] = dict(step.get("values", {}))  # a fitted recipe carries its values
    out = frame.copy()
    filled: dict[str, int] = {}
    for col in columns:
        if col not in values:
            values[col] = _impute_value(out[col], strategy, step.get("value"), col)
        filled[col] = int(out[col].isna().sum())
        if values[col] is not None:
            out[col] = out[col].fillna(values[col])
    return out, {**step, "columns": columns, "values": values}, {"filled": filled}


def _impute_value(values: pd.Series, strategy: str, constant: Any, col: str) -> Any:
    non_null = values.dropna()
    if strategy == "constant":
        if constant is None:
            raise DataError("strategy 'constant' needs 'value'")
        return constant
    if non_null.empty:
        return None
    if strategy in ("median", "mean"):
        if not pd.api.types.is_numeric_dtype(values):
            raise DataError(f"{col!r} is not numeric; use strategy 'most_frequent' for it")
        value = non_null.median() if strategy == "median" else non_null.mean()
        return float(value)
    mode = non_null.mode().iloc[0]
    return mode.item() if hasattr(mode, "item") else mode


def _clip_outliers(
    frame: pd.DataFrame, step: dict[str, Any]
) -> tuple[pd.DataFrame, dict[str, Any], dict[str, Any]]:
    numeric = [
        c
        for c in frame.columns
        if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    ]
    columns = _columns(frame, step, default=numeric)
    factor = float(step.get("factor", 1.5))
    method = step.get("method", "quantiles" if "quantiles" in step else "iqr")
    if method not in ("iqr", "quantiles"):
        raise DataError(f"unknown clipping method {method!r}; use 'iqr' or 'quantiles'")
    quantiles = step.get("quantiles", [0.01, 0.99]) if method == "quantiles" else None
    bounds: dict[str, list[float]] = {k: list(v) for k, v in step.get("bounds", {}).items()}
    out = frame.copy()
    clipped: dict[str, int] = {}
    for col in columns:
        if col not in numeric:
            raise DataError(f"{col!r} is not numeric; only numbers can be clipped")
        if col not in bounds:
            bounds[col] = _bounds(out[col].dropna().astype(float), factor, quantiles)
        low, high = bounds[col]
        clipped[col] = int(((out[col] < low) | (out[col] > high)).sum())
        out[col] = out[col].clip(low, high)
    return out, {**step, "columns": columns, "bounds": bounds}, {"clipped": clipped}


def _bounds(values: pd.Series, factor: float, quantiles: list[float] | None) -> list[float]:
    if values.empty:
        return [-np.inf, np.inf]
    if quantiles is not None:
        low, high = np.quantile(values, quantiles)
        return [float(low), float(high)]
    q25, q75 = np.quantile(values, [0.25, 0.75])
    iqr = q75 - q25
    return [float(q25 - factor * iqr), float(q75 + factor * iqr)]


def _drop_missing(
    frame: pd.DataFrame, step: dict[str, Any]
) -> tuple[pd.DataFrame, dict[str, Any], dict[str, Any]]:
    columns = _columns(frame, step)
    out = frame.dropna(subset=columns)
    return out, dict(step), {"removed": len(frame) - len(out)}


STEPS: dict[str, StepFn] = {
    "drop_duplicates": _drop_duplicates,
    "dedupe": _drop_duplicates,
    "drop_columns": _drop_columns,
    "rename": _rename,
    "strip_whitespace": _strip_whitespace,
    "coerce": _coerce,
    "impute": _impute,
    "clip_outliers": _clip_outliers,
    "drop_missing": _drop_missing,
}
