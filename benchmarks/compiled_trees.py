"""Compiled trees (Treelite + TL2cgen) vs Lepton's ONNX export, single row, one thread.

The optimize issue asks for compiled predictors "if they beat ONNX Runtime". This
measures it on the trees they would replace: a LightGBM-only AutoML model of the adult
data (k fold models), each fold booster compiled to a shared library with gcc by
TL2cgen, against Lepton's ONNX graph of the same model (which also does the category
lookup and the link, so it has more work to do) and against LightGBM itself.

Treelite is not a Lepton dependency; install it into the venv first:

    .venv/bin/pip install treelite tl2cgen
    .venv/bin/python benchmarks/compiled_trees.py [--time-limit 60]

Results: a table on stdout and ``benchmarks/results/compiled_trees.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
DATASETS = HERE.parents[1] / "shared" / "datasets"
RESULTS = HERE / "results"
ROWS = 200


def cpu_ms_per_call(call: Callable[[int], Any], rounds: int = 8, calls: int = 300) -> float:
    """Best-of-rounds CPU time per call (thread time: other processes' load is not counted)."""
    best = float("inf")
    for _ in range(rounds):
        start = time.thread_time()
        for i in range(calls):
            call(i % ROWS)
        best = min(best, (time.thread_time() - start) / calls * 1000)
    return best


def main() -> None:
    import tl2cgen
    import treelite

    from lepton.data.catalog import DataCatalog
    from lepton.learn.families.lightgbm_family import tree_matrix
    from lepton.learn.package import build_manifest
    from lepton.learn.training import train_dataset
    from lepton.optimize.export import export_model
    from lepton.runtime.onnx_table import OnnxPredictor
    from lepton.store.project import Project

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    console = Console()
    os.environ["LEPTON_HOME"] = tempfile.mkdtemp(prefix="lepton-bench-treelite-")
    project = Project.open()
    train = DataCatalog(project).add_frame(
        pd.read_parquet(DATASETS / "adult.train.parquet"), name="adult", target="income"
    )[0]
    model = train_dataset(
        project, train.ref, time_limit=args.time_limit, families=["lightgbm"], model_name="adult"
    ).automl.model_
    boosters = [f.booster for m in model.members if m.weight > 0 for f in m.models]
    n_trees = sum(b.num_trees() for b in boosters)
    console.print(f"{len(boosters)} LightGBM fold models, {n_trees} trees")

    started = time.time()
    libraries = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, booster in enumerate(boosters):
            path = Path(tmp) / f"fold{i}.so"
            tl2cgen.export_lib(
                treelite.frontend.from_lightgbm(booster),
                toolchain="gcc",
                libpath=str(path),
                params={"parallel_comp": 8},
                nthread=1,
            )
            libraries.append(tl2cgen.Predictor(str(path), nthread=1))
        compile_seconds = time.time() - started
        console.print(f"compiled in {compile_seconds:.0f} s")

        frame = pd.read_parquet(DATASETS / "adult.test.parquet").head(ROWS)
        features = frame.drop(columns=["income"])
        matrix = np.ascontiguousarray(tree_matrix(model.encoder.transform(features)), np.float32)
        compiled_rows = [tl2cgen.DMatrix(matrix[i : i + 1]) for i in range(ROWS)]
        margins = np.array(
            [lib.predict(tl2cgen.DMatrix(matrix), pred_margin=True) for lib in libraries]
        )
        native_margins = np.array(
            [b.predict(matrix.astype(np.float64), raw_score=True) for b in boosters]
        )
        graph, _ = export_model(model)
        manifest = build_manifest(model, metrics={}, lineage={})
        onnx_model = OnnxPredictor(graph.SerializeToString(), manifest)
        records = [{str(k): v for k, v in r.items()} for r in features.to_dict(orient="records")]
        feeds = [onnx_model.layout.from_records([r]) for r in records]
        native_rows = [matrix[i : i + 1].astype(np.float64) for i in range(ROWS)]
        timings = {
            "lightgbm_trees_ms": cpu_ms_per_call(
                lambda i: [
                    b.predict(native_rows[i], raw_score=True, num_threads=1) for b in boosters
                ]
            ),
            "tl2cgen_trees_ms": cpu_ms_per_call(
                lambda i: [lib.predict(compiled_rows[i]) for lib in libraries]
            ),
            "onnx_whole_graph_ms": cpu_ms_per_call(lambda i: onnx_model.run(feeds[i])),
        }
    result = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "time_limit_s": args.time_limit,
        "fold_models": len(boosters),
        "trees": n_trees,
        "tl2cgen_compile_seconds": compile_seconds,
        "tl2cgen_max_margin_diff_vs_lightgbm": float(
            np.max(np.abs(margins.squeeze() - native_margins))
        ),
        **timings,
        "onnx_speedup_vs_tl2cgen": timings["tl2cgen_trees_ms"] / timings["onnx_whole_graph_ms"],
        "tl2cgen_speedup_vs_lightgbm": timings["lightgbm_trees_ms"] / timings["tl2cgen_trees_ms"],
        "note": "single row, one thread, CPU time per call (best of 8 rounds of 300 calls)",
    }
    table = Table(title=f"adult, {len(boosters)} LightGBM fold models, {n_trees} trees: one row")
    for column in ("predictor", "ms / row", "vs ONNX"):
        table.add_column(column, justify="right" if column != "predictor" else "left")
    onnx_ms = timings["onnx_whole_graph_ms"]
    for name, key in (
        ("LightGBM (trees only)", "lightgbm_trees_ms"),
        ("TL2cgen compiled (trees only)", "tl2cgen_trees_ms"),
        ("Lepton ONNX (whole pipeline)", "onnx_whole_graph_ms"),
    ):
        table.add_row(name, f"{timings[key]:.3f}", f"{timings[key] / onnx_ms:.2f}x")
    console.print(table)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "compiled_trees.json").write_text(json.dumps(result, indent=1))
    console.print(f"wrote {RESULTS / 'compiled_trees.json'}")


if __name__ == "__main__":
    main()
