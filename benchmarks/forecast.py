"""Forecasting benchmark: Lepton vs seasonal naive, AutoETS and AutoGluon-TimeSeries, one run.

Every system forecasts the same held-out horizon after the same training part, in its own
process; AutoGluon runs from its own environment (``benchmarks/setup_forecast_peers.sh``
creates ``benchmarks/.venv-agts``) so it never becomes a project dependency. Runners only
write forecasts and timings; this harness scores them all the same way, with Lepton's
metric code: MASE (scale: each series' in-sample seasonal-naive error on the training
part), sMAPE, RMSE, wQL over the 0.1/0.5/0.9 quantiles and coverage of the 80% interval.

Data sets (real data only, nothing downloaded):

* ``air_passengers`` — monthly international airline passengers 1949-1960 (thousands),
  ``shared/datasets/air_passengers.parquet``, extracted from pmdarima==2.1.1
  (``datasets.load_airpassengers()``; MIT per the pmdarima package metadata; the series is
  Box & Jenkins' classic). Last 24 months held out, horizon 24, season 12.
* ``macrodata`` — US macroeconomic data 1959Q1-2009Q3 shipped inside statsmodels
  (``statsmodels.api.datasets.macrodata``; its ``COPYRIGHT`` attribute reads "This is
  public domain."; compiled by Skipper Seabold from FRED, Federal Reserve Bank of St.
  Louis). Eight positive quarterly series (realgdp, realcons, realinv, realgovt, realdpi,
  cpi, m1, pop) in long form; last 8 quarters (2007Q4-2009Q3) held out, horizon 8.
* ``generated_1000x200`` — speed only: 1,000 synthetic monthly series of 200 training
  points (level + trend + yearly seasonality + noise, ``numpy`` seed 0) plus 12 held-out
  points, horizon 12. Its MASE is reported but it is not a real set.

Peers: seasonal naive and AutoETS (statsforecast, no time limit: their wall time is
reported), and AutoGluon-TimeSeries with local models only (Naive, SeasonalNaive, ETS,
Theta, AutoARIMA + its weighted ensemble) at the same time limit as Lepton.

    .venv/bin/python benchmarks/forecast.py                       # everything, one run
    .venv/bin/python benchmarks/forecast.py --datasets air_passengers --systems lepton seasonal_naive
    .venv/bin/python benchmarks/forecast.py --render               # re-print benchmarks/results/forecast.json

Results: a table on stdout and ``benchmarks/results/forecast.json`` (written after every run).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATASETS_DIR = HERE.parents[1] / "shared" / "datasets"
AGTS_PYTHON = HERE / ".venv-agts" / "bin" / "python"
RESULTS = HERE / "results"
QUANTILES = (0.1, 0.5, 0.9)
SYSTEMS = ("lepton", "seasonal_naive", "auto_ets", "autogluon")
PEERS = SYSTEMS[1:]
OVERSHOOT_TOLERANCE = 0.10  # the "limit honoured within 10%"
COVERAGE_TARGET = (0.75, 0.85)  # 80% intervals on Lepton's backtests


@dataclass
class Dataset:
    name: str
    train: pd.DataFrame  # long form: unique_id, ds, y
    test: pd.DataFrame
    horizon: int
    freq: str  # pandas frequency the peers are told
    season: int
    time_limit: float
    time_column: str  # the user's column names, as Lepton is called with them
    target: str
    real: bool
    source: str
    licence: str


@dataclass
class Result:
    system: str
    dataset: str
    time_limit: float
    status: str
    metrics: dict[str, float]
    fit_seconds: float | None
    overshoot_pct: float | None
    wall_seconds: float
    info: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def _split(long: pd.DataFrame, horizon: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    long = long.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    position = long.groupby("unique_id").cumcount(ascending=False)
    return (
        long[position >= horizon].reset_index(drop=True),
        long[position < horizon].reset_index(drop=True),
    )


def air_passengers() -> Dataset:
    raw = pd.read_parquet(DATASETS_DIR / "air_passengers.parquet")
    long = pd.DataFrame(
        {
            "unique_id": "series",
            "ds": pd.to_datetime(raw["month"]),
            "y": raw["passengers"].astype(float),
        }
    )
    train, test = _split(long, 24)
    return Dataset(
        "air_passengers",
        train,
        test,
        horizon=24,
        freq="MS",
        season=12,
        time_limit=60,
        time_column="month",
        target="passengers",
        real=True,
        source="shared/datasets/air_passengers.parquet (pmdarima==2.1.1 load_airpassengers)",
        licence="MIT (pmdarima package metadata)",
    )


MACRO_SERIES = ("realgdp", "realcons", "realinv", "realgovt", "realdpi", "cpi", "m1", "pop")


def macrodata() -> Dataset:
    import statsmodels
    from statsmodels.datasets import macrodata as source

    raw = source.load_pandas().data
    quarters = pd.PeriodIndex.from_fields(
        year=raw["year"].astype(int), quarter=raw["quarter"].astype(int), freq="Q"
    ).to_timestamp(how="start")
    long = pd.concat(
        [
            pd.DataFrame({"unique_id": name, "ds": quarters, "y": raw[name].astype(float)})
            for name in MACRO_SERIES
        ],
        ignore_index=True,
    )
    assert bool((long["y"] > 0).all())
    train, test = _split(long, 8)
    return Dataset(
        "macrodata",
        train,
        test,
        horizon=8,
        freq="QS",
        season=4,
        time_limit=60,
        time_column="quarter",
        target="value",
        real=True,
        source=f"statsmodels=={statsmodels.__version__} datasets.macrodata ({source.TITLE})",
        licence=f"statsmodels COPYRIGHT: {source.COPYRIGHT!r}",
    )


def generated(n_series: int = 1000, length: int = 200, horizon: int = 12) -> Dataset:
    """Level + trend + yearly seasonality + noise, every value positive; seed fixed."""
    rng = np.random.default_rng(0)
    total = length + horizon
    t = np.arange(total, dtype=float)
    level = rng.uniform(50, 500, (n_series, 1))
    slope = rng.normal(0.0, 0.0008, (n_series, 1)) * level
    amplitude = rng.uniform(0.05, 0.3, (n_series, 1)) * level
    phase = rng.uniform(0, 2 * np.pi, (n_series, 1))
    noise = rng.normal(0.0, 1.0, (n_series, total)) * rng.uniform(0.02, 0.1, (n_series, 1)) * level
    values = level + slope * t + amplitude * np.sin(2 * np.pi * t / 12 + phase) + noise
    values = np.maximum(values, 1.0)
    stamps = pd.date_range("2000-01-01", periods=total, freq="MS")
    long = pd.DataFrame(
        {
            "unique_id": np.repeat([f"s{i:04d}" for i in range(n_series)], total),
            "ds": np.tile(stamps, n_series),
            "y": values.ravel(),
        }
    )
    train, test = _split(long, horizon)
    return Dataset(
        "generated_1000x200",
        train,
        test,
        horizon=horizon,
        freq="MS",
        season=12,
        time_limit=120,
        time_column="month",
        target="value",
        real=False,
        source="generated in this script (numpy seed 0)",
        licence="n/a (synthetic)",
    )


DATASETS: dict[str, Callable[[], Dataset]] = {
    "air_passengers": air_passengers,
    "macrodata": macrodata,
    "generated_1000x200": generated,
}


def score(data: Dataset, forecasts: pd.DataFrame) -> dict[str, float]:
    """Lepton's own metric code on every system's forecasts (same scale, same alignment)."""
    from lepton.learn.forecast.metrics import naive_scale, report

    forecasts = forecasts.assign(
        unique_id=forecasts["unique_id"].astype(str), ds=pd.to_datetime(forecasts["ds"])
    )
    merged = data.test.merge(forecasts, on=["unique_id", "ds"], how="left")
    missing = merged["mean"].isna().sum()
    if missing:
        raise ValueError(f"{missing} of {len(merged)} held-out steps have no forecast")
    merged = merged.sort_values(["unique_id", "ds"])
    shape = (-1, data.horizon)
    truth = merged["y"].to_numpy(float).reshape(shape)
    mean = merged["mean"].to_numpy(float).reshape(shape)
    quantiles = {q: merged[f"q{q:g}"].to_numpy(float).reshape(shape) for q in QUANTILES}
    values = {uid: g["y"].to_numpy(float) for uid, g in data.train.groupby("unique_id")}
    scale = np.array(
        [naive_scale(values[uid], data.season) for uid in pd.unique(merged["unique_id"])]
    )
    return report(truth, mean, scale, quantiles)


def _command(system: str, data: Dataset, files: dict[str, Path], out: Path, seed: int) -> list[str]:
    common = [
        "--train",
        str(files["train"]),
        "--horizon",
        str(data.horizon),
        "--freq",
        data.freq,
        "--season",
        str(data.season),
        "--time-limit",
        str(data.time_limit),
        "--seed",
        str(seed),
        "--out",
        str(out),
    ]
    runners = HERE / "runners"
    if system == "lepton":
        return [
            sys.executable,
            str(runners / "forecast_lepton_runner.py"),
            *common,
            "--time-column",
            data.time_column,
            "--target",
            data.target,
            "--name",
            data.name.replace("_", "-"),
            "--test",
            str(files["test"]),
        ]
    if system == "autogluon":
        return [str(AGTS_PYTHON), str(runners / "forecast_autogluon_runner.py"), *common]
    return [
        sys.executable,
        str(runners / "forecast_statsforecast_runner.py"),
        *common,
        "--model",
        system,
    ]


def run_one(system: str, data: Dataset, files: dict[str, Path], workdir: Path, seed: int) -> Result:
    out = workdir / f"{system}-{data.name}"
    if system == "autogluon" and not AGTS_PYTHON.exists():
        return Result(
            system,
            data.name,
            data.time_limit,
            "not installed",
            {},
            None,
            None,
            0.0,
            error="benchmarks/.venv-agts missing: run `bash benchmarks/setup_forecast_peers.sh`",
        )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(REPO / "src"), os.environ.get("PYTHONPATH", "")) if p
        ),
        "PYTHONWARNINGS": "ignore",
        "RAY_USAGE_STATS_ENABLED": "0",
        "HF_HUB_OFFLINE": "1",
    }
    if system == "autogluon":
        env.pop("PYTHONPATH")
    started = time.perf_counter()
    limit = data.time_limit * 3 + 300
    try:
        done = subprocess.run(
            _command(system, data, files, out, seed),
            capture_output=True,
            text=True,
            timeout=limit,
            env=env,
        )
    except subprocess.TimeoutExpired:
        wall = time.perf_counter() - started
        return Result(
            system,
            data.name,
            data.time_limit,
            "timeout",
            {},
            None,
            None,
            wall,
            error=f"killed after {limit:g} s",
        )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-4:]
        return Result(
            system,
            data.name,
            data.time_limit,
            "failed",
            {},
            None,
            None,
            wall,
            error=" | ".join(tail),
        )
    info = json.loads((out / "info.json").read_text())
    try:
        metrics = score(data, pd.read_parquet(out / "forecasts.parquet"))
    except ValueError as exc:
        return Result(
            system, data.name, data.time_limit, "incomplete", {}, None, None, wall, info, str(exc)
        )
    fit = float(info["fit_seconds"])
    budgeted = system in ("lepton", "autogluon")
    overshoot = 100.0 * (fit - data.time_limit) / data.time_limit if budgeted else None
    return Result(system, data.name, data.time_limit, "ok", metrics, fit, overshoot, wall, info)


def summarise(results: list[Result], datasets: dict[str, Dataset]) -> dict[str, Any]:
    """Lepton's MASE against each peer's, and the issue's targets, per data set."""
    summary: dict[str, Any] = {"mase_ratio": {}, "targets": {}}
    for name in dict.fromkeys(r.dataset for r in results):
        group = {r.system: r for r in results if r.dataset == name and r.status == "ok"}
        lep = group.get("lepton")
        if lep is None:
            continue
        summary["mase_ratio"][name] = {
            peer: lep.metrics["mase"] / r.metrics["mase"]
            for peer, r in group.items()
            if peer != "lepton" and r.metrics["mase"] > 0
        }
        data = datasets.get(name)
        real = data.real if data is not None else name != "generated_1000x200"
        targets: dict[str, Any] = {}
        if real:
            peers = [r for p, r in group.items() if p != "lepton"]
            best = min(peers, key=lambda r: r.metrics["mase"]) if peers else None
            targets["beats_every_peer_on_mase"] = bool(
                best is not None and lep.metrics["mase"] < best.metrics["mase"]
            )
            targets["best_peer"] = None if best is None else best.system
            targets["best_peer_mase"] = None if best is None else best.metrics["mase"]
        else:
            limit = lep.time_limit * (1 + OVERSHOOT_TOLERANCE)
            targets["trains_within_limit_plus_10pct"] = bool(
                lep.fit_seconds is not None and lep.fit_seconds <= limit
            )
        coverage = lep.info.get("backtest_coverage", {}).get("coverage_80")
        targets["backtest_coverage_80"] = coverage
        targets["backtest_coverage_in_75_85"] = bool(
            coverage is not None and COVERAGE_TARGET[0] <= coverage <= COVERAGE_TARGET[1]
        )
        targets["lepton_fit_seconds"] = lep.fit_seconds
        targets["limit_honoured_within_10pct"] = bool(
            lep.overshoot_pct is not None and lep.overshoot_pct <= 100 * OVERSHOOT_TOLERANCE
        )
        summary["targets"][name] = targets
    return summary


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    return f"{value:.{digits}f}" if abs(value) < 1000 else f"{value:,.0f}"


def render(results: list[Result], summary: dict[str, Any], console: Console) -> None:
    table = Table(
        title="Forecasting benchmark: held-out horizon, scored alike (MASE lower is better)"
    )
    for column, justify in (
        ("data set", "left"),
        ("system", "left"),
        ("MASE", "right"),
        ("sMAPE %", "right"),
        ("RMSE", "right"),
        ("wQL", "right"),
        ("cov. 80%", "right"),
        ("fit s / limit", "right"),
        ("Lepton MASE ÷ this", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    names = list(dict.fromkeys(r.dataset for r in results))
    for name in names:
        ratios = summary["mase_ratio"].get(name, {})
        for system in SYSTEMS:
            r = next((x for x in results if x.dataset == name and x.system == system), None)
            if r is None:
                continue
            if r.status != "ok":
                table.add_row(name, system, f"[red]{r.status}[/]", *[""] * 6)
                continue
            m = r.metrics
            limit = f" / {r.time_limit:g}" if system in ("lepton", "autogluon") else " (no limit)"
            ratio = ratios.get(system)
            table.add_row(
                name,
                system,
                _fmt(m["mase"]),
                _fmt(m["smape"], 2),
                _fmt(m["rmse"], 2),
                _fmt(m["wql"], 4),
                f"{m['coverage_80']:.0%}",
                f"{r.fit_seconds:.1f}{limit}",
                "" if ratio is None else f"{ratio:.3f}",
            )
        table.add_section()
    console.print(table)
    targets = Table(title="The issue's targets (Lepton)")
    for column in ("data set", "target", "measured", "met"):
        targets.add_column(column)
    for name, t in summary["targets"].items():
        if "beats_every_peer_on_mase" in t:
            lep = next(r for r in results if r.dataset == name and r.system == "lepton")
            targets.add_row(
                name,
                "lower MASE than every peer",
                f"{lep.metrics['mase']:.3f} vs best peer {t['best_peer']} {_fmt(t['best_peer_mase'])}",
                _yes(t["beats_every_peer_on_mase"]),
            )
        if "trains_within_limit_plus_10pct" in t:
            targets.add_row(
                name,
                "1000 series x 200 points within 120 s (+10%)",
                f"{t['lepton_fit_seconds']:.1f} s",
                _yes(t["trains_within_limit_plus_10pct"]),
            )
        cov = t["backtest_coverage_80"]
        targets.add_row(
            name,
            "80% interval covers 75-85% on backtests",
            "" if cov is None else f"{cov:.1%}",
            _yes(t["backtest_coverage_in_75_85"]),
        )
        lep = next(r for r in results if r.dataset == name and r.system == "lepton")
        targets.add_row(
            name,
            "whole fit call within the limit +10%",
            f"{lep.fit_seconds:.1f} s of {lep.time_limit:g} s ({lep.overshoot_pct:+.1f}%)",
            _yes(t["limit_honoured_within_10pct"]),
        )
    console.print(targets)
    for r in results:
        if r.system in ("lepton", "autogluon") and r.status == "ok":
            board = r.info.get("leaderboard", [])[:4]
            shown = ", ".join(
                f"{row.get('model')}={row.get('score', row.get('score_val')):.3f}" for row in board
            )
            console.print(f"[dim]{r.dataset} {r.system} leaderboard (validation): {shown}[/]")
        elif r.status != "ok":
            console.print(f"[red]{r.dataset} {r.system}: {r.status}[/] {r.error}")


def _yes(ok: bool) -> str:
    return "[green]yes[/]" if ok else "[red]no[/]"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", nargs="*", choices=list(DATASETS), default=list(DATASETS))
    parser.add_argument("--systems", nargs="*", choices=SYSTEMS, default=list(SYSTEMS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS / "forecast.json")
    parser.add_argument(
        "--time-limit", type=float, help="override every data set's limit (quick checks only)"
    )
    parser.add_argument("--render", action="store_true", help="only re-print the tables of --out")
    args = parser.parse_args()
    console = Console(width=160)
    if args.render:
        saved = json.loads(args.out.read_text())
        results = [Result(**r) for r in saved["results"]]
        render(results, summarise(results, {}), console)
        return 0
    results: list[Result] = []
    described: dict[str, Any] = {}
    built: dict[str, Dataset] = {}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lepton-forecast-bench-") as tmp:
        for name in args.datasets:
            data = DATASETS[name]()
            if args.time_limit:
                data.time_limit = args.time_limit
            built[name] = data
            files = {
                "train": Path(tmp) / f"{name}.train.parquet",
                "test": Path(tmp) / f"{name}.test.parquet",
            }
            data.train.to_parquet(files["train"])
            data.test.to_parquet(files["test"])
            described[name] = {
                "n_series": int(data.train["unique_id"].nunique()),
                "train_points_per_series": int(data.train.groupby("unique_id").size().min()),
                "horizon": data.horizon,
                "season": data.season,
                "time_limit": data.time_limit,
                "test_start": str(data.test["ds"].min().date()),
                "test_end": str(data.test["ds"].max().date()),
                "source": data.source,
                "licence": data.licence,
            }
            for system in args.systems:
                console.print(f"[dim]{system} on {name} (limit {data.time_limit:g} s) …[/]")
                result = run_one(system, data, files, Path(tmp), args.seed)
                results.append(result)
                shown = (
                    f"MASE={result.metrics['mase']:.3f} cov80={result.metrics['coverage_80']:.0%} "
                    f"fit {result.fit_seconds:.1f}s (process {result.wall_seconds:.1f}s)"
                    if result.status == "ok"
                    else f"{result.status}: {result.error}"
                )
                console.print(f"  {system:15s} {name:20s} {shown}")
                payload = {
                    "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
                    "seed": args.seed,
                    "datasets": described,
                    "results": [asdict(r) for r in results],
                    "summary": summarise(results, built),
                }
                args.out.write_text(json.dumps(payload, indent=1, default=str))
    render(results, summarise(results, built), console)
    console.print(f"JSON: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
