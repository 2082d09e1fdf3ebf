"""Drift benchmark: Lepton's drift + quality checks vs Evidently's DataDriftPreset, same data.

The target (issue 6): a drift report over 1,000,000 live rows x 15 features in ≤ 10 s on
this 2-core machine. The data is synthetic and seeded: 10 numeric and 5 categorical
features, a third of them shifted, some NaNs and one unseen category, against a
30,000-row reference (so the large-reference tests run: Wasserstein / Jensen-Shannon).

Evidently runs in a child process with a time limit; if it cannot finish 1,000,000 rows
within ``--evidently-timeout`` seconds it is timed on 100,000 rows instead (and Lepton is
timed on those too, so the ratio compares like with like). Both tools' verdicts are
compared feature by feature.

    .venv/bin/python benchmarks/drift.py
    .venv/bin/python benchmarks/drift.py --rows 200000 --evidently-timeout 120

Results: a table on stdout and ``benchmarks/results/drift.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from lepton.monitor.drift import detect_drift
from lepton.monitor.quality import check_quality

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
REFERENCE_ROWS = 30_000
NUMERIC, CATEGORICAL = 10, 5
FALLBACK_ROWS = 100_000
EVIDENTLY_NAMES = {
    "K-S p_value": "ks",
    "chi-square p_value": "chisquare",
    "Z-test p_value": "z",
    "Wasserstein distance (normed)": "wasserstein",
    "Jensen-Shannon distance": "jensenshannon",
}


def make_frame(rows: int, *, live: bool, seed: int) -> pd.DataFrame:
    """15 features; on the live side numeric 0-2 and categorical 0 drift, others stay put."""
    rng = np.random.default_rng(seed)
    data: dict[str, Any] = {}
    for i in range(NUMERIC):
        shift = 0.5 if live and i < 3 else 0.0
        if i % 3 == 0:
            values = rng.normal(shift, 1.0, rows)
        elif i % 3 == 1:
            values = rng.lognormal(shift, 0.7, rows)
        else:
            values = np.round(rng.gamma(2.0 + 4 * shift, 10.0, rows)).astype(np.float64)
        if i == 4:  # 5% missing on both sides
            values[rng.random(rows) < 0.05] = np.nan
        data[f"num_{i}"] = values
    levels = [
        list("abcdefgh"),
        ["red", "green", "blue"],
        ["yes", "no"],
        list("pqrstuvwxyz"),
        ["x", "y"],
    ]
    for j, choices in enumerate(levels):
        weights = np.linspace(1.0, 2.0, len(choices))
        if live and j == 0:
            weights = weights[::-1] ** 3  # strong shift in shares
        if live and j == 3:  # 3% of live rows carry a category never seen in training
            choices = [*choices, "NEW"]
            weights = np.append(weights, weights.sum() * 0.03)
        values = rng.choice(np.array(choices, dtype=object), rows, p=weights / weights.sum())
        data[f"cat_{j}"] = values
    return pd.DataFrame(data)


def schema_for(reference: pd.DataFrame) -> list[dict[str, Any]]:
    """What lepton.learn.package.input_schema records: min/max for numbers, categories."""
    schema: list[dict[str, Any]] = []
    for name in reference.columns:
        column = reference[name]
        if pd.api.types.is_numeric_dtype(column):
            schema.append(
                {
                    "name": name,
                    "kind": "numeric",
                    "min": float(column.min()),
                    "max": float(column.max()),
                }
            )
        else:
            cats = sorted(map(str, column.dropna().unique()))
            schema.append({"name": name, "kind": "categorical", "categories": cats})
    return schema


def time_lepton(rows: int, repeats: int) -> dict[str, Any]:
    reference = make_frame(REFERENCE_ROWS, live=False, seed=1)
    current = make_frame(rows, live=True, seed=2)
    schema = schema_for(reference)
    drift_times, quality_times = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        report = detect_drift(reference, current)
        middle = time.perf_counter()
        quality = check_quality(schema, current)
        drift_times.append(middle - start)
        quality_times.append(time.perf_counter() - middle)
    totals = [d + q for d, q in zip(drift_times, quality_times, strict=True)]
    best = int(np.argmin(totals))
    return {
        "rows": rows,
        "seconds": totals[best],
        "drift_seconds": drift_times[best],
        "quality_seconds": quality_times[best],
        "all_seconds": totals,
        "dataset_drift": report.dataset_drift,
        "share_drifted": report.share_drifted,
        "features": {
            f.name: {"test": f.test, "score": f.score, "drifted": f.drifted, "psi": f.psi}
            for f in report.features
        },
        "quality_issues": quality.issues,
    }


def time_evidently(rows: int) -> dict[str, Any]:
    """Runs in the child process: DataDriftPreset on the same data, timed end to end."""
    from evidently import Report
    from evidently.presets import DataDriftPreset

    reference = make_frame(REFERENCE_ROWS, live=False, seed=1)
    current = make_frame(rows, live=True, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        snapshot = Report([DataDriftPreset()]).run(current, reference)
        seconds = time.perf_counter() - start
    features: dict[str, Any] = {}
    share = float("nan")
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if config["type"].endswith("ValueDrift"):
            test, score = EVIDENTLY_NAMES[config["method"]], float(metric["value"])
            threshold = float(config["threshold"])
            drifted = (
                score <= threshold
                if test == "ks"
                else (score < threshold if test in ("chisquare", "z") else score >= threshold)
            )
            features[config["column"]] = {"test": test, "score": score, "drifted": drifted}
        elif config["type"].endswith("DriftedColumnsCount"):
            share = float(metric["value"]["share"])
    return {
        "rows": rows,
        "seconds": seconds,
        "share_drifted": share,
        "dataset_drift": share >= 0.5,
        "features": features,
    }


def run_evidently_child(rows: int, timeout: float) -> dict[str, Any] | None:
    cmd = [sys.executable, __file__, "--evidently-child", str(rows)]
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, check=True, env=os.environ.copy()
        )
    except subprocess.TimeoutExpired:
        return None
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def agreement(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    names = sorted(set(ours) & set(theirs))
    same_test = sum(ours[n]["test"] == theirs[n]["test"] for n in names)
    same_verdict = sum(ours[n]["drifted"] == theirs[n]["drifted"] for n in names)
    max_diff = max(abs(ours[n]["score"] - theirs[n]["score"]) for n in names)
    return {
        "features": len(names),
        "same_test": same_test,
        "same_verdict": same_verdict,
        "max_score_diff": max_diff,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--evidently-timeout", type=float, default=300.0)
    parser.add_argument("--evidently-child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.evidently_child is not None:
        print(json.dumps(time_evidently(args.evidently_child)))
        return

    console = Console(width=110)
    console.print(f"Lepton: drift + quality on {args.rows:,} live rows × 15 features …")
    lepton = time_lepton(args.rows, args.repeats)
    console.print(
        f"Evidently DataDriftPreset on {args.rows:,} rows (limit {args.evidently_timeout:.0f} s) …"
    )
    evidently = run_evidently_child(args.rows, args.evidently_timeout)
    note = ""
    lepton_same = lepton
    if evidently is None:
        note = (
            f"Evidently did not finish {args.rows:,} rows within {args.evidently_timeout:.0f} s; "
            f"timed on {FALLBACK_ROWS:,} rows instead (Lepton re-timed on the same rows)"
        )
        console.print(note)
        evidently = run_evidently_child(FALLBACK_ROWS, args.evidently_timeout * 2)
        lepton_same = time_lepton(FALLBACK_ROWS, args.repeats)

    table = Table(
        title=f"Drift report: {REFERENCE_ROWS:,} reference rows, 15 features "
        "(Lepton: detect_drift + check_quality; Evidently: DataDriftPreset)"
    )
    for column in ("tool", "live rows", "seconds", "vs Lepton", "dataset drift", "drifted share"):
        table.add_column(column, justify="right" if column != "tool" else "left")
    table.add_row(
        "Lepton",
        f"{lepton['rows']:,}",
        f"{lepton['seconds']:.2f}",
        "1.0×",
        str(lepton["dataset_drift"]),
        f"{lepton['share_drifted']:.2f}",
    )
    table.add_row("  detect_drift", "", f"{lepton['drift_seconds']:.2f}", "", "", "")
    table.add_row("  check_quality", "", f"{lepton['quality_seconds']:.2f}", "", "", "")
    if lepton_same is not lepton:
        table.add_row(
            "Lepton",
            f"{lepton_same['rows']:,}",
            f"{lepton_same['seconds']:.2f}",
            "1.0×",
            str(lepton_same["dataset_drift"]),
            f"{lepton_same['share_drifted']:.2f}",
        )
    agree: dict[str, Any] | None = None
    if evidently is not None:
        ratio = evidently["seconds"] / lepton_same["seconds"]
        table.add_row(
            "Evidently",
            f"{evidently['rows']:,}",
            f"{evidently['seconds']:.2f}",
            f"{ratio:.1f}×",
            str(evidently["dataset_drift"]),
            f"{evidently['share_drifted']:.2f}",
        )
        agree = agreement(lepton_same["features"], evidently["features"])
    console.print(table)
    if agree is not None:
        console.print(
            f"agreement on {agree['features']} features: same test {agree['same_test']}, "
            f"same verdict {agree['same_verdict']}, max |score diff| {agree['max_score_diff']:.2e}"
        )
    target_met = lepton["rows"] >= 1_000_000 and lepton["seconds"] <= 10.0
    console.print(f"target (≤ 10 s for 1,000,000 rows): {'met' if target_met else 'NOT met'}")

    RESULTS.mkdir(exist_ok=True)
    out = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "reference_rows": REFERENCE_ROWS,
        "features": NUMERIC + CATEGORICAL,
        "lepton": lepton,
        "lepton_same_rows_as_evidently": lepton_same if lepton_same is not lepton else None,
        "evidently": evidently,
        "evidently_version": _evidently_version(),
        "ratio_evidently_over_lepton": None
        if evidently is None
        else evidently["seconds"] / lepton_same["seconds"],
        "agreement": agree,
        "note": note,
        "target_met": target_met,
        "command": "python benchmarks/drift.py " + " ".join(sys.argv[1:]),
    }
    (RESULTS / "drift.json").write_text(json.dumps(out, indent=2, default=float) + "\n")
    console.print(f"wrote {RESULTS / 'drift.json'}")


def _evidently_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("evidently")
    except Exception:
        return None


if __name__ == "__main__":
    main()
