"""The forecast kind's training entry point: backtest every family, ensemble, calibrate.

Families run cheapest first. Before a local family starts, one series is timed and the
whole run projected; a family that would overrun the budget is skipped with a note, so
``--time-limit`` is the user's wall clock. The ensemble is chosen by greedy selection on
the backtest windows' MASE (Caruana et al.), bagged over the (window, series) cells
(``selection``), and its intervals are conformal on the same windows unless a single
family's own intervals are better calibrated there.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lepton.compute import Executor, InProcessExecutor, available_cores, make_executor
from lepton.errors import LeptonError
from lepton.learn.forecast.backtest import Backtest, backtest, plan_windows, run_chunk
from lepton.learn.forecast.blocks import Array, ForecastBlock, levels_for, quantile_from_interval
from lepton.learn.forecast.families import (
    LOG_SUFFIX,
    forecaster_names,
    forecaster_spec,
    warm_up,
)
from lepton.learn.forecast.intervals import (
    calibrate,
    coverage_error,
    model_coverage,
    out_of_window_coverage,
    scaled_residuals,
)
from lepton.learn.forecast.metrics import mase, naive_scale, report
from lepton.learn.forecast.model import FittedMember, ForecastModel
from lepton.learn.forecast.selection import ensemble_weights
from lepton.learn.forecast.series import ID, TARGET, SeriesSet, describe, prepare
from lepton.learn.forecast.settings import ForecastSettings
from lepton.learn.trials import FamilySearch, FamilyTrial

if TYPE_CHECKING:
    from lepton.learn.automl import AutoML

MIN_FAMILY_SECONDS = 0.5  # below this much budget left, no family starts (not even its probe)
IN_PROCESS_SECONDS = 3.0  # a family this quick runs in this process, not on the pool
POOL_START_SECONDS = 3.0  # starting workers and importing statsforecast in them
PACKAGING_RESERVE = 0.1  # of the budget, at least 1.5 s: ensembling, calibration, packaging
METRICS = ("mase", "smape", "rmse")
RESIDUAL_SAMPLE = 2000  # scaled backtest residuals kept for live residual-drift checks


def fit_forecast(automl: AutoML, frame: pd.DataFrame, column_kinds: dict[str, str]) -> AutoML:
    """``AutoML.fit`` for ``task="forecast"`` (named by ``lepton.runtime.kinds.forecast``)."""
    from lepton.learn.automl import LeaderboardRow

    settings = ForecastSettings.from_options(automl.options or {})
    budget = float(automl.time_limit)
    started = time.monotonic() - (time.time() - automl.started_)
    search_deadline = started + budget - max(1.5, PACKAGING_RESERVE * budget)
    metric = automl.metric or "mase"
    if metric not in METRICS:
        raise LeptonError(f"forecast metric must be one of {', '.join(METRICS)} (got {metric!r})")
    series = prepare(frame, automl.label, settings)
    notes = automl.notes_
    notes += series.notes
    _note_series(series, notes)
    n_windows = plan_windows(series, settings.horizon, settings.n_windows, notes)
    levels = levels_for(settings.quantiles)
    families = list(settings.families or automl.families or _default_families(series, notes))
    for name in families:
        forecaster_spec(name)  # a clear error for unknown names before anything runs
    _note_covariates(settings, families, notes)
    final_pass = not settings.known_covariates
    pool = _Pool(automl)
    warm_up()
    search = FamilySearch()
    results: list[Backtest] = []
    interrupted = False
    try:
        for name in families:
            remaining = search_deadline - time.monotonic()
            if remaining < MIN_FAMILY_SECONDS:
                note = f"skipped {name}: the budget is spent"
                notes.append(note)
                search.trials.append(FamilyTrial(name, False, 0.0, note))
                continue
            plan = _plan_family(name, series, settings.horizon, n_windows, levels, pool, remaining)
            if isinstance(plan, str):
                notes.append(plan)
                search.trials.append(FamilyTrial(name, False, 0.0, plan))
                continue
            try:
                result = backtest(
                    name,
                    series,
                    settings.horizon,
                    n_windows,
                    levels,
                    executor=plan,
                    deadline=search_deadline,
                    final_pass=final_pass,
                )
            except TimeoutError:
                interrupted = True
                note = f"{name} did not finish its backtest within the budget; stopped the search"
                notes.append(note)
                search.trials.append(FamilyTrial(name, False, 0.0, note))
                pool.cancel()
                break
            results.append(result)
            search.trials.append(FamilyTrial(name, True, result.seconds))
    finally:
        pool.close()
    if not results:
        raise LeptonError(
            f"no forecaster finished its backtest within the {budget:g} s budget; raise --time-limit"
        )
    scores = {r.family: _window_scores(r, metric) for r in results}
    weights = ensemble_weights(results, metric)
    model, summary = _assemble(
        automl.label, settings, series, results, weights, scores, metric, notes
    )
    automl.task_, automl.metric_, automl.n_folds_ = "forecast", metric, n_windows
    automl.validation_how_ = (
        f"backtest over {n_windows} expanding window(s) of {settings.horizon} steps "
        f"({describe(series)['n_series']} series, frequency {series.freq}): forecasts of "
        "models refitted at each window's cut-off"
    )
    automl.model_ = model
    automl.search_ = search
    automl.interrupted_ = interrupted
    automl.backtest_ = summary
    ensemble_windows = summary["ensemble_windows"]
    rows = []
    if sum(1 for w in weights.values() if w > 0) > 1:
        rows.append(
            LeaderboardRow(
                model="ensemble",
                family="ensemble",
                origin="bagged greedy selection on backtests",
                score=float(np.mean(ensemble_windows)),
                score_std=float(np.std(ensemble_windows)),
                fit_seconds=sum(r.seconds for r in results if weights.get(r.family, 0) > 0),
                predict_ms_per_row=0.0,
                weight=1.0,
                params={k: round(v, 4) for k, v in weights.items() if v > 0},
                windows=list(ensemble_windows),
            )
        )
    ranked = sorted(results, key=lambda r: float(np.mean(scores[r.family])))
    for r in ranked:
        rows.append(
            LeaderboardRow(
                model=r.family,
                family=r.family,
                origin="backtest",
                score=float(np.mean(scores[r.family])),
                score_std=float(np.std(scores[r.family])),
                fit_seconds=r.seconds,
                predict_ms_per_row=0.0,
                weight=weights.get(r.family, 0.0),
                params={},
                windows=list(scores[r.family]),
            )
        )
    automl.leaderboard_ = rows
    automl.fit_seconds_ = time.time() - automl.started_
    return automl


def _default_families(series: SeriesSet, notes: list[str]) -> list[str]:
    """The default families, each also on log(y) when every value is positive."""
    names = forecaster_names(default=True)
    if bool((series.frame[TARGET] > 0).all()):
        baselines = {"seasonal_naive", "naive", "drift"}
        logged = [f"{n}{LOG_SUFFIX}" for n in names if n not in baselines]
        notes.append("every value is positive: each model is also tried on log(y)")
        ordered = []
        for name in names:  # each log variant right after its family, so both share the budget
            ordered.append(name)
            if f"{name}{LOG_SUFFIX}" in logged:
                ordered.append(f"{name}{LOG_SUFFIX}")
        return ordered
    return names


def _note_series(series: SeriesSet, notes: list[str]) -> None:
    values = series.values()
    constant = [uid for uid, v in values.items() if np.ptp(v) == 0]
    if constant:
        notes.append(f"{len(constant)} constant series (e.g. {constant[0]!r}): forecast flat")
    short = [uid for uid, v in values.items() if len(v) < 2 * series.season]
    if short and series.season > 1:
        notes.append(
            f"{len(short)} series shorter than two seasons ({2 * series.season} steps): "
            "their seasonal models fall back to non-seasonal ones"
        )


def _note_covariates(settings: ForecastSettings, families: list[str], notes: list[str]) -> None:
    for kind, columns, attribute in (
        ("known", settings.known_covariates, "uses_known"),
        ("static", settings.static_covariates, "uses_static"),
    ):
        if not columns:
            continue
        ignoring = [f for f in families if not getattr(forecaster_spec(f), attribute)]
        using = [f for f in families if getattr(forecaster_spec(f), attribute)]
        if ignoring:
            notes.append(
                f"{kind} covariates {list(columns)} used by {', '.join(using) or 'no family'}; "
                f"ignored by {', '.join(ignoring)}, which cannot take them"
            )


class _Pool:
    """The worker pool, started only when a family is worth spreading over processes."""

    def __init__(self, automl: AutoML) -> None:
        self.given = automl.executor
        self.n_workers = automl.n_workers or available_cores()
        self.ray_address = automl.ray_address
        self.executor: Executor | None = automl.executor
        self.cancelled = False

    def get(self) -> Executor:
        if self.executor is None:
            self.executor = make_executor(self.n_workers, ray_address=self.ray_address)
            for _ in range(self.executor.n_workers):  # import statsforecast in every worker
                self.executor.submit(warm_up)
        return self.executor

    def cancel(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(cancel=True)
            self.cancelled = True

    def close(self) -> None:
        if self.executor is not None and self.given is None and not self.cancelled:
            self.executor.shutdown()


def _plan_family(
    name: str,
    series: SeriesSet,
    horizon: int,
    n_windows: int,
    levels: tuple[int, ...],
    pool: _Pool,
    remaining: float,
) -> Executor | str:
    """Where a family's backtest runs (in process, or on the pool), or why it is skipped.

    One series is timed through every window; the projection decides. Work that takes
    a few seconds in this process is not worth a pool's start-up and per-task traffic.
    """
    spec = forecaster_spec(name)
    if spec.build().is_global:
        return InProcessExecutor()  # one fit over all series, threaded inside LightGBM
    first = series.ids[0]
    probe = SeriesSet(
        series.frame[series.frame[ID] == first].reset_index(drop=True),
        series.freq,
        series.season,
        series.static,
        series.known,
    )
    cuts = [horizon * k for k in range(n_windows, 0, -1)]
    started = time.monotonic()
    run_chunk(name, probe, horizon, cuts, levels if spec.model_intervals else (), None)
    per_series = (time.monotonic() - started) * (n_windows + 1) / n_windows
    serial = per_series * len(series.ids)
    remaining -= time.monotonic() - started
    if serial <= max(IN_PROCESS_SECONDS, 0.02 * remaining) or pool.n_workers <= 1:
        if serial > remaining:
            return _skip_note(name, len(series.ids), serial, remaining)
        return InProcessExecutor()
    starting = POOL_START_SECONDS if pool.executor is None else 0.0
    parallel = serial / pool.n_workers + starting
    if parallel > remaining:
        return _skip_note(name, len(series.ids), parallel, remaining)
    return pool.get()


def _skip_note(name: str, n_series: int, projected: float, remaining: float) -> str:
    return (
        f"skipped {name}: its backtest on {n_series} series would take about "
        f"{projected:.0f} s, more than the {max(remaining, 0):.0f} s left"
    )


def _metric(metric: str, truth: Array, mean: Array, scale: Array) -> float:
    return report(truth, mean, scale)[metric] if metric != "mase" else mase(truth, mean, scale)


def _window_scores(result: Backtest, metric: str) -> list[float]:
    return [_metric(metric, w.truth, w.forecast.mean, w.scale) for w in result.windows]


def _assemble(
    target: str,
    settings: ForecastSettings,
    series: SeriesSet,
    results: list[Backtest],
    weights: dict[str, float],
    scores: dict[str, list[float]],
    metric: str,
    notes: list[str],
) -> tuple[ForecastModel, dict[str, Any]]:
    chosen = [r for r in results if weights.get(r.family, 0) > 0]
    n_windows = len(chosen[0].windows)
    truths = [chosen[0].windows[w].truth for w in range(n_windows)]
    scales = [chosen[0].windows[w].scale for w in range(n_windows)]
    means = [_blend(chosen, weights, w) for w in range(n_windows)]
    residuals = [scaled_residuals(t, m, s) for t, m, s in zip(truths, means, scales, strict=True)]
    conformal = calibrate(residuals, settings.quantiles)
    coverage = out_of_window_coverage(truths, means, scales, settings.quantiles)
    if n_windows < 2:
        conformal_q = [conformal.quantiles(m, s) for m, s in zip(means, scales, strict=True)]
        coverage = model_coverage(truths, conformal_q, settings.quantiles)
        notes.append("interval coverage measured in-sample: one backtest window only")
    source, how = (
        "conformal",
        "conformal from scaled backtest residuals (leave-one-window-out coverage)",
    )
    if len(chosen) == 1 and forecaster_spec(chosen[0].family).model_intervals:
        own = [
            {q: quantile_from_interval(w.forecast, q) for q in settings.quantiles}
            for w in chosen[0].windows
        ]
        own_coverage = model_coverage(truths, own, settings.quantiles)
        if coverage_error(own_coverage) < coverage_error(coverage):
            source, how, coverage = "model", f"{chosen[0].family}'s own intervals", own_coverage
        notes.append(
            f"intervals: {how} (backtest coverage {_fmt(coverage)}; "
            f"the other choice measured {_fmt(own_coverage if source == 'conformal' else out_of_window_coverage(truths, means, scales, settings.quantiles))})"
        )
    else:
        notes.append(f"intervals: {how}, backtest coverage {_fmt(coverage)}")
    final = _final(chosen, weights, series)
    full_scale = [naive_scale(v, series.season) for v in series.values().values()]
    window_metrics = []
    for w in range(n_windows):
        q = conformal.quantiles(means[w], scales[w])
        window_metrics.append(report(truths[w], means[w], scales[w], q))
    summary = {
        "metric": metric,
        "n_windows": n_windows,
        "horizon": settings.horizon,
        "ensemble_windows": [
            _metric(metric, t, m, s) for t, m, s in zip(truths, means, scales, strict=True)
        ],
        "windows": window_metrics,
        "coverage": coverage,
        "interval_source": source,
        "families": {name: values for name, values in scores.items()},
        **describe(series),
    }
    pooled = np.concatenate([r.ravel() for r in residuals])
    pooled = pooled[np.isfinite(pooled)]
    summary["residual_mean"] = float(np.mean(pooled)) if pooled.size else 0.0
    summary["residual_std"] = float(np.std(pooled)) if pooled.size else 0.0
    sample = np.random.default_rng(0).permutation(pooled)[:RESIDUAL_SAMPLE]
    members = [FittedMember(r.family, r.family, weights[r.family], r.fitted) for r in chosen]
    model = ForecastModel(
        settings,
        target,
        members,
        series,
        final,
        conformal=conformal,
        interval_source=source,
        details={
            "scales": full_scale,
            "scale_ids": series.ids,
            # scaled backtest residuals: what live residuals are compared with (monitoring)
            "residual_sample": [float(v) for v in sample],
            "backtest": {k: v for k, v in summary.items() if k != "windows"}
            | {
                "mean": {
                    k: float(np.mean([m[k] for m in window_metrics])) for k in window_metrics[0]
                }
            },
        },
    )
    return model, summary


def _blend(chosen: list[Backtest], weights: dict[str, float], window: int) -> Array:
    """The weighted ensemble's point forecast in one backtest window."""
    parts = [weights[r.family] * r.windows[window].forecast.mean for r in chosen]
    return np.asarray(np.sum(parts, axis=0), dtype=float)


def _final(chosen: list[Backtest], weights: dict[str, float], series: SeriesSet) -> ForecastBlock:
    """The ensemble's forecast past the end of the data (empty with known covariates)."""
    finals = [r.final.take(series.ids) for r in chosen if r.final is not None]
    if len(finals) != len(chosen):
        return ForecastBlock(series.ids, np.empty((len(series.ids), 0)))
    mean = sum(weights[r.family] * f.mean for r, f in zip(chosen, finals, strict=True))
    intervals = finals[0].intervals if len(finals) == 1 else {}
    return ForecastBlock(series.ids, np.asarray(mean), intervals)


def _fmt(coverage: dict[str, float]) -> str:
    return ", ".join(f"{k.split('_')[1]}%: {v:.1%}" for k, v in sorted(coverage.items())) or "n/a"
