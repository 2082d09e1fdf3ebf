"""The anomaly kind's training entry point: encode, score candidates, choose, threshold.

Candidates are the four detectors and their rank-averaged ensemble. Without a label the
most stable under bootstrap resampling wins (``selection.pair_stability``), the ensemble
whenever it is within one standard error of the best (``one_standard_error_choice``:
the proxy is noisy, the ensemble the robust default); with a 0/1 label
column (used only here and in evaluation, never as a feature) the best cross-validated
ROC-AUC wins. Candidates run cheapest first and stop at the budget, so ``--time-limit``
is the user's wall clock.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lepton.errors import DataError
from lepton.learn.anomaly.matrix import AnomalyMatrix
from lepton.learn.anomaly.model import AnomalyModel
from lepton.learn.anomaly.scoring import F64, ScoredDetector
from lepton.learn.anomaly.selection import (
    centrality,
    cv_auc,
    one_standard_error_choice,
    pair_stability,
    resample_scores,
    sample,
)
from lepton.learn.features import FeatureEncoder
from lepton.learn.trials import FamilySearch, FamilyTrial

if TYPE_CHECKING:
    from lepton.learn.automl import AutoML

DEFAULT_CONTAMINATION = 0.05  # without a label: the conventional 5% (scikit-learn's "auto" ≈ this)
MIN_ROWS = 20  # fewer rows leave no tail to estimate
RESERVE = 0.25  # of the budget (at least 1 s): the final fit on every row, and packaging
# LOF stays out of the ensemble: a local-density score, weakest on global anomalies (ADBench)
ENSEMBLE: tuple[str, ...] = ("isolation_forest", "ecod", "mahalanobis")
ORDER = ("ecod", "mahalanobis", "lof", "isolation_forest")  # cheapest first
CANDIDATES: list[tuple[str, ...]] = [  # cheapest first
    ("ecod",),
    ("mahalanobis",),
    ("lof",),
    ("isolation_forest",),
    ENSEMBLE,
]


def check_contamination(value: Any) -> float | None:
    if value is None:
        return None
    try:
        c = float(value)
    except (TypeError, ValueError):
        raise DataError(f"--contamination must be a number in (0, 0.5] (got {value!r})") from None
    if not 0 < c <= 0.5:
        raise DataError(f"--contamination must be in (0, 0.5] (got {c:g})")
    return c


def encode_label(values: pd.Series, column: str) -> tuple[np.ndarray, Any]:
    """A two-valued label → 0/1 (1 = anomaly: the value 1/True, else the rarer value)."""
    distinct = list(pd.unique(values.dropna()))
    if values.isna().any():
        raise DataError(f"label column {column!r} has missing values; fill or drop those rows")
    if len(distinct) != 2:
        raise DataError(
            f"label column {column!r} must have exactly two values (normal/anomaly), "
            f"found {len(distinct)}: {distinct[:5]}"
        )
    positive = next((v for v in distinct if v in (1, True, "1", "true", "anomaly")), None)
    if positive is None:
        positive = values.value_counts().idxmin()
    return (values == positive).to_numpy(dtype=np.int64), positive


def fit_anomaly(automl: AutoML, frame: pd.DataFrame, column_kinds: dict[str, str]) -> AutoML:
    """``AutoML.fit`` for ``task="anomaly"`` (named by ``lepton.runtime.kinds.anomaly``)."""
    from lepton.learn.automl import LeaderboardRow

    options = automl.options or {}
    budget = float(automl.time_limit)
    started = time.monotonic() - (time.time() - automl.started_)
    deadline = started + budget - max(1.0, RESERVE * budget)
    if len(frame) < MIN_ROWS:
        raise DataError(f"anomaly detection needs at least {MIN_ROWS} rows (got {len(frame)})")
    label = automl.target
    y = positive = None
    if label is not None:
        y, positive = encode_label(frame[label], label)
    contamination = check_contamination(options.get("contamination"))
    notes = automl.notes_
    if contamination is None:
        if y is not None:
            contamination = float(min(0.5, max(y.mean(), 1.0 / len(y))))
            notes.append(f"contamination {contamination:.3g}: the label's anomaly rate")
        else:
            contamination = DEFAULT_CONTAMINATION
            notes.append(f"contamination {contamination:g} (default; set --contamination)")
    features = frame.drop(columns=[label]) if label is not None else frame
    kinds = {c: k for c, k in column_kinds.items() if c != label}
    matrix = AnomalyMatrix(FeatureEncoder(kinds)).fit(features)
    notes += matrix.encoder.describe_drops()
    x = matrix.transform(features)
    metric = "roc_auc" if y is not None else "stability"
    search = FamilySearch()
    if y is not None:
        scored, interrupted = _by_auc(x, y, automl, deadline, search, notes)
    else:
        scored, interrupted = _by_stability(x, contamination, automl.seed, deadline, search, notes)
    scored.sort(key=lambda s: -float(np.mean(s[1])))
    best = scored[0][0]
    if y is None:
        best = one_standard_error_choice([(n, v) for n, v, _ in scored], ENSEMBLE)
        if best != scored[0][0]:
            notes.append(
                f"{_label(best)} chosen over {_label(scored[0][0])}: within one standard "
                "error of its stability (the ensemble is the default unless clearly beaten)"
            )
    detector, training_scores = ScoredDetector.fit_scored(best, x, automl.seed)
    rate = float((training_scores > 1.0 - contamination).mean())
    model = AnomalyModel(
        matrix,
        detector,
        contamination,
        label=label,
        positive=positive,
        training_rate=rate,
        details={
            "selection": {
                "metric": metric,
                "scores": {"+".join(n): round(float(np.mean(v)), 4) for n, v, _ in scored},
            }
        },
    )
    chosen_values = next(v for n, v, _ in scored if n == best)
    automl.task_, automl.metric_, automl.n_folds_ = "anomaly", metric, len(chosen_values)
    automl.validation_how_ = (
        f"{len(chosen_values)}-fold stratified cross-validation ROC-AUC against {label!r} "
        "(detectors fitted without the label)"
        if y is not None
        else "no label: stability over bootstrap resamples (mean of Spearman rank correlation "
        f"and top-{contamination:g} flag overlap) times centrality (rank agreement with the "
        "detectors' consensus), the ensemble unless a detector beats it by one standard error"
    )
    automl.model_ = model  # type: ignore[assignment]
    automl.search_ = search
    automl.interrupted_ = interrupted
    automl.leaderboard_ = [
        LeaderboardRow(
            model="+".join(names),
            family="ensemble" if len(names) > 1 else names[0],
            origin="rank-averaged" if len(names) > 1 else "detector",
            score=float(np.mean(values)),
            score_std=float(np.std(values)),
            fit_seconds=seconds,
            predict_ms_per_row=0.0,
            weight=1.0 if names == best else 0.0,
            params={},
        )
        for names, values, seconds in scored
    ]
    automl.fit_seconds_ = time.time() - automl.started_
    return automl


Scored = list[tuple[tuple[str, ...], list[float], float]]


def _label(names: tuple[str, ...]) -> str:
    return "+".join(names)


def _by_auc(
    x: np.ndarray,
    y: np.ndarray,
    automl: AutoML,
    deadline: float,
    search: FamilySearch,
    notes: list[str],
) -> tuple[Scored, bool]:
    """Each candidate's per-fold ROC-AUC, candidates in order until the budget is spent."""
    scored: Scored = []
    interrupted = False
    cost: dict[str, float] = {}
    for names in CANDIDATES:
        estimate = sum(cost.get(n, 0.0) for n in names)
        if scored and time.monotonic() + estimate > deadline:
            interrupted = True
            note = f"skipped {_label(names)}: the budget is spent"
            notes.append(note)
            search.trials.append(FamilyTrial(_label(names), False, 0.0, note))
            continue
        t0 = time.monotonic()
        values = cv_auc(names, x, y, automl.n_folds or 5, automl.seed, deadline)
        scored.append((names, values, time.monotonic() - t0))
        if len(names) == 1:
            cost[names[0]] = scored[-1][2]
        search.trials.append(FamilyTrial(_label(names), True, scored[-1][2]))
    return scored, interrupted


def _by_stability(
    x: np.ndarray,
    contamination: float,
    seed: int,
    deadline: float,
    search: FamilySearch,
    notes: list[str],
) -> tuple[Scored, bool]:
    """Stability x centrality of each detector's resamples; the ensemble reuses its members'."""
    rows = sample(x, seed)
    runs: dict[str, list[F64]] = {}
    seconds: dict[str, float] = {}
    interrupted = False
    for name in ORDER:
        if runs and time.monotonic() > deadline:
            interrupted = True
            note = f"skipped {name}: the budget is spent"
            notes.append(note)
            search.trials.append(FamilyTrial(name, False, 0.0, note))
            continue
        t0 = time.monotonic()
        done = resample_scores(name, rows, seed, deadline)
        seconds[name] = time.monotonic() - t0
        if len(done) < 2 and runs:
            interrupted = True
            note = f"dropped {name}: fewer than two resamples fitted within the budget"
            notes.append(note)
            search.trials.append(FamilyTrial(name, False, seconds[name], note))
            continue
        runs[name] = done
        search.trials.append(FamilyTrial(name, True, seconds[name]))
    n = min(len(r) for r in runs.values())
    members = [m for m in ENSEMBLE if m in runs]
    consensus = [np.mean([runs[m][r] for m in runs], axis=0) for r in range(n)]
    if len(members) > 1:
        name = _label(tuple(members))
        runs[name] = [np.mean([runs[m][r] for m in members], axis=0) for r in range(n)]
        seconds[name] = sum(seconds[m] for m in members)
    scored: Scored = []
    for name, values in runs.items():
        central = centrality(values[:n], consensus)
        pairs = [p * central for p in pair_stability(values[:n], contamination)] or [0.0]
        scored.append((tuple(name.split("+")), pairs, seconds[name]))
    return scored, interrupted
