"""AutoML benchmark: Lepton vs FLAML vs AutoGluon vs default LightGBM, same data, same cores, one run.

Each (framework, dataset, budget) trains in its own process; peers run from their own
environment (``benchmarks/setup_peers.sh`` creates ``benchmarks/.venv-peers``) so they
never become project dependencies; default LightGBM (no tuning, no time limit: the floor)
runs in Lepton's venv. Runners only write test-set predictions and timings; this harness
scores them all the same way (ROC-AUC for binary, log loss for multiclass, RMSE for
regression, plus accuracy / R²), ranks the frameworks per dataset, reports Lepton's gap
to the best peer and how far each run went over its time limit (the wall time of the
whole fit call), and checks issue 18's targets.

Tables: the five of ``shared/datasets`` and the benchmark's own public tables
(``benchmarks/automl_tables.py``; ``bash benchmarks/setup_tables.sh`` extracts them to
``benchmarks/data``).

    .venv/bin/python benchmarks/automl.py                      # every table at 60 s and at 300 s
    .venv/bin/python benchmarks/automl.py --plan 60 --frameworks lepton lightgbm
    .venv/bin/python benchmarks/automl.py --datasets penguins digits --plan 60
    .venv/bin/python benchmarks/automl.py --plan 60 --budget 10 --out /tmp/smoke.json   # smoke

Results: tables on stdout and ``benchmarks/results/automl.json`` (``--out``; written after
every run); ``--render`` re-prints a saved file.
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
from automl_tables import DATA_DIR as TABLES_DIR
from automl_tables import TABLES
from rich.console import Console
from rich.table import Table
from sklearn.metrics import accuracy_score, log_loss, mean_squared_error, r2_score, roc_auc_score

HERE = Path(__file__).resolve().parent
DATASETS_DIR = HERE.parents[1] / "shared" / "datasets"
PEERS_PYTHON = HERE / ".venv-peers" / "bin" / "python"
RESULTS = HERE / "results"


@dataclass(frozen=True)
class Dataset:
    target: str
    task: str  # binary | multiclass | regression
    home: Path  # holds NAME.train.parquet and NAME.test.parquet

    def path(self, name: str, part: str) -> Path:
        return self.home / f"{name}.{part}.parquet"


DATASETS: dict[str, Dataset] = {
    "adult": Dataset("income", "binary", DATASETS_DIR),
    "german_credit": Dataset("credit", "binary", DATASETS_DIR),
    "credit_default": Dataset("default", "binary", DATASETS_DIR),
    "diamonds": Dataset("price", "regression", DATASETS_DIR),
    "penguins": Dataset("species", "multiclass", DATASETS_DIR),
    **{name: Dataset(t.target, t.task, TABLES_DIR) for name, t in TABLES.items()},
}
PRIMARY = {
    "binary": ("roc_auc", True),
    "multiclass": ("log_loss", False),
    "regression": ("rmse", False),
}
# Lepton vs the best peer, per task: (metric, unit, how far behind is still within target)
GAP = {
    "binary": ("roc_auc", "AUC points", 0.5),  # 100 x (best peer - Lepton)
    "multiclass": ("log_loss", "log loss", 0.02),  # Lepton - best peer
    "regression": ("rmse", "% RMSE", 2.0),  # 100 x (Lepton - best peer) / best peer
}
MAX_OVERSHOOT_PCT = 10.0
PLANS = {"60": [60], "300": [300], "full": [60, 300]}  # every table at each budget
FRAMEWORKS = ("lepton", "flaml", "autogluon", "lightgbm")
LOCAL = {"lepton", "lightgbm"}  # run in this interpreter's venv, the rest in .venv-peers
UNBUDGETED = {"lightgbm"}  # ignores the time limit: no overshoot


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
    framework: str,
    dataset: str,
    budget: int,
    seed: int,
    workdir: Path,
    batch_rows: int = 0,
    options: dict[str, Any] | None = None,
) -> Result:
    spec = DATASETS[dataset]
    target, task = spec.target, spec.task
    python = sys.executable if framework in LOCAL else str(PEERS_PYTHON)
    tag = "".join(f"-{k}{v}" for k, v in (options or {}).items())
    out = workdir / f"{framework}-{dataset}-{budget}{tag}"
    cmd = [
        python,
        str(HERE / "runners" / f"{framework}_runner.py"),
        "--train",
        str(spec.path(dataset, "train")),
        "--test",
        str(spec.path(dataset, "test")),
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
        *[f"--option={k}={v}" for k, v in (options or {}).items()],
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
    truth = pd.read_parquet(spec.path(dataset, "test"))[target]
    metrics = score(task, truth, preds)
    fit = float(info["fit_seconds"])
    overshoot = None if framework in UNBUDGETED else 100.0 * (fit - budget) / budget
    return Result(
        framework,
        dataset,
        budget,
        "ok",
        metrics,
        primary,
        fit,
        overshoot,
        float(info.get("predict_seconds", 0)),
        wall,
        info,
    )


def rank(results: list[Result]) -> dict[tuple[str, int], dict[str, float]]:
    """Rank frameworks per (dataset, budget) on the task's primary metric; failures rank last."""
    ranks: dict[tuple[str, int], dict[str, float]] = {}
    for key in sorted({(r.dataset, r.budget) for r in results}):
        group = [r for r in results if (r.dataset, r.budget) == key]
        higher = PRIMARY[DATASETS[key[0]].task][1]
        values = {
            r.framework: (
                r.metrics[r.primary] if r.status == "ok" else (-np.inf if higher else np.inf)
            )
            for r in group
        }
        ordered = pd.Series(values).rank(ascending=not higher, method="average")
        ranks[key] = {k: float(v) for k, v in ordered.items()}
    return ranks


def order(key: tuple[str, int]) -> tuple[int, int]:
    """Budget first, then the registry's order (the shared tables, then ours by size)."""
    names = list(DATASETS)
    return key[1], names.index(key[0]) if key[0] in names else len(names)


def gap_to_best_peer(group: dict[str, Result], task: str) -> dict[str, Any] | None:
    """Lepton vs the best other framework that finished, in the issue's unit for the task:
    AUC points (binary), log loss (multiclass), % RMSE (regression); positive = behind."""
    peers = {f: r for f, r in group.items() if f != "lepton" and r.status == "ok"}
    if not peers or "lepton" not in group:
        return None
    metric, unit, allowed = GAP[task]
    higher = PRIMARY[task][1]
    best_peer = (max if higher else min)(peers, key=lambda f: peers[f].metrics[metric])
    best = peers[best_peer].metrics[metric]
    lepton = group["lepton"]
    if lepton.status != "ok":
        return {
            "behind": None,
            "unit": unit,
            "best_peer": best_peer,
            "within": False,
            "text": f"lepton {lepton.status}",
        }
    value = lepton.metrics[metric]
    if task == "binary":
        behind = 100 * (best - value)
    elif task == "multiclass":
        behind = value - best
    else:
        behind = 100 * (value - best) / best
    text = f"{behind:+.3f} {unit}" if task == "multiclass" else f"{behind:+.2f} {unit}"
    return {
        "behind": behind,
        "unit": unit,
        "best_peer": best_peer,
        "within": bool(behind <= allowed),
        "text": f"{text} vs {best_peer}",
    }


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
    for dataset, budget in sorted(ranks, key=order):
        group = {r.framework: r for r in results if (r.dataset, r.budget) == (dataset, budget)}
        gap = gap_to_best_peer(group, DATASETS[dataset].task)
        if gap is not None:
            summary["gap_to_best_peer"][f"{dataset}@{budget}"] = gap
    summary["ranks"] = {f"{d}@{b}": v for (d, b), v in ranks.items()}
    summary["targets"] = targets(results, summary)
    summary["batch_predict"] = batch_predict(results)
    return summary


def allowance_used(gap: dict[str, Any]) -> float:
    """How much of its task's allowance a gap uses (1 = on the target's edge)."""
    allowed = next(a for _, unit, a in GAP.values() if unit == gap["unit"])
    return math.inf if gap["behind"] is None else gap["behind"] / allowed


def targets(results: list[Result], summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Issue 18's targets per budget: Lepton first in average rank; every table within
    0.5 AUC points / 0.02 log loss / 2% RMSE of the best peer; overshoot at most 10%."""
    out: dict[str, dict[str, Any]] = {}
    for budget, average in summary["average_rank"].items():
        entry: dict[str, Any] = {}
        if "lepton" in average and len(average) > 1:
            best = min(average.values())
            entry["lepton_first"] = {
                "lepton": average["lepton"],
                "best": best,
                "met": bool(average["lepton"] <= best),
            }
        gaps = {k: v for k, v in summary["gap_to_best_peer"].items() if k.endswith(f"@{budget}")}
        if gaps:
            missed = [k for k, v in gaps.items() if not v["within"]]
            worst = max(gaps, key=lambda k: allowance_used(gaps[k]))
            entry["gap"] = {
                "tables": len(gaps),
                "within": len(gaps) - len(missed),
                "missed": {k.split("@")[0]: gaps[k]["text"] for k in missed},
                "worst": f"{worst.split('@')[0]} {gaps[worst]['text']}",
                "met": not missed,
            }
        over = [
            r.overshoot_pct
            for r in results
            if r.framework == "lepton" and str(r.budget) == budget and r.overshoot_pct is not None
        ]
        failed = [
            r.dataset
            for r in results
            if r.framework == "lepton" and str(r.budget) == budget and r.status != "ok"
        ]
        if over or failed:
            worst_over = max(over) if over else None
            entry["overshoot"] = {
                "max_pct": worst_over,
                "not_finished": failed,
                "met": bool(
                    not failed and worst_over is not None and worst_over <= MAX_OVERSHOOT_PCT
                ),
            }
        out[budget] = entry
    return out


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
    table = Table(
        title="AutoML benchmark: test-set metric (rank) and wall time of the whole fit call"
    )
    table.add_column("dataset @ budget")
    table.add_column("metric")
    for fw in frameworks:
        table.add_column(fw, justify="right")
    table.add_column("Lepton behind the best peer (+ = worse)", justify="right")
    ranks = summary["ranks"]
    for key in sorted({(r.dataset, r.budget) for r in results}, key=order):
        group = {r.framework: r for r in results if (r.dataset, r.budget) == key}
        primary = PRIMARY[DATASETS[key[0]].task][0]
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
                took = r.fit_seconds
                cells[-1] += f" ({rk:g})  {took:.1f}s" if took < 10 else f" ({rk:g})  {took:.0f}s"
        gap = summary["gap_to_best_peer"].get(f"{key[0]}@{key[1]}")
        shown = "" if gap is None else gap["text"] if gap["within"] else f"[red]{gap['text']}[/]"
        table.add_row(f"{key[0]} @ {key[1]}s", primary, *cells, shown)
    console.print(table)
    avg = Table(title="Average rank (lower is better) and worst overshoot of the time limit")
    avg.add_column("budget")
    for fw in frameworks:
        avg.add_column(fw, justify="right")
    for budget, values in summary["average_rank"].items():
        avg.add_row(
            f"{budget}s", *[f"{values[fw]:.2f}" if fw in values else "" for fw in frameworks]
        )
    avg.add_row(
        "max overshoot",
        *[
            ("no limit" if fw in UNBUDGETED else "")
            if summary["max_overshoot_pct"].get(fw) is None
            else f"{summary['max_overshoot_pct'][fw]:+.1f}%"
            for fw in frameworks
        ],
    )
    console.print(avg)
    render_targets(summary["targets"], console)
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


def render_targets(per_budget: dict[str, dict[str, Any]], console: Console) -> None:
    if not any(per_budget.values()):
        return
    table = Table(title="Issue 18 targets (Lepton)")
    table.add_column("target")
    for budget in per_budget:
        table.add_column(f"{budget}s")

    def cell(entry: dict[str, Any] | None, text: str) -> str:
        if entry is None:
            return ""
        return f"[green]yes[/] {text}" if entry["met"] else f"[red]no[/] {text}"

    def gap_text(e: dict[str, Any]) -> str:
        g = e["gap"]
        if g["missed"]:
            missed = "; ".join(f"{k} {v}" for k, v in g["missed"].items())
            return f"{g['within']}/{g['tables']} tables; missed: {missed}"
        return f"{g['within']}/{g['tables']} tables; closest: {g['worst']}"

    def overshoot_text(e: dict[str, Any]) -> str:
        o = e["overshoot"]
        text = "" if o["max_pct"] is None else f"{o['max_pct']:+.1f}%"
        if o["not_finished"]:
            text += f" (not finished: {', '.join(o['not_finished'])})"
        return text

    rows = {
        "first in average rank": lambda e: cell(
            e.get("lepton_first"),
            f"{e['lepton_first']['lepton']:.2f} vs best {e['lepton_first']['best']:.2f}"
            if "lepton_first" in e
            else "",
        ),
        "within 0.5 AUC pts / 0.02 log loss / 2% RMSE of the best peer": lambda e: cell(
            e.get("gap"), gap_text(e) if "gap" in e else ""
        ),
        f"max overshoot <= {MAX_OVERSHOOT_PCT:g}%": lambda e: cell(
            e.get("overshoot"), overshoot_text(e) if "overshoot" in e else ""
        ),
    }
    for label, make in rows.items():
        table.add_row(label, *[make(entry) for entry in per_budget.values()])
    console.print(table)


def plot(results: list[Result], path: Path) -> None:
    """Each framework's primary metric relative to the best one, per dataset and budget."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = sorted({(r.dataset, r.budget) for r in results}, key=order)
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
            higher = PRIMARY[DATASETS[dataset].task][1]
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


def missing_tables(datasets: list[str]) -> tuple[list[str], list[str]]:
    """(ours not extracted yet, shared ones not found) among ``datasets``."""
    absent = [
        d
        for d in datasets
        if not all(DATASETS[d].path(d, part).exists() for part in ("train", "test"))
    ]
    return (
        [d for d in absent if DATASETS[d].home == TABLES_DIR],
        [d for d in absent if DATASETS[d].home != TABLES_DIR],
    )


def console_for(stream: Any = sys.stdout) -> Console:
    """Rich's console; piped, a fixed wide width so the tables are not squeezed to 80."""
    return Console() if stream.isatty() else Console(width=220)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--plan",
        choices=sorted(PLANS),
        default="full",
        help="60: every table at 60 s; 300: every table at 300 s; full: both",
    )
    parser.add_argument("--datasets", nargs="*", choices=list(DATASETS))
    parser.add_argument("--frameworks", nargs="*", choices=FRAMEWORKS, default=list(FRAMEWORKS))
    parser.add_argument(
        "--budget",
        type=int,
        help="run the plan's tables at this one time limit instead (smoke runs)",
    )
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
    parser.add_argument(
        "--merge",
        nargs="+",
        type=Path,
        metavar="JSON",
        help="join runs made in slices (say --plan 300 a few --datasets at a time; every "
        "table's frameworks still ran side by side in one run) into --out, and render it",
    )
    args = parser.parse_args()
    console = console_for()
    if args.merge:
        merged = [Result(**r) for f in args.merge for r in json.loads(f.read_text())["results"]]
        keys = [(r.framework, r.dataset, r.budget) for r in merged]
        if len(set(keys)) < len(keys):
            console.print("[red]the files to merge measure the same run twice[/]")
            return 2
        first = json.loads(args.merge[0].read_text())
        payload = {
            "machine": first["machine"],
            "seed": first["seed"],
            "merged_from": [str(f) for f in args.merge],
            "results": [asdict(r) for r in merged],
            "summary": summarise(merged),
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(payload, indent=1, default=str))
        args.render = True
    if args.render:
        saved = [Result(**r) for r in json.loads(args.out.read_text())["results"]]
        render(saved, summarise(saved), console)
        plot(saved, args.out.with_suffix(".png"))
        return 0
    if any(f not in LOCAL for f in args.frameworks) and not PEERS_PYTHON.exists():
        console.print("[red]peers not installed:[/] run `bash benchmarks/setup_peers.sh` first")
        return 2
    datasets = [d for d in DATASETS if not args.datasets or d in args.datasets]
    ours, shared = missing_tables(datasets)
    if ours:
        console.print(
            f"[red]benchmark tables not extracted yet[/] ({', '.join(ours)}): "
            "run `bash benchmarks/setup_tables.sh` first"
        )
    if shared:
        console.print(f"[red]shared datasets not found in {DATASETS_DIR}:[/] {', '.join(shared)}")
    if ours or shared:
        return 2
    budgets = [args.budget] if args.budget else PLANS[args.plan]
    results: list[Result] = []
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lepton-bench-") as tmp:
        for budget in budgets:
            for dataset in datasets:
                for fw in args.frameworks:
                    console.print(f"[dim]{fw} on {dataset} @ {budget}s …[/]")
                    result = run_one(fw, dataset, budget, args.seed, Path(tmp), args.batch_rows)
                    results.append(result)
                    shown = (
                        f"{result.primary}={result.metrics[result.primary]:.4f} "
                        f"fit {result.fit_seconds:.1f}s"
                        if result.status == "ok"
                        else f"{result.status}: {result.error}"
                    )
                    console.print(f"  {fw:9s} {dataset:20s} {budget:4d}s  {shown}")
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
