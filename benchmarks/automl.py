"""AutoML benchmark: Lepton vs FLAML vs AutoGluon, same data, same budget, same cores, one run.

Each (framework, dataset, budget) trains in its own process; peers run from their own
environment (``benchmarks/setup_peers.sh`` creates ``benchmarks/.venv-peers``) so they
never become project dependencies. Runners only write test-set predictions and timings;
this harness scores them all the same way (ROC-AUC for binary, log loss for multiclass,
RMSE for regression, plus accuracy / R²), ranks the frameworks per dataset, and reports
how far each run went over its time limit.

    .venv/bin/python benchmarks/automl.py                      # 60 s on all five, 300 s on adult + diamonds
    .venv/bin/python benchmarks/automl.py --plan 60 --frameworks lepton
    .venv/bin/python benchmarks/automl.py --datasets penguins --plan 60

Results: a table on stdout and ``benchmarks/results/automl.json`` (written after every run).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table
from sklearn.metrics import accuracy_score, log_loss, mean_squared_error, r2_score, roc_auc_score

HERE = Path(__file__).resolve().parent
DATASETS_DIR = HERE.parents[1] / "shared" / "datasets"
PEERS_PYTHON = HERE / ".venv-peers" / "bin" / "python"
RESULTS = HERE / "results"

DATASETS = {  # name -> (target, task)
    "adult": ("income", "binary"),
    "german_credit": ("credit", "binary"),
    "credit_default": ("default", "binary"),
    "diamonds": ("price", "regression"),
    "penguins": ("species", "multiclass"),
}
PRIMARY = {
    "binary": ("roc_auc", True),
    "multiclass": ("log_loss", False),
    "regression": ("rmse", False),
}
PLANS = {
    "60": [(60, list(DATASETS))],
    "300": [(300, ["adult", "diamonds"])],
    "full": [(60, list(DATASETS)), (300, ["adult", "diamonds"])],
}
FRAMEWORKS = ("lepton", "flaml", "autogluon")


@dataclass
class Result:
    framework: str
    dataset: str
    budget: int
    status: str
    metrics: dict[str, float]
    primary: str
    fit_seconds: float | None
    overshoot_pct: float | None
    predict_seconds: float | None
    wall_seconds: float
    info: dict[str, Any]
    error: str | None = None


def score(task: str, truth: pd.Series, preds: pd.DataFrame) -> dict[str, float]:
    if task == "regression":
        y_pred = preds["prediction"].to_numpy(dtype=float)
        y = truth.to_numpy(dtype=float)
        return {
            "rmse": float(math.sqrt(mean_squared_error(y, y_pred))),
            "r2": float(r2_score(y, y_pred)),
        }
    labels = sorted(truth.astype(str).unique())
    missing = [label for label in labels if label not in preds.columns]
    if missing:
        raise ValueError(f"predictions lack class columns {missing}")
    proba = preds[labels].to_numpy(dtype=float)
    proba = np.clip(proba, 1e-15, 1)
    proba /= proba.sum(axis=1, keepdims=True)
    y = truth.astype(str).to_numpy()
    out = {
        "accuracy": float(accuracy_score(y, np.asarray(labels)[proba.argmax(axis=1)])),
        "log_loss": float(log_loss(y, proba, labels=labels)),
    }
    if task == "binary":
        out["roc_auc"] = float(roc_auc_score(y == labels[1], proba[:, 1]))
    return out


def run_one(
    framework: str, dataset: str, budget: int, seed: int, workdir: Path, batch_rows: int = 0
) -> Result:
    target, task = DATASETS[dataset]
    python = sys.executable if framework == "lepton" else str(PEERS_PYTHON)
    out = workdir / f"{framework}-{dataset}-{budget}"
    cmd = [
        python,
        str(HERE / "runners" / f"{framework}_runner.py"),
        "--train",
        str(DATASETS_DIR / f"{dataset}.train.parquet"),
        "--test",
        str(DATASETS_DIR / f"{dataset}.test.parquet"),
        "--target",
        target,
        "--task",
        task,
        "--time-limit",
        str(budget),
        "--seed",
        str(seed),
        "--out",
        str(out),
        "--batch-rows",
        str(batch_rows),
    ]
    env = {
        **os.environ,
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
        "RAY_USAGE_STATS_ENABLED": "0",
        "PYTHONWARNINGS": "ignore",
    }
    started = time.perf_counter()
    primary = PRIMARY[task][0]
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=budget * 3 + 300, env=env
        )
    except subprocess.TimeoutExpired:
        return Result(
            framework,
            dataset,
            budget,
            "timeout",
            {},
            primary,
            None,
            None,
            None,
            time.perf_counter() - started,
            {},
            "killed after 3x its budget",
        )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return Result(
            framework,
            dataset,
            budget,
            "failed",
            {},
            primary,
            None,
            None,
            None,
            wall,
            {},
            " | ".join(tail),
        )
    info = json.loads((out / "info.json").read_text())
    preds = pd.read_parquet(out / "predictions.parquet")
    truth = pd.read_parquet(DATASETS_DIR / f"{dataset}.test.parquet")[target]
    metrics = score(task, truth, preds)
    fit = float(info["fit_seconds"])
    return Result(
        framework,
        dataset,
        budget,
        "ok",
        metrics,
        primary,
        fit,
        100.0 * (fit - budget) / budget,
        float(info.get("predict_seconds", 0)),
        wall,
        info,
    )


def rank(results: list[Result]) -> dict[tuple[str, int], dict[str, float]]:
    """Rank frameworks per (dataset, budget) on the task's primary metric; failures rank last."""
    ranks: dict[tuple[str, int], dict[str, float]] = {}
    for key in sorted({(r.dataset, r.budget) for r in results}):
        group = [r for r in results if (r.dataset, r.budget) == key]
        higher = PRIMARY[DATASETS[key[0]][1]][1]
        values = {
            r.framework: (
                r.metrics[r.primary] if r.status == "ok" else (-np.inf if higher else np.inf)
            )
            for r in group
        }
        ordered = pd.Series(values).rank(ascending=not higher, method="average")
        ranks[key] = {k: float(v) for k, v in ordered.items()}
    return ranks


def summarise(results: list[Result]) -> dict[str, Any]:
    ranks = rank(results)
    summary: dict[str, Any] = {"average_rank": {}, "max_overshoot_pct": {}, "gap_to_best_peer": {}}
    for budget in sorted({r.budget for r in results}):
        per = [v for (d, b), v in ranks.items() if b == budget]
        frameworks = sorted({f for v in per for f in v})
        summary["average_rank"][str(budget)] = {
            f: float(np.mean([v[f] for v in per if f in v])) for f in frameworks
        }
    for fw in sorted({r.framework for r in results}):
        over = [
            r.overshoot_pct for r in results if r.framework == fw and r.overshoot_pct is not None
        ]
        summary["max_overshoot_pct"][fw] = max(over) if over else None
    for (dataset, budget), _ in ranks.items():
        group = {
            r.framework: r
            for r in results
            if (r.dataset, r.budget) == (dataset, budget) and r.status == "ok"
        }
        if "lepton" not in group:
            continue
        peers = [r for f, r in group.items() if f != "lepton"]
        if not peers:
            continue
        task = DATASETS[dataset][1]
        lep = group["lepton"].metrics
        if task == "binary":
            best = max(p.metrics["roc_auc"] for p in peers)
            gap = f"{100 * (lep['roc_auc'] - best):+.2f} AUC points"
        elif task == "multiclass":
            best = max(p.metrics["accuracy"] for p in peers)
            gap = f"{100 * (lep['accuracy'] - best):+.2f} accuracy points"
        else:
            best = min(p.metrics["rmse"] for p in peers)
            gap = f"{100 * (lep['rmse'] - best) / best:+.2f}% RMSE"
        summary["gap_to_best_peer"][f"{dataset}@{budget}"] = gap
    summary["ranks"] = {f"{d}@{b}": v for (d, b), v in ranks.items()}
    summary["batch_predict"] = batch_predict(results)
    return summary


def batch_predict(results: list[Result]) -> dict[str, dict[str, Any]]:
    """Seconds to score ``--batch-rows`` rows per framework, and Lepton's ratio to the
    fastest peer (issue 18: within 1.5x)."""
    out: dict[str, dict[str, Any]] = {}
    for r in results:
        seconds = r.info.get("batch_predict_seconds") if r.status == "ok" else None
        if seconds is not None:
            entry = out.setdefault(f"{r.dataset}@{r.budget}", {"rows": r.info["batch_rows"]})
            entry[r.framework] = float(seconds)
    for entry in out.values():
        peers = [v for k, v in entry.items() if k not in ("rows", "lepton")]
        if "lepton" in entry and peers:
            entry["lepton_over_fastest_peer"] = entry["lepton"] / min(peers)
    return out


def render(results: list[Result], summary: dict[str, Any], console: Console) -> None:
    frameworks = [f for f in FRAMEWORKS if any(r.framework == f for r in results)]
    table = Table(title="AutoML benchmark: test-set metric (rank), fit time vs budget")
    table.add_column("dataset @ budget")
    table.add_column("metric")
    for fw in frameworks:
        table.add_column(fw, justify="right")
    ranks = summary["ranks"]
    for key in sorted({(r.dataset, r.budget) for r in results}, key=lambda k: (k[1], k[0])):
        group = {r.framework: r for r in results if (r.dataset, r.budget) == key}
        primary = PRIMARY[DATASETS[key[0]][1]][0]
        cells = []
        for fw in frameworks:
            r = group.get(fw)
            if r is None:
                cells.append("")
            elif r.status != "ok":
                cells.append(f"[red]{r.status}[/]")
            else:
                rk = ranks[f"{key[0]}@{key[1]}"][fw]
                value = r.metrics[primary]
                cells.append(f"{value:.5f}" if value < 10 else f"{value:.1f}")
                cells[-1] += f" ({rk:g})  {r.fit_seconds:.0f}s"
        table.add_row(f"{key[0]} @ {key[1]}s", primary, *cells)
    console.print(table)
    avg = Table(title="Average rank (lower is better) and worst overshoot of the time limit")
    avg.add_column("budget")
    for fw in frameworks:
        avg.add_column(fw, justify="right")
    for budget, values in summary["average_rank"].items():
        avg.add_row(f"{budget}s", *[f"{values.get(fw, float('nan')):.2f}" for fw in frameworks])
    avg.add_row(
        "max overshoot",
        *[
            ""
            if summary["max_overshoot_pct"].get(fw) is None
            else f"{summary['max_overshoot_pct'][fw]:+.1f}%"
            for fw in frameworks
        ],
    )
    console.print(avg)
    if summary.get("batch_predict"):
        batch = Table(title="Batch prediction: seconds to score the test rows repeated")
        batch.add_column("dataset @ budget")
        batch.add_column("rows", justify="right")
        for fw in frameworks:
            batch.add_column(fw, justify="right")
        batch.add_column("lepton ÷ fastest peer", justify="right")
        for key, entry in summary["batch_predict"].items():
            ratio = entry.get("lepton_over_fastest_peer")
            batch.add_row(
                key,
                f"{entry['rows']:,}",
                *[f"{entry[fw]:.2f}" if fw in entry else "" for fw in frameworks],
                "" if ratio is None else f"{ratio:.2f}x",
            )
        console.print(batch)
    if summary["gap_to_best_peer"]:
        console.print(
            "Lepton vs best peer: "
            + "; ".join(f"{k}: {v}" for k, v in summary["gap_to_best_peer"].items())
        )


def plot(results: list[Result], path: Path) -> None:
    """Each framework's primary metric relative to the best one, per dataset and budget."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = sorted({(r.dataset, r.budget) for r in results}, key=lambda k: (k[1], k[0]))
    frameworks = [f for f in FRAMEWORKS if any(r.framework == f for r in results)]
    fig, ax = plt.subplots(figsize=(1.6 * len(keys) + 2, 3.6))
    width = 0.8 / max(1, len(frameworks))
    for i, fw in enumerate(frameworks):
        heights = []
        for dataset, budget in keys:
            group = [
                r
                for r in results
                if (r.dataset, r.budget) == (dataset, budget) and r.status == "ok"
            ]
            own = next((r for r in group if r.framework == fw), None)
            if own is None or not group:
                heights.append(0.0)
                continue
            higher = PRIMARY[DATASETS[dataset][1]][1]
            values = [r.metrics[r.primary] for r in group]
            best = max(values) if higher else min(values)
            value = own.metrics[own.primary]
            heights.append(
                100 * ((value - best) / abs(best) if higher else (best - value) / abs(best))
            )
        ax.bar(np.arange(len(keys)) + i * width, heights, width, label=fw)
    ax.set_xticks(np.arange(len(keys)) + width * (len(frameworks) - 1) / 2)
    ax.set_xticklabels([f"{d}\n{b}s" for d, b in keys], fontsize=8)
    ax.set_ylabel("% behind the best (0 = best)")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.legend(fontsize=8)
    ax.set_title("AutoML test-set metric relative to the best framework", fontsize=10)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--plan", choices=sorted(PLANS), default="full")
    parser.add_argument("--datasets", nargs="*", choices=sorted(DATASETS))
    parser.add_argument("--frameworks", nargs="*", choices=FRAMEWORKS, default=list(FRAMEWORKS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--batch-rows",
        type=int,
        default=100_000,
        help="after each fit, time one predict over the test rows repeated to this many (0: off)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "automl.json")
    parser.add_argument(
        "--render", action="store_true", help="only re-render the table and plot of --out"
    )
    args = parser.parse_args()
    if args.render:
        saved = [Result(**r) for r in json.loads(args.out.read_text())["results"]]
        render(saved, summarise(saved), Console())
        plot(saved, args.out.with_suffix(".png"))
        return 0
    console = Console()
    if any(f != "lepton" for f in args.frameworks) and not PEERS_PYTHON.exists():
        console.print("[red]peers not installed:[/] run `bash benchmarks/setup_peers.sh` first")
        return 2
    plan = [
        (b, [d for d in ds if not args.datasets or d in args.datasets])
        for b, ds in PLANS[args.plan]
    ]
    results: list[Result] = []
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lepton-bench-") as tmp:
        for budget, datasets in plan:
            for dataset in datasets:
                for fw in args.frameworks:
                    console.print(f"[dim]{fw} on {dataset} @ {budget}s …[/]")
                    result = run_one(fw, dataset, budget, args.seed, Path(tmp), args.batch_rows)
                    results.append(result)
                    shown = (
                        f"{result.primary}={result.metrics[result.primary]:.4f} fit {result.fit_seconds:.1f}s"
                        if result.status == "ok"
                        else f"{result.status}: {result.error}"
                    )
                    console.print(f"  {fw:9s} {dataset:15s} {budget:4d}s  {shown}")
                    summary = summarise(results)
                    payload = {
                        "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
                        "seed": args.seed,
                        "results": [asdict(r) for r in results],
                        "summary": summary,
                    }
                    args.out.write_text(json.dumps(payload, indent=1, default=str))
    render(results, summarise(results), console)
    plot(results, args.out.with_suffix(".png"))
    console.print(f"JSON: {args.out}   plot: {args.out.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
