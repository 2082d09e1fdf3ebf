"""Per-feature drift between a reference and a live window, with Evidently's defaults.

The verdicts must agree with Evidently's ``DataDriftPreset`` (the tests use it as an
oracle), so the rules below copy its source (``evidently.legacy.calculations``), not
its documentation:

- a column's type is inferred from the *current* frame: float → numeric; int → numeric
  unless it has ≤ 10 distinct values (then categorical); bool/category → categorical;
  strings → categorical; datetimes and other objects are skipped;
- NaN and ±inf are dropped from both sides before anything else;
- the test depends on the cleaned reference size and on the number of distinct values
  over both sides together (``n``): reference ≤ 1,000 rows → numeric with ``n > 5``: KS;
  otherwise chi-squared when ``n > 2`` and the two-proportion z-test when ``n ≤ 2``;
  reference > 1,000 rows → numeric with ``n > 5``: Wasserstein distance normed by the
  reference std (floor 0.001); everything else: Jensen-Shannon distance over value
  frequencies (natural log);
- p-value tests drift when ``p < 0.05`` (KS: ``p ≤ 0.05``); distances when ``≥ 0.1``;
  the dataset drifts when the share of drifted columns is ``≥ drift_share``.

Deliberate differences, each where Evidently would fail or silently skip a column:
unsigned and nullable (``Int64``/``Float64``/``boolean``) dtypes are treated like their
numpy counterparts; mostly-unique string columns (Evidently's "text") are treated as
categorical; a column that is empty on one side after cleaning is reported with test
``"empty"`` (drifted when only the current side is empty) instead of raising.

Everything is vectorised: values are sorted once (numeric) or factorised once
(categorical), so a million current rows cost a few hundred milliseconds per column.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats
from scipy.spatial import distance

__all__ = [
    "DriftReport",
    "FeatureDrift",
    "column_drift",
    "detect_drift",
    "detect_prediction_drift",
    "infer_kind",
]

SMALL_REFERENCE_ROWS = 1_000  # Evidently: reference ≤ 1,000 rows → statistical tests
FEW_VALUES = 5  # numeric columns with ≤ 5 distinct values are tested as categories
INTEGER_CARDINALITY_LIMIT = 10  # int columns with ≤ 10 distinct values are categorical
P_VALUE_THRESHOLD = 0.05
DISTANCE_THRESHOLD = 0.1
PSI_BINS = 10
PSI_EPSILON = 1e-4  # floor for an empty PSI bin, so a one-sided bin costs a lot, not ∞

# Schema kinds (lepton.learn.package.input_schema) → the type the tests see.
_SCHEMA_KINDS = {
    "numeric": "numeric",
    "categorical": "categorical",
    "boolean": "categorical",
    "binary": "categorical",
}

FloatArray = NDArray[np.float64]


@dataclass
class FeatureDrift:
    """One column's drift: which test ran, its score, and whether it crossed the line."""

    name: str
    kind: str  # "numeric" | "categorical" | "binary"
    test: str  # Evidently's names: ks, chisquare, z, wasserstein, jensenshannon (or empty)
    statistic: float  # KS D, chi², z, or the distance itself
    p_value: float | None  # None for distances
    threshold: float
    drifted: bool
    psi: float

    @property
    def score(self) -> float:
        """The number compared with ``threshold`` (Evidently's ``drift_score``)."""
        return self.p_value if self.p_value is not None else self.statistic


@dataclass
class DriftReport:
    """Drift of every compared column plus the dataset-level verdict."""

    features: list[FeatureDrift]
    share_drifted: float
    dataset_drift: bool
    reference_rows: int
    current_rows: int

    @property
    def drifted_features(self) -> list[str]:
        return [f.name for f in self.features if f.drifted]

    def feature(self, name: str) -> FeatureDrift:
        for f in self.features:
            if f.name == name:
                return f
        raise KeyError(name)

    def to_frame(self) -> pd.DataFrame:
        """One row a feature, most drifted first within each verdict."""
        columns = [
            "name",
            "kind",
            "test",
            "statistic",
            "p_value",
            "score",
            "threshold",
            "drifted",
            "psi",
        ]
        rows = [{**asdict(f), "score": f.score} for f in self.features]
        return pd.DataFrame(rows, columns=columns)


def infer_kind(column: pd.Series) -> str | None:
    """Evidently's type inference on one column: "numeric", "categorical" or None (skip)."""
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
        return "categorical"
    if pd.api.types.is_float_dtype(dtype):
        return "numeric"
    if pd.api.types.is_integer_dtype(dtype):
        return "categorical" if column.nunique() <= INTEGER_CARDINALITY_LIMIT else "numeric"
    if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        return "categorical"
    if pd.api.types.is_object_dtype(dtype):
        values = column.dropna()
        if len(values) and isinstance(values.iloc[0], str) and isinstance(values.iloc[-1], str):
            return "categorical"
    return None


def detect_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    kinds: dict[str, str] | None = None,
    drift_share: float = 0.5,
) -> DriftReport:
    """Drift of every column present in both frames (kinds forced by ``kinds`` where given)."""
    features: list[FeatureDrift] = []
    for name in current.columns:
        if name not in reference.columns:
            continue
        kind = _resolve_kind(current[name], (kinds or {}).get(str(name)))
        if kind is None:
            continue
        features.append(_drift(str(name), reference[name], current[name], kind))
    drifted = sum(f.drifted for f in features)
    share = drifted / len(features) if features else 0.0
    return DriftReport(
        features=features,
        share_drifted=share,
        dataset_drift=bool(features) and share >= drift_share,
        reference_rows=len(reference),
        current_rows=len(current),
    )


def column_drift(
    name: str, reference: pd.Series, current: pd.Series, *, kind: str | None = None
) -> FeatureDrift | None:
    """Drift of one column, or None when its type is one drift does not apply to."""
    resolved = _resolve_kind(current, kind)
    return None if resolved is None else _drift(name, reference, current, resolved)


def detect_prediction_drift(
    reference: pd.Series, current: pd.Series, *, kind: str | None = None
) -> FeatureDrift:
    """Prediction drift: the same rules applied to the model's output column.

    Class labels are categorical and probabilities/regression outputs numeric; pass
    ``kind`` when the dtype alone would mislead (e.g. integer class ids > 10 classes).
    """
    resolved = _resolve_kind(current, kind) or "categorical"
    return _drift(str(reference.name or current.name or "prediction"), reference, current, resolved)


def _resolve_kind(column: pd.Series, forced: str | None) -> str | None:
    if forced is None:
        return infer_kind(column)
    if forced == "datetime":
        return None
    if forced not in _SCHEMA_KINDS:
        raise ValueError(
            f"unknown column kind {forced!r} (expected one of {sorted(_SCHEMA_KINDS)})"
        )
    return _SCHEMA_KINDS[forced]


def _drift(name: str, reference: pd.Series, current: pd.Series, kind: str) -> FeatureDrift:
    if kind == "numeric":
        ref = _finite(reference)
        cur = _finite(current)
        if ref.size == 0 or cur.size == 0:
            return _empty(name, kind, current_empty=cur.size == 0, reference_empty=ref.size == 0)
        ref.sort()
        cur.sort()
        return _numeric_drift(name, ref, cur)
    ref_counts, cur_counts, keys = _category_counts(reference, current)
    n_ref, n_cur = int(ref_counts.sum()), int(cur_counts.sum())
    if n_ref == 0 or n_cur == 0:
        return _empty(name, kind, current_empty=n_cur == 0, reference_empty=n_ref == 0)
    return _categorical_drift(name, ref_counts, cur_counts, keys)


def _numeric_drift(name: str, ref: FloatArray, cur: FloatArray) -> FeatureDrift:
    """``ref`` and ``cur`` are sorted, finite, non-empty."""
    psi = _numeric_psi(ref, cur)
    ref_values, cur_values = _distinct_sorted(ref, FEW_VALUES), _distinct_sorted(cur, FEW_VALUES)
    few = ref_values is not None and cur_values is not None
    if few:
        assert ref_values is not None and cur_values is not None
        keys = np.union1d(ref_values, cur_values)
        few = keys.size <= FEW_VALUES
    if few:
        ref_counts = _sorted_counts(ref, keys)
        cur_counts = _sorted_counts(cur, keys)
        kind = "binary" if keys.size <= 2 else "numeric"
        result = _count_test(name, kind, ref_counts, cur_counts, list(keys), ref.size)
        result.psi = psi
        return result
    if ref.size <= SMALL_REFERENCE_ROWS:
        statistic, p_value = stats.ks_2samp(ref, cur)
        p = float(p_value)
        return FeatureDrift(
            name,
            "numeric",
            "ks",
            float(statistic),
            p,
            P_VALUE_THRESHOLD,
            p <= P_VALUE_THRESHOLD,
            psi,
        )
    norm = max(float(np.std(ref)), 0.001)
    value = _wasserstein_sorted(ref, cur) / norm
    return FeatureDrift(
        name,
        "numeric",
        "wasserstein",
        value,
        None,
        DISTANCE_THRESHOLD,
        value >= DISTANCE_THRESHOLD,
        psi,
    )


def _categorical_drift(
    name: str, ref_counts: NDArray[np.int64], cur_counts: NDArray[np.int64], keys: list[Any]
) -> FeatureDrift:
    kind = "binary" if len(keys) <= 2 else "categorical"
    result = _count_test(name, kind, ref_counts, cur_counts, keys, int(ref_counts.sum()))
    result.psi = _psi(ref_counts / ref_counts.sum(), cur_counts / cur_counts.sum())
    return result


def _count_test(
    name: str,
    kind: str,
    ref_counts: NDArray[np.int64],
    cur_counts: NDArray[np.int64],
    keys: list[Any],
    n_ref: int,
) -> FeatureDrift:
    """Chi-squared / z-test (small reference) or Jensen-Shannon over value counts."""
    n_cur = int(cur_counts.sum())
    if n_ref > SMALL_REFERENCE_ROWS:
        value = float(distance.jensenshannon(ref_counts / n_ref, cur_counts / n_cur))
        return FeatureDrift(
            name,
            kind,
            "jensenshannon",
            value,
            None,
            DISTANCE_THRESHOLD,
            value >= DISTANCE_THRESHOLD,
            0.0,
        )
    if len(keys) > 2:
        expected = ref_counts * (n_cur / n_ref)
        with np.errstate(divide="ignore", invalid="ignore"):
            # A category seen only in current has expected count 0: χ² = ∞, p = 0.
            statistic, p_value = stats.chisquare(cur_counts, expected)
        p = float(p_value)
        return FeatureDrift(
            name,
            kind,
            "chisquare",
            float(statistic),
            p,
            P_VALUE_THRESHOLD,
            p < P_VALUE_THRESHOLD,
            0.0,
        )
    z, p = _z_test(ref_counts, cur_counts, keys)
    return FeatureDrift(name, kind, "z", z, p, P_VALUE_THRESHOLD, p < P_VALUE_THRESHOLD, 0.0)


def _z_test(
    ref_counts: NDArray[np.int64], cur_counts: NDArray[np.int64], keys: list[Any]
) -> tuple[float, float]:
    """Two-proportion z-test, Evidently's way: the first sorted key is "0", the rest "1"."""
    ref_present = ref_counts > 0
    cur_present = cur_counts > 0
    if ref_present.sum() == 1 and cur_present.sum() == 1 and (ref_present == cur_present).all():
        return 0.0, 1.0
    first = _sorted_order(keys)[0]
    n1, n2 = int(ref_counts.sum()), int(cur_counts.sum())
    p1 = (n1 - int(ref_counts[first])) / n1
    p2 = (n2 - int(cur_counts[first])) / n2
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    return float(z), float(2 * (1 - stats.norm.cdf(np.abs(z))))


def _sorted_order(keys: list[Any]) -> list[int]:
    try:
        return sorted(range(len(keys)), key=lambda i: keys[i])
    except TypeError:  # mixed types: Evidently would raise; order by text instead
        return sorted(range(len(keys)), key=lambda i: str(keys[i]))


def _wasserstein_sorted(u: FloatArray, v: FloatArray) -> float:
    """First Wasserstein distance of two sorted samples (scipy's formula, one merge)."""
    merged = np.concatenate([u, v])
    merged.sort(kind="stable")  # two sorted runs: timsort merges them in linear time
    deltas = np.diff(merged)
    points = merged[:-1]
    u_cdf = np.searchsorted(u, points, side="right") / u.size
    v_cdf = np.searchsorted(v, points, side="right") / v.size
    return float(np.sum(np.abs(u_cdf - v_cdf) * deltas))


def _numeric_psi(ref: FloatArray, cur: FloatArray) -> float:
    """PSI over (up to) 10 reference-quantile bins; both arrays sorted."""
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, PSI_BINS + 1))[1:-1])
    ref_counts = np.diff(np.searchsorted(ref, edges, side="left"), prepend=0, append=ref.size)
    cur_counts = np.diff(np.searchsorted(cur, edges, side="left"), prepend=0, append=cur.size)
    return _psi(ref_counts / ref.size, cur_counts / cur.size)


def _psi(ref_share: FloatArray, cur_share: FloatArray) -> float:
    ref_share = np.maximum(ref_share, PSI_EPSILON)
    cur_share = np.maximum(cur_share, PSI_EPSILON)
    return float(np.sum((cur_share - ref_share) * np.log(cur_share / ref_share)))


def _finite(column: pd.Series) -> FloatArray:
    """Float values with NaN and ±inf removed (a copy, safe to sort in place)."""
    if pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return np.array(values[np.isfinite(values)], dtype=np.float64)


def _distinct_sorted(values: FloatArray, limit: int) -> FloatArray | None:
    """The distinct values of a sorted array, or None when there are more than ``limit``."""
    changes = np.flatnonzero(values[1:] != values[:-1])
    if changes.size >= limit:
        return None
    return np.concatenate([values[:1], values[changes + 1]])


def _sorted_counts(values: FloatArray, keys: FloatArray) -> NDArray[np.int64]:
    left = np.searchsorted(values, keys, side="left")
    right = np.searchsorted(values, keys, side="right")
    return (right - left).astype(np.int64)


def _category_counts(
    reference: pd.Series, current: pd.Series
) -> tuple[NDArray[np.int64], NDArray[np.int64], list[Any]]:
    """Counts of every non-null value on each side, aligned on the union of values."""
    ref_codes, ref_uniques = pd.factorize(reference, use_na_sentinel=True)
    cur_codes, cur_uniques = pd.factorize(current, use_na_sentinel=True)
    ref_keys = list(np.asarray(ref_uniques, dtype=object))
    cur_keys = list(np.asarray(cur_uniques, dtype=object))
    keys = list(dict.fromkeys(ref_keys + cur_keys))
    position = {k: i for i, k in enumerate(keys)}
    ref_counts = np.zeros(len(keys), dtype=np.int64)
    cur_counts = np.zeros(len(keys), dtype=np.int64)
    ref_counts[[position[k] for k in ref_keys]] = np.bincount(
        ref_codes[ref_codes >= 0], minlength=len(ref_keys)
    )
    cur_counts[[position[k] for k in cur_keys]] = np.bincount(
        cur_codes[cur_codes >= 0], minlength=len(cur_keys)
    )
    keep = [i for i, k in enumerate(keys) if not _is_infinite(k)]  # ±inf counts as missing
    return ref_counts[keep], cur_counts[keep], [keys[i] for i in keep]


def _is_infinite(value: Any) -> bool:
    return isinstance(value, float | np.floating) and bool(np.isinf(value))


def _empty(name: str, kind: str, *, current_empty: bool, reference_empty: bool) -> FeatureDrift:
    """No values on one side: a feature that vanished from live traffic has drifted."""
    return FeatureDrift(
        name=name,
        kind=kind,
        test="empty",
        statistic=float("nan"),
        p_value=None,
        threshold=float("nan"),
        drifted=current_empty and not reference_empty,
        psi=float("nan"),
    )


def jensen_shannon_distance(p: NDArray[np.float64], q: NDArray[np.float64]) -> float:
    """Base-2 Jensen-Shannon distance of two count vectors (0 when either is empty)."""
    if p.sum() <= 0 or q.sum() <= 0:
        return 0.0
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2

    def kl(a: np.ndarray, b: np.ndarray) -> float:
        keep = a > 0
        return float(np.sum(a[keep] * np.log2(a[keep] / b[keep])))

    return float(np.sqrt(max((kl(p, m) + kl(q, m)) / 2, 0.0)))
