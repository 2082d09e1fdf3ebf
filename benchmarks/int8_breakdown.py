"""Why int8 buys the MLP less end to end than in the graph: time split at batch 256.

Trains a PyTorch-MLP-only adult model, runs `lepton optimize`, then times, for every ONNX
variant, building the graph's input arrays from 256 records (Python, untouched by
quantization) and ``session.run`` alone (preprocessing ops + dense layers), single thread.
Prints a table and writes benchmarks/results/int8_breakdown.json.

    .venv/bin/python benchmarks/int8_breakdown.py
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

ADULT = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "adult.train.parquet"
RESULTS = Path(__file__).resolve().parent / "results"


def median_ms(fn: Callable[[], Any], repeats: int = 50) -> float:
    fn()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return float(np.median(times)) * 1000


def main() -> int:
    os.environ["LEPTON_HOME"] = tempfile.mkdtemp(prefix="lepton-int8-")
    from lepton.data.catalog import DataCatalog
    from lepton.learn.registry import load_package_predictor
    from lepton.learn.training import train_dataset
    from lepton.optimize import optimize
    from lepton.store.project import Project

    project = Project.open()
    frame = pd.read_parquet(ADULT).sample(8000, random_state=0)
    catalog = DataCatalog(project)
    train = catalog.add_frame(frame.iloc[:6000], name="mlp", target="income")[0].ref
    test = catalog.add_frame(frame.iloc[6000:], name="mlp-test", target="income")[0].ref
    train_dataset(project, train, time_limit=40, families=["mlp"], n_folds=3)
    optimize(project, "mlp", test_ref=test, measure_memory=False)
    records = frame.drop(columns="income").head(256).to_dict(orient="records")
    rows = []
    for version in project.metadata.list_model_versions("mlp.optimized"):
        predictor, _ = load_package_predictor(project, f"mlp.optimized@{version.version}")
        layout = getattr(predictor, "layout", None)
        if layout is None:
            continue
        feed = layout.from_records(records)
        build = median_ms(lambda layout=layout: layout.from_records(records))
        run = median_ms(lambda predictor=predictor, feed=feed: predictor.run(feed))
        rows.append({"variant": predictor.variant, "build_ms": build, "run_ms": run})
    base = next(r for r in rows if r["variant"] == "onnx-fp32")
    table = Table(title="MLP at batch 256, one thread: input building vs graph")
    for col in (
        "variant",
        "build feed ms",
        "session.run ms",
        "total ms",
        "graph ×fp32",
        "total ×fp32",
    ):
        table.add_column(col, justify="right" if col != "variant" else "left")
    for row in rows:
        row["graph_speedup"] = base["run_ms"] / row["run_ms"]
        row["total_speedup"] = (base["build_ms"] + base["run_ms"]) / (
            row["build_ms"] + row["run_ms"]
        )
        table.add_row(
            row["variant"],
            f"{row['build_ms']:.3f}",
            f"{row['run_ms']:.3f}",
            f"{row['build_ms'] + row['run_ms']:.3f}",
            f"{row['graph_speedup']:.2f}",
            f"{row['total_speedup']:.2f}",
        )
    Console().print(table)
    (RESULTS / "int8_breakdown.json").write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
