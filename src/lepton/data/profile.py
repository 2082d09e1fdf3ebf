"""Profiling: the numbers a person checks before trusting a table.

Per column: missing count and share, cardinality, distribution (quantiles, histogram,
IQR outliers for numbers; top values for categories), and for the table: duplicated
rows, class balance of the target, and warnings for constant, id-like, mostly-missing
and leaky-looking columns.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lepton.data.schema import Schema
from lepton.runtime.columns import parse_timestamps

HIST_BINS = 20
TOP_VALUES = 10
HIGH_MISSING = 0.5
LEAK_PURITY = 0.995
LEAK_CORRELATION = 0.98
IMBALANCE_RATIO = 0.05


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    kind: str
    dtype: str
    n_missing: int
    missing_pct: float
    n_unique: int
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Profile:
    n_rows: int
    n_cols: int
    n_duplicate_rows: int
    memory_bytes: int
    columns: list[ColumnProfile]
    target: dict[str, Any] | None = None
    warnings: list[dict[str, str]] = field(default_factory=list)

    def column(self, name: str) -> ColumnProfile:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Profile:
        cols = [ColumnProfile(**c) for c in data.get("columns", [])]
        return cls(**{**data, "columns": cols})


def profile_frame(frame: pd.DataFrame, schema: Schema, target: str | None = None) -> Profile:
    """Profile every column of ``frame`` using the kinds in ``schema``."""
    n_rows = len(frame)
    missing = frame.isna().sum()
    columns: list[ColumnProfile] = []
    warnings: list[dict[str, str]] = []
    for col in schema.columns:
        values = frame[col.name]
        n_missing = int(missing[col.name])
        stats = _column_stats(values, col.kind)
        columns.append(
            ColumnProfile(
                col.name,
                col.kind,
                col.dtype,
                n_missing,
                round(100.0 * n_missing / n_rows, 3) if n_rows else 0.0,
                col.n_unique,
                stats,
            )
        )
        warnings.extend(
            _column_warnings(col.name, col.kind, col.n_unique, n_missing, n_rows, col.note)
        )
    n_dup = _duplicate_rows(frame)
    if n_dup:
        warnings.append(
            {
                "column": "",
                "kind": "duplicates",
                "message": f"{n_dup} duplicated rows ({100 * n_dup / n_rows:.1f}%): "
                "add a drop_duplicates step to a cleaning recipe",
            }
        )
    target_info = None
    if target is not None:
        target_info = _target_summary(frame[target], schema.column(target).kind)
        warnings.extend(_target_warnings(target, target_info))
        warnings.extend(_leakage_warnings(frame, schema, target, target_info))
    return Profile(
        n_rows=n_rows,
        n_cols=frame.shape[1],
        n_duplicate_rows=n_dup,
        memory_bytes=int(frame.memory_usage(deep=True).sum()),
        columns=columns,
        target=target_info,
        warnings=warnings,
    )


def _duplicate_rows(frame: pd.DataFrame) -> int:
    try:
        return int(frame.duplicated().sum())
    except TypeError:
        return int(frame.astype(str).duplicated().sum())


def _column_stats(values: pd.Series, kind: str) -> dict[str, Any]:
    non_null = values.dropna()
    if non_null.empty:
        return {}
    if kind == "numeric":
        return _numeric_stats(non_null.astype(float))
    if kind == "datetime":
        times = parse_timestamps(non_null)
        return {"min": str(times.min()), "max": str(times.max())}
    if kind == "text":
        lengths = non_null.astype(str).str.len()
        return {
            "mean_length": float(lengths.mean()),
            "max_length": int(lengths.max()),
            "top": _top_values(non_null, 3),
        }
    return {"top": _top_values(non_null, TOP_VALUES)}


def _numeric_stats(values: pd.Series) -> dict[str, Any]:
    arr = values.to_numpy()
    finite = arr[np.isfinite(arr)]
    if finite.size == 0:
        return {"n_infinite": int(arr.size)}
    q25, median, q75 = np.percentile(finite, [25, 50, 75])
    iqr = q75 - q25
    low, high = q25 - 1.5 * iqr, q75 + 1.5 * iqr
    counts, edges = np.histogram(finite, bins=HIST_BINS)
    return {
        "mean": float(finite.mean()),
        "std": float(finite.std(ddof=1)) if finite.size > 1 else 0.0,
        "min": float(finite.min()),
        "p25": float(q25),
        "median": float(median),
        "p75": float(q75),
        "max": float(finite.max()),
        "n_zeros": int((finite == 0).sum()),
        "n_infinite": int(arr.size - finite.size),
        "n_outliers": int(((finite < low) | (finite > high)).sum()),
        "outlier_bounds": [float(low), float(high)],
        "histogram": {"counts": counts.tolist(), "edges": edges.tolist()},
    }


def _top_values(values: pd.Series, n: int) -> list[list[Any]]:
    counts = values.astype(str).value_counts().head(n)
    return [[str(k), int(v)] for k, v in counts.items()]


def _column_warnings(
    name: str, kind: str, n_unique: int, n_missing: int, n_rows: int, note: str | None
) -> list[dict[str, str]]:
    out = []
    if n_rows and n_missing == n_rows:
        out.append({"column": name, "kind": "empty", "message": f"{name}: every value is missing"})
    elif n_unique == 1:
        out.append(
            {
                "column": name,
                "kind": "constant",
                "message": f"{name}: a single value in every row; it carries no signal",
            }
        )
    if kind == "id":
        out.append(
            {
                "column": name,
                "kind": "id_like",
                "message": f"{name}: unique per row (an identifier); drop it before training",
            }
        )
    if n_rows and HIGH_MISSING <= n_missing / n_rows < 1:
        out.append(
            {
                "column": name,
                "kind": "high_missing",
                "message": f"{name}: {100 * n_missing / n_rows:.0f}% missing",
            }
        )
    if note and "coerce" in note:
        out.append({"column": name, "kind": "mostly_numeric", "message": f"{name}: {note}"})
    return out


def _target_summary(values: pd.Series, kind: str) -> dict[str, Any]:
    non_null = values.dropna()
    n_unique = int(non_null.nunique())
    info: dict[str, Any] = {
        "name": str(values.name),
        "kind": kind,
        "n_missing": int(values.isna().sum()),
        "n_unique": n_unique,
    }
    if kind == "numeric" and n_unique > 20:
        info["task_hint"] = "regression"
        info["distribution"] = {
            k: v for k, v in _numeric_stats(non_null.astype(float)).items() if k != "histogram"
        }
    else:
        info["task_hint"] = "binary" if n_unique == 2 else "multiclass"
        counts = non_null.astype(str).value_counts()
        info["class_balance"] = {str(k): int(v) for k, v in counts.items()}
    return info


def _target_warnings(target: str, info: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    if info["n_missing"]:
        out.append(
            {
                "column": target,
                "kind": "target_missing",
                "message": f"target {target}: {info['n_missing']} rows have no label",
            }
        )
    balance = info.get("class_balance")
    if balance and len(balance) > 1:
        counts = list(balance.values())
        if min(counts) / sum(counts) < IMBALANCE_RATIO:
            out.append(
                {
                    "column": target,
                    "kind": "imbalanced",
                    "message": f"target {target}: smallest class is "
                    f"{100 * min(counts) / sum(counts):.1f}% of rows",
                }
            )
    return out


def _leakage_warnings(
    frame: pd.DataFrame, schema: Schema, target: str, info: dict[str, Any]
) -> list[dict[str, str]]:
    """Features that predict the target almost perfectly on their own usually leak it."""
    labels = frame[target]
    known = labels.notna()
    out = []
    classification = "class_balance" in info
    baseline = max(info["class_balance"].values()) / known.sum() if classification else 0.0
    for col in schema.columns:
        if col.name == target or col.kind in ("id", "text", "image_path") or col.n_unique < 2:
            continue
        values = frame.loc[known, col.name]
        reason = None
        if classification and col.n_unique <= 0.5 * known.sum():
            pair = pd.DataFrame({"x": values.astype(str), "y": labels[known].astype(str)})
            majority = pair.groupby(["x", "y"]).size().groupby(level=0).max().sum()
            purity = majority / len(pair)
            if purity >= LEAK_PURITY and purity > baseline + 0.5 * (1 - baseline):
                reason = f"alone predicts the target for {100 * purity:.1f}% of rows"
        elif not classification and col.kind == "numeric":
            corr = values.astype(float).corr(labels[known].astype(float))
            if pd.notna(corr) and abs(corr) >= LEAK_CORRELATION:
                reason = f"correlates {corr:+.3f} with the target"
        if reason:
            out.append(
                {
                    "column": col.name,
                    "kind": "leakage",
                    "message": f"{col.name} {reason}: check it is known at prediction time",
                }
            )
    return out
