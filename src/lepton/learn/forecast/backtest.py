"""Backtesting: expanding windows of the horizon's length, never a random split.

Window ``k`` (k = n..1) trains on each series without its last ``k·h`` steps and is
scored on the ``h`` steps after that; the last pass (k = 0) forecasts past the end of
the data, which is what the packaged model serves for known series. Local families run
per chunk of series on ``lepton.compute`` workers; a global family fits once per window.
"""

from __future__ import annotations

import time
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lepton.compute import Executor
from lepton.errors import DataError
from lepton.learn.forecast.base import Forecaster
from lepton.learn.forecast.blocks import Array, ForecastBlock
from lepton.learn.forecast.families import forecaster_spec
from lepton.learn.forecast.metrics import naive_scale
from lepton.learn.forecast.series import ID, TARGET, TIME, SeriesSet

MIN_TRAIN_POINTS = 4  # below this a window's training part holds no information


@dataclass
class Window:
    """One backtest window: what was known, what happened, what was forecast."""

    cut: int  # steps held out at the end of every series
    truth: Array  # (n_series, h)
    scale: Array  # (n_series,) MASE denominator from the training part
    forecast: ForecastBlock


@dataclass
class Backtest:
    """A family's backtest windows (oldest first) and its forecast past the end."""

    family: str
    windows: list[Window]
    final: ForecastBlock | None  # None when known covariates have no future values yet
    seconds: float
    fitted: Forecaster
    notes: list[str] = field(default_factory=list)


def plan_windows(series: SeriesSet, horizon: int, wanted: int, notes: list[str]) -> int:
    """How many windows the shortest series allows (a clear error when not even one)."""
    shortest = int(series.lengths().min())
    minimum = max(MIN_TRAIN_POINTS, series.season + 1 if series.season > 1 else MIN_TRAIN_POINTS)
    fits = (shortest - minimum) // horizon
    if fits < 1:
        raise DataError(
            f"the shortest series has {shortest} points: too few for a {horizon}-step horizon "
            f"(a backtest needs at least {minimum + horizon}); lower --horizon or add history",
            field="horizon",
        )
    if fits < wanted:
        notes.append(
            f"{fits} backtest window(s) instead of {wanted}: the shortest series has {shortest} points"
        )
    return min(wanted, fits)


def future_frame(series: SeriesSet, cut: int, horizon: int) -> pd.DataFrame:
    """Rows (id, ds, known covariates) of the ``horizon`` steps after each truncated series."""
    position = series.frame.groupby(ID, sort=False).cumcount(ascending=False)
    chosen = series.frame[(position < cut) & (position >= cut - horizon)]
    return chosen[[ID, TIME, *series.known]].reset_index(drop=True)


def _truth(series: SeriesSet, cut: int, horizon: int) -> Array:
    position = series.frame.groupby(ID, sort=False).cumcount(ascending=False)
    chosen = series.frame[(position < cut) & (position >= cut - horizon)]
    return chosen[TARGET].to_numpy(dtype=float).reshape(-1, horizon)


def run_chunk(
    family: str,
    series: SeriesSet,
    horizon: int,
    cuts: list[int],
    levels: tuple[int, ...],
    future_end: pd.DataFrame | None,
) -> list[ForecastBlock]:
    """A local family over some series, every window and the final pass (a worker task)."""
    forecaster = forecaster_spec(family).build().fit(series, horizon)
    blocks = []
    for cut in cuts:
        history = series.truncate(cut)
        future = future_frame(series, cut, horizon) if cut else future_end
        blocks.append(forecaster.predict(history, horizon, future, levels))
    return blocks


def backtest(
    family: str,
    series: SeriesSet,
    horizon: int,
    n_windows: int,
    levels: tuple[int, ...],
    *,
    executor: Executor,
    deadline: float,
    final_pass: bool = True,
) -> Backtest:
    """Score ``family`` on every window; raises ``TimeoutError`` if the deadline passes.

    ``final_pass`` adds the forecast past the end of the data (impossible when known
    covariates have no future values yet).
    """
    started = time.monotonic()
    cuts = [horizon * k for k in range(n_windows, 0, -1)] + ([0] if final_pass else [])
    future_end = None
    spec = forecaster_spec(family)
    levels = levels if spec.model_intervals else ()  # the others get conformal intervals
    forecaster = spec.build()
    if forecaster.is_global:
        blocks = []
        for cut in cuts:
            if time.monotonic() > deadline:
                raise TimeoutError(family)
            history = series.truncate(cut)
            fitted = spec.build().fit(history, horizon)
            future = future_frame(series, cut, horizon) if cut else future_end
            blocks.append(fitted.predict(history, horizon, future, ()))
        forecaster = fitted if final_pass else spec.build().fit(series, horizon)
    else:
        blocks = _local(family, series, horizon, cuts, levels, executor, deadline, future_end)
        forecaster = forecaster.fit(series, horizon)
    ids = series.ids
    blocks = [block.take(ids) for block in blocks]
    windows = []
    for cut, block in zip(cuts[:n_windows], blocks[:n_windows], strict=True):
        train = series.truncate(cut)
        scale = np.array([naive_scale(v, series.season) for v in train.values().values()])
        windows.append(Window(cut, _truth(series, cut, horizon), scale, block))
    final = blocks[-1] if final_pass else None
    return Backtest(family, windows, final, time.monotonic() - started, forecaster)


def _local(
    family: str,
    series: SeriesSet,
    horizon: int,
    cuts: list[int],
    levels: tuple[int, ...],
    executor: Executor,
    deadline: float,
    future_end: pd.DataFrame | None,
) -> list[ForecastBlock]:
    ids = series.ids
    n_chunks = min(len(ids), max(1, executor.n_workers * 4))
    chunks = [
        list(part) for part in np.array_split(np.asarray(ids, dtype=object), n_chunks) if len(part)
    ]
    futures: list[Future[list[ForecastBlock]]] = []
    for chunk in chunks:
        wanted = set(chunk)
        part = SeriesSet(
            series.frame[series.frame[ID].isin(wanted)].reset_index(drop=True),
            series.freq,
            series.season,
            series.static,
            series.known,
        )
        end = future_end[future_end[ID].isin(wanted)] if future_end is not None else None
        futures.append(executor.submit(run_chunk, family, part, horizon, cuts, levels, end))
    results = []
    for future in futures:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            _cancel(futures)
            raise TimeoutError(family)
        try:
            results.append(future.result(timeout=remaining))
        except TimeoutError:
            _cancel(futures)
            raise
    return [ForecastBlock.concat([r[i] for r in results]) for i in range(len(cuts))]


def _cancel(futures: list[Future[list[ForecastBlock]]]) -> None:
    for future in futures:
        future.cancel()
