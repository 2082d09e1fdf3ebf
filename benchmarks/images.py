"""Image benchmark: Fashion-MNIST through Lepton vs a plain PyTorch CNN script, same budget.

One run, one after the other (never at the same time: they would halve each other's CPU),
both on 2 threads:

1. ``lepton data add fashion_mnist.npz`` (train → ``fmnist``, test → ``fmnist-test``);
2. Lepton AutoML on ``fmnist`` with ``--time-limit`` (default 600 s), scored on the test set;
3. a plain PyTorch script — a standard small CNN (2 conv + 2 FC, Adam, batch 128) trained
   on all 60,000 training images until the same budget runs out — scored on the test set;
4. ``lepton optimize`` of the Lepton model: single-threaded batch-1 latency and accuracy of
   native, ONNX fp32 and int8 (static QDQ, dynamic) on the 10,000 test images.

Before each training the 1-minute load average is waited down below ``--max-load`` (the
machine is shared), and the load seen during each run is recorded.

    .venv/bin/python benchmarks/images.py                     # 10-minute budgets
    .venv/bin/python benchmarks/images.py --time-limit 1800   # the 30-minute run

Results: a table on stdout and ``benchmarks/results/images.json``
(``images-<time_limit>.json`` for other budgets).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
DATASET = HERE.parents[1] / "shared" / "datasets" / "fashion_mnist.npz"
RESULTS = HERE / "results"
THREADS = 2  # at most; Lepton measures whether 1 or 2 torch threads train faster here


def wait_for_quiet(max_load: float, console: Console, max_wait: float = 3600) -> float:
    """Block while the 1-minute load average is above ``max_load``; returns it when starting."""
    started = time.monotonic()
    while os.getloadavg()[0] > max_load and time.monotonic() - started < max_wait:
        console.print(f"[dim]load {os.getloadavg()[0]:.2f} > {max_load}: waiting…[/]")
        time.sleep(30)
    return os.getloadavg()[0]


def plain_pytorch(time_limit: float, threads: int, seed: int = 0) -> dict[str, Any]:
    """The baseline: a standard small CNN, Adam, all training images, stop at the budget.

    It runs on the thread count Lepton measured to be faster on this machine (see
    ``lepton.learn.vision.automl._choose_threads``), so neither gets a threading advantage.
    """
    import torch
    import torch.nn.functional as F
    from torch import nn

    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    started = time.time()
    with np.load(DATASET) as data:
        x_train = torch.from_numpy(data["x_train"]).float().div(255).unsqueeze(1)
        y_train = torch.from_numpy(data["y_train"]).long()
        x_test = torch.from_numpy(data["x_test"]).float().div(255).unsqueeze(1)
        y_test = data["y_test"]
    net = nn.Sequential(
        nn.Conv2d(1, 32, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 5 * 5, 128),
        nn.ReLU(),
        nn.Dropout(0.25),
        nn.Linear(128, 10),
    )
    optim = torch.optim.Adam(net.parameters(), lr=1e-3)
    deadline = started + time_limit
    epochs, done = 0.0, False
    while not done:
        net.train()
        order = torch.randperm(len(x_train))
        for start in range(0, len(x_train), 128):
            if time.time() >= deadline:
                done = True
                break
            idx = order[start : start + 128]
            optim.zero_grad()
            F.cross_entropy(net(x_train[idx]), y_train[idx]).backward()
            optim.step()
            epochs += len(idx) / len(x_train)
    train_seconds = time.time() - started
    net.eval()
    with torch.inference_mode():
        predicted = torch.cat([net(x_test[i : i + 1000]).argmax(1) for i in range(0, 10000, 1000)])
    return {
        "test_accuracy": float((predicted.numpy() == y_test).mean()),
        "train_seconds": train_seconds,
        "epochs": epochs,
        "model": "Conv32-Conv64-FC128-FC10, Adam 1e-3, batch 128, no augmentation",
        "threads": threads,
    }


def lepton_run(time_limit: float, console: Console) -> dict[str, Any]:
    from lepton.data.catalog import DataCatalog
    from lepton.learn.training import train_dataset
    from lepton.store.project import Project

    project = Project.open()
    catalog = DataCatalog(project)
    started = time.time()
    (train, _), (test, _) = catalog.add_arrays(DATASET, name="fmnist")
    ingest_seconds = time.time() - started
    console.print(f"ingested {train.ref} and {test.ref} in {ingest_seconds:.1f} s")
    load = wait_for_quiet(ARGS.max_load, console)
    started = time.time()
    outcome = train_dataset(project, train.ref, test_ref=test.ref, time_limit=time_limit)
    wall = time.time() - started
    report = outcome.test_report or {}
    return {
        "ingest_seconds": ingest_seconds,
        "load_at_start": load,
        "load_at_end": os.getloadavg()[0],
        "test_accuracy": report.get("metrics", {}).get("accuracy"),
        "test_metrics": report.get("metrics"),
        "per_class": report.get("per_class"),
        "fit_seconds": outcome.automl.fit_seconds_,
        "train_wall_seconds": wall,
        "budget_overrun": outcome.automl.fit_seconds_ / time_limit - 1,
        "notes": outcome.automl.notes_,
        "chosen_params": getattr(outcome.automl.model_, "params", {}),
        "threads": outcome.automl.model_.extra.get("threads"),
        "model": f"{outcome.version.name}@{outcome.version.version}",
    }


def optimize_run(model: str, console: Console) -> dict[str, Any]:
    from lepton.optimize import optimize
    from lepton.store.project import Project

    started = time.time()
    outcome = optimize(
        Project.open(), model, measure_seconds=3.0, on_progress=lambda m: console.print(f"  {m}")
    )
    table = outcome.result.table()
    by = {row["variant"]: row for row in table}
    fp32 = by.get("onnx-fp32", {})
    out: dict[str, Any] = {
        "seconds": time.time() - started,
        "chosen": outcome.result.chosen,
        "notes": outcome.result.notes,
        "table": table,
    }
    for name in ("onnx-int8-static", "onnx-int8-dynamic"):
        row = by.get(name)
        if row and fp32:
            out[f"{name}_speedup_vs_fp32_p50"] = fp32["p50_ms"] / row["p50_ms"]
            out[f"{name}_accuracy_drop_points"] = 100 * (fp32["metric"] - row["metric"])
    return out


def print_table(console: Console, result: dict[str, Any]) -> None:
    threads = result["lepton"].get("threads")
    table = Table(
        title=f"Fashion-MNIST, {result['time_limit']:g} s budget, {threads} torch thread(s)"
    )
    for col in ("system", "test accuracy", "train wall s", "epochs / notes"):
        table.add_column(col, justify="right" if col != "system" else "left")
    lep, base = result["lepton"], result["plain_pytorch"]
    table.add_row(
        "Lepton (AutoML CNN)",
        f"{lep['test_accuracy']:.4f}",
        f"{lep['train_wall_seconds']:.0f} (fit {lep['fit_seconds']:.0f})",
        f"budget overrun {100 * lep['budget_overrun']:+.1f}%",
    )
    table.add_row(
        "plain PyTorch small CNN",
        f"{base['test_accuracy']:.4f}",
        f"{base['train_seconds']:.0f}",
        f"{base['epochs']:.1f} epochs",
    )
    console.print(table)
    serve = Table(title="Serving the Lepton model (1 thread, batch 1, 10,000 test images)")
    for col in ("variant", "p50 ms", "p99 ms", "images/s @256", "size KiB", "accuracy", "chosen"):
        serve.add_column(col, justify="right" if col != "variant" else "left")
    for row in result["optimize"]["table"]:
        serve.add_row(
            row["variant"],
            f"{row['p50_ms']:.3f}",
            f"{row['p99_ms']:.3f}",
            f"{row['throughput_rows_s']:.0f}",
            f"{row['size_bytes'] / 1024:.0f}",
            f"{row['metric']:.4f}",
            "✓" if row["chosen"] else "",
        )
    console.print(serve)


def main() -> None:
    console = Console()
    home = Path(tempfile.mkdtemp(prefix="lepton-bench-images-"))
    os.environ["LEPTON_HOME"] = str(home)
    for key in ("LEPTON_STORE_URL", "LEPTON_ARTIFACTS_URL", "LEPTON_CONFIG"):
        os.environ.pop(key, None)
    result: dict[str, Any] = {
        "time_limit": ARGS.time_limit,
        "threads": THREADS,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "python": sys.version.split()[0],
    }
    console.print(f"store (LEPTON_HOME): {home}")
    console.print(f"[bold]Lepton[/] ({ARGS.time_limit:g} s budget)")
    result["lepton"] = lepton_run(ARGS.time_limit, console)
    console.print(f"  test accuracy {result['lepton']['test_accuracy']:.4f}")
    console.print(f"[bold]plain PyTorch CNN[/] ({ARGS.time_limit:g} s budget)")
    load = wait_for_quiet(ARGS.max_load, console)
    result["plain_pytorch"] = {
        **plain_pytorch(ARGS.time_limit, int(result["lepton"]["threads"] or THREADS)),
        "load_at_start": load,
        "load_at_end": os.getloadavg()[0],
    }
    console.print(f"  test accuracy {result['plain_pytorch']['test_accuracy']:.4f}")
    console.print("[bold]optimize[/]")
    result["optimize"] = optimize_run(result["lepton"]["model"], console)
    result["targets"] = {
        "accuracy_ge_0.92_in_10min": (result["lepton"]["test_accuracy"] or 0) >= 0.92
        if ARGS.time_limit <= 600
        else None,
        "accuracy_ge_0.935_in_30min": (result["lepton"]["test_accuracy"] or 0) >= 0.935
        if 600 < ARGS.time_limit <= 1800
        else None,
        "int8_static_speedup_ge_1.5": result["optimize"].get(
            "onnx-int8-static_speedup_vs_fp32_p50", 0
        )
        >= 1.5,
        "int8_static_drop_le_0.5_points": result["optimize"].get(
            "onnx-int8-static_accuracy_drop_points", 99
        )
        <= 0.5,
    }
    print_table(console, result)
    RESULTS.mkdir(exist_ok=True)
    name = "images.json" if ARGS.time_limit == 600 else f"images-{ARGS.time_limit:g}.json"
    (RESULTS / name).write_text(json.dumps(result, indent=1, default=str))
    console.print(f"wrote {RESULTS / name}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--max-load", type=float, default=3.0)
    ARGS = parser.parse_args()
    main()
