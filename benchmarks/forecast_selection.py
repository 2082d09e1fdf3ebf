"""Which ensemble-selection rule forecasts best out of sample? A study on a development suite.

``benchmarks/forecast.py`` holds out the last horizon of each benchmark set; a rule chosen
because it wins there is tuned on the test. This study chooses the rule elsewhere: on real
series that ship inside statsmodels and are *not* benchmark sets (elec_equip, elnino,
sunspots, nile, danish_data, interest_inflation; all public domain per their
``COPYRIGHT``), plus the two benchmark sets at earlier origins whose held-out part ends
before the benchmark's own test begins. ``co2`` is left out (kept for an independent
evaluation).

For every (set, origin) every default family is backtested once, exactly as ``lepton
train`` does (same windows, same code), and forecasts the held-out horizon after the
origin. Each rule then turns the same backtests into weights; its held-out MASE is scored
against plain greedy selection on the mean window MASE, Lepton's rule before this study
(it now ships "bagged greedy", ``lepton.learn.forecast.selection``). No time limit: the
rules, not the budget, are compared. Backtests are cached in ``benchmarks/.cache`` (the
rules re-score in seconds; ``--fresh`` recomputes them).

    .venv/bin/python benchmarks/forecast_selection.py               # study, table + JSON
    .venv/bin/python benchmarks/forecast_selection.py --benchmark   # also the benchmark test sets

Results: a table on stdout and ``benchmarks/results/forecast_selection.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from forecast import DATASETS  # noqa: E402

RESULTS = HERE / "results"
CACHE = HERE / ".cache" / "forecast_selection"


@dataclass
class Case:
    """One forecasting problem: a training part and the horizon right after it."""

    name: str
    train: pd.DataFrame  # long form: unique_id, ds, y
    test: pd.DataFrame
    horizon: int
    development: bool  # False: a benchmark set's own test horizon (reported, never chosen on)


def _long(frame: pd.DataFrame, stamps: pd.DatetimeIndex, columns: list[str]) -> pd.DataFrame:
    return pd.concat(
        [
            pd.DataFrame({"unique_id": c, "ds": stamps, "y": frame[c].to_numpy(float)})
            for c in columns
        ],
        ignore_index=True,
    )


def _statsmodels_sets() -> dict[str, tuple[pd.DataFrame, int]]:
    """Real series from statsmodels (long form) with the horizon each is forecast at."""
    from statsmodels.datasets import (
        danish_data,
        elec_equip,
        elnino,
        interest_inflation,
        nile,
        sunspots,
    )

    sets: dict[str, tuple[pd.DataFrame, int]] = {}
    raw = elec_equip.load_pandas().data
    sets["elec_equip"] = (
        _long(raw.set_axis(["y"], axis=1), pd.DatetimeIndex(raw.index), ["y"]),
        12,
    )
    raw = elnino.load_pandas().data
    monthly = raw.drop(columns="YEAR").to_numpy(float).ravel()
    stamps = pd.date_range(f"{int(raw['YEAR'].iloc[0])}-01-01", periods=monthly.size, freq="MS")
    sets["elnino"] = (_long(pd.DataFrame({"sst": monthly}), stamps, ["sst"]), 12)
    raw = sunspots.load_pandas().data
    stamps = pd.to_datetime(raw["YEAR"].astype(int).astype(str), format="%Y")
    sets["sunspots"] = (_long(raw, pd.DatetimeIndex(stamps), ["SUNACTIVITY"]), 10)
    raw = nile.load_pandas().data
    stamps = pd.to_datetime(raw["year"].astype(int).astype(str), format="%Y")
    sets["nile"] = (_long(raw, pd.DatetimeIndex(stamps), ["volume"]), 10)
    raw = danish_data.load_pandas().data
    sets["danish_data"] = (_long(raw, pd.DatetimeIndex(raw.index), list(raw.columns)), 4)
    raw = interest_inflation.load_pandas().data
    stamps = pd.PeriodIndex.from_fields(
        year=raw["year"].astype(int), quarter=raw["quarter"].astype(int), freq="Q"
    ).to_timestamp(how="start")
    sets["interest_inflation"] = (_long(raw, pd.DatetimeIndex(stamps), ["Dp", "R"]), 8)
    return sets


def _cut(long: pd.DataFrame, end: int, horizon: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training part without the last ``end`` steps, and the ``horizon`` steps after it."""
    long = long.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    position = long.groupby("unique_id").cumcount(ascending=False)
    train = long[position >= end + horizon].reset_index(drop=True)
    test = long[(position < end + horizon) & (position >= end)].reset_index(drop=True)
    return train, test


def cases(origins: int, benchmark: bool) -> list[Case]:
    """Rolling origins one horizon apart on the development sets (most recent first)."""
    out = []
    for name, (long, horizon) in _statsmodels_sets().items():
        for k in range(origins):
            train, test = _cut(long, k * horizon, horizon)
            out.append(Case(f"{name}@-{k * horizon}", train, test, horizon, True))
    for name in ("air_passengers", "macrodata"):
        data = DATASETS[name]()
        full = pd.concat([data.train, data.test], ignore_index=True)
        h = data.horizon
        for k in range(1, origins + 1):  # held-out parts that end before the benchmark's test
            train, test = _cut(full, k * h, h)
            out.append(Case(f"{name}@-{k * h}", train, test, h, True))
        if benchmark:
            out.append(Case(f"{name} (benchmark test)", data.train, data.test, h, False))
    return out


@dataclass
class Backtests:
    """Every family's window forecasts and held-out forecast for one case."""

    families: list[str]
    windows: list[list[np.ndarray]]  # [family][window] -> (n_series, h)
    truths: list[np.ndarray]
    scales: list[np.ndarray]
    held_out: list[np.ndarray]  # [family] -> (n_series, h)
    truth: np.ndarray
    scale: np.ndarray

    def subset(self, keep: Callable[[str], bool]) -> Backtests:
        picked = [j for j, f in enumerate(self.families) if keep(f)]
        return Backtests(
            [self.families[j] for j in picked],
            [self.windows[j] for j in picked],
            self.truths,
            self.scales,
            [self.held_out[j] for j in picked],
            self.truth,
            self.scale,
        )


def run_backtests(case: Case, console: Console, extra: list[str]) -> Backtests | None:
    from lepton.compute import InProcessExecutor
    from lepton.learn.forecast.automl import _default_families
    from lepton.learn.forecast.backtest import backtest, plan_windows
    from lepton.learn.forecast.families import LOG_SUFFIX
    from lepton.learn.forecast.metrics import naive_scale
    from lepton.learn.forecast.series import prepare
    from lepton.learn.forecast.settings import ForecastSettings

    settings = ForecastSettings(time_column="ds", horizon=case.horizon, id_column="unique_id")
    series = prepare(case.train.rename(columns={"y": "value"}), "value", settings)
    notes: list[str] = []
    try:
        n_windows = plan_windows(series, case.horizon, settings.n_windows, notes)
    except Exception as exc:  # too short at this origin
        console.print(f"[yellow]{case.name}: skipped ({exc})")
        return None
    ids = series.ids
    test = case.test.sort_values(["unique_id", "ds"])
    truth = np.vstack([test[test["unique_id"] == i]["y"].to_numpy(float) for i in ids])
    values = series.values()
    scale = np.array([naive_scale(values[i], series.season) for i in ids])
    families, windows, held_out = [], [], []
    truths: list[np.ndarray] = []
    scales: list[np.ndarray] = []
    names = _default_families(series, [])
    positive = any(n.endswith(LOG_SUFFIX) for n in names)
    for name in extra:
        names += [name, f"{name}{LOG_SUFFIX}"] if positive else [name]
    for family in names:
        result = backtest(
            family,
            series,
            case.horizon,
            n_windows,
            (),
            executor=InProcessExecutor(),
            deadline=math.inf,
        )
        assert result.final is not None
        families.append(family)
        windows.append([w.forecast.mean for w in result.windows])
        truths = [w.truth for w in result.windows]
        scales = [w.scale for w in result.windows]
        held_out.append(result.final.take(ids).mean)
    return Backtests(families, windows, truths, scales, held_out, truth, scale)


def cached_backtests(
    case: Case, console: Console, extra: list[str], fresh: bool
) -> Backtests | None:
    """The case's backtests from the cache, or computed and cached."""
    key = "".join(c if c.isalnum() else "_" for c in case.name) + "-" + "_".join(extra)
    path = CACHE / f"{key}.npz"
    if path.exists() and not fresh:
        with np.load(path, allow_pickle=False) as saved:
            return Backtests(
                [str(f) for f in saved["families"]],
                [list(w) for w in saved["windows"]],
                list(saved["truths"]),
                list(saved["scales"]),
                list(saved["held_out"]),
                saved["truth"],
                saved["scale"],
            )
    backtests = run_backtests(case, console, extra)
    if backtests is not None:
        CACHE.mkdir(parents=True, exist_ok=True)
        np.savez(
            path,
            families=np.array(backtests.families),
            windows=np.array([np.stack(w) for w in backtests.windows]),
            truths=np.stack(backtests.truths),
            scales=np.stack(backtests.scales),
            held_out=np.stack(backtests.held_out),
            truth=backtests.truth,
            scale=backtests.scale,
        )
    return backtests


def _mase(truth: np.ndarray, pred: np.ndarray, scale: np.ndarray) -> float:
    return float(np.mean(np.mean(np.abs(truth - pred), axis=1) / scale))


def _greedy(
    b: Backtests, loss: Callable[[list[np.ndarray]], float], rounds: int = 25
) -> np.ndarray:
    """Caruana's greedy selection with replacement under any loss of the window forecasts."""
    counts = np.zeros(len(b.families))
    current: list[np.ndarray] | None = None
    best = math.inf
    for _ in range(rounds):
        n = counts.sum()
        trials = []
        for j in range(len(b.families)):
            trial = [
                f if current is None else (c * n + f) / (n + 1)
                for c, f in zip(current or b.windows[j], b.windows[j], strict=True)
            ]
            trials.append((loss(trial), j, trial))
        value, choice, trial = min(trials, key=lambda t: t[0])
        if current is not None and value >= best - 1e-12:
            break
        current, best = trial, value
        counts[choice] += 1
    return counts / counts.sum()


def _window_mases(b: Backtests, forecasts: list[np.ndarray]) -> np.ndarray:
    return np.array([_mase(t, f, s) for t, f, s in zip(b.truths, forecasts, b.scales, strict=True)])


def rule_greedy(b: Backtests) -> np.ndarray:
    """Lepton's rule before this study: greedy on the mean of the windows' MASE."""
    return _greedy(b, lambda f: float(np.mean(_window_mases(b, f))))


def rule_greedy_last(b: Backtests) -> np.ndarray:
    """AutoGluon's default: greedy on the last window only."""
    return _greedy(b, lambda f: _window_mases(b, f)[-1])


def rule_mean_std(b: Backtests) -> np.ndarray:
    """Greedy on mean + std of the windows' MASE: steady across regimes wins ties."""
    return _greedy(b, lambda f: float(np.mean(m := _window_mases(b, f)) + np.std(m)))


def rule_worst_window(b: Backtests) -> np.ndarray:
    """Greedy on the worst window's MASE (minimax over the backtest's regimes)."""
    return _greedy(b, lambda f: float(np.max(_window_mases(b, f))))


def rule_bagged(b: Backtests) -> np.ndarray:
    """Lepton's rule since this study: greedy averaged over bootstrap resamples of the cells."""
    from lepton.learn.forecast.selection import bagged_weights

    forecasts = np.stack([np.stack(w) for w in b.windows])
    return bagged_weights(forecasts, np.stack(b.truths), np.stack(b.scales), "mase")


def rule_best_single(b: Backtests) -> np.ndarray:
    """No ensemble: the family with the lowest mean window MASE."""
    scores = [np.mean(_window_mases(b, w)) for w in b.windows]
    weights = np.zeros(len(b.families))
    weights[int(np.argmin(scores))] = 1.0
    return weights


RULES: dict[str, Callable[[Backtests], np.ndarray]] = {
    "greedy (before)": rule_greedy,
    "greedy, last window": rule_greedy_last,
    "greedy, mean+std": rule_mean_std,
    "greedy, worst window": rule_worst_window,
    "bagged greedy": rule_bagged,
    "best single": rule_best_single,
}


def evaluate(full: Backtests, extra: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"families": {}, "rules": {}}
    for family, forecast in zip(full.families, full.held_out, strict=True):
        out["families"][family] = _mase(full.truth, forecast, full.scale)
    default = full.subset(lambda f: f.split("+")[0] not in extra)
    for name in rule_names(extra):
        b = full if name.endswith(EXTRA) else default
        weights = RULES[name.removesuffix(EXTRA)](b)
        forecast = np.sum([w * f for w, f in zip(weights, b.held_out, strict=True)], axis=0)
        out["rules"][name] = {
            "mase": _mase(b.truth, forecast, b.scale),
            "weights": {
                f: round(float(w), 3) for f, w in zip(b.families, weights, strict=True) if w
            },
        }
    return out


EXTRA = " +extra"


def rule_names(extra: list[str]) -> list[str]:
    return list(RULES) + ([f"{n}{EXTRA}" for n in RULES] if extra else [])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--origins", type=int, default=3, help="rolling origins per set")
    parser.add_argument(
        "--benchmark", action="store_true", help="also report the benchmark sets' own test"
    )
    parser.add_argument("--only", nargs="*", help="case name prefixes to run")
    parser.add_argument("--fresh", action="store_true", help="recompute cached backtests")
    parser.add_argument(
        "--extra",
        nargs="*",
        default=["damped_ets", "auto_ces", "dynamic_theta"],
        help="on-request families also tried (rules marked +extra may pick them)",
    )
    args = parser.parse_args()
    console = Console(width=200)
    results: dict[str, Any] = {}
    for case in cases(args.origins, args.benchmark):
        if args.only and not any(case.name.startswith(p) for p in args.only):
            continue
        started = time.perf_counter()
        backtests = cached_backtests(case, console, args.extra, args.fresh)
        if backtests is None:
            continue
        results[case.name] = evaluate(backtests, args.extra) | {
            "development": case.development,
            "seconds": time.perf_counter() - started,
        }
        current = results[case.name]["rules"]["greedy (before)"]["mase"]
        console.print(
            f"{case.name}: greedy (before) {current:.3f} "
            + " ".join(f"{k}={v['mase']:.3f}" for k, v in results[case.name]["rules"].items())
            + f" ({results[case.name]['seconds']:.0f} s)"
        )
    names = rule_names(args.extra)
    summary = summarise(results, names)
    render(results, summary, names, console)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "forecast_selection.json"
    path.write_text(json.dumps({"cases": results, "summary": summary}, indent=2))
    console.print(f"wrote {path.relative_to(HERE.parent)}")
    return 0


def summarise(results: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """Per rule, over the development cases: geometric mean ratio to plain greedy, wins."""
    dev = [r for r in results.values() if r["development"]]
    out = {}
    for name in names:
        ratios = [r["rules"][name]["mase"] / r["rules"]["greedy (before)"]["mase"] for r in dev]
        out[name] = {
            "geo_mean_ratio": float(np.exp(np.mean(np.log(ratios)))) if ratios else None,
            "better": sum(x < 1 - 1e-9 for x in ratios),
            "worse": sum(x > 1 + 1e-9 for x in ratios),
            "cases": len(ratios),
        }
    return out


def render(
    results: dict[str, Any], summary: dict[str, Any], names: list[str], console: Console
) -> None:
    cases = Table(title="held-out MASE per case (lower is better)")
    for column in ("case", "greedy (before)", "best rule", "best family"):
        cases.add_column(column, justify="left" if column == "case" else "right")
    for case, r in results.items():
        rule = min(names, key=lambda n: r["rules"][n]["mase"])
        family = min(r["families"].items(), key=lambda kv: kv[1])
        cases.add_row(
            case + ("" if r["development"] else " *"),
            f"{r['rules']['greedy (before)']['mase']:.3f}",
            f"{rule} {r['rules'][rule]['mase']:.3f}",
            f"{family[0]} {family[1]:.3f}",
        )
    console.print(cases)
    tests = [c for c, r in results.items() if not r["development"]]
    rules = Table(title="selection rules over the development cases (ratio < 1: better)")
    for column in ("rule", "geo-mean ratio to greedy (before)", "better / worse", *tests):
        rules.add_column(column, justify="left" if column == "rule" else "right")
    for name in names:
        rules.add_row(
            name,
            f"{summary[name]['geo_mean_ratio']:.3f}",
            f"{summary[name]['better']} / {summary[name]['worse']} of {summary[name]['cases']}",
            *[f"{results[c]['rules'][name]['mase']:.3f}" for c in tests],
        )
    console.print(rules)
    console.print("* a benchmark set's own test horizon: reported, never used to choose a rule")


if __name__ == "__main__":
    raise SystemExit(main())
