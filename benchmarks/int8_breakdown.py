"""Why int8 buys the MLP less end to end than in the graph: time split at batch 256.

Trains a PyTorch-MLP-only adult model, runs `lepton optimize`, then times, for every ONNX
variant, building the graph's input arrays from 256 records (Python, untouched by
quantization) and ``session.run`` alone (preprocessing ops + dense layers), single thread.
Then a width sweep isolates the dense layers: a plain 3-layer ReLU MLP graph (no
preprocessing) at hidden widths 64…1024, fp32 vs int8 dynamic vs int8 static, same batch
and thread: where int8 starts to pay on this CPU (AVX-512 VNNI) and where the quantize /
dequantize work around each MatMul costs more than the int8 MatMul saves.
Prints tables and writes benchmarks/results/int8_breakdown.json.

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
    from lepton.learn.training import train_dataset
    from lepton.optimize import optimize
    from lepton.runtime.loader import load_package_predictor
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
    sweep = width_sweep()
    (RESULTS / "int8_breakdown.json").write_text(
        json.dumps({"lepton_mlp": rows, "width_sweep": sweep}, indent=1)
    )
    return 0


def width_sweep(widths: tuple[int, ...] = (64, 128, 256, 512, 1024)) -> list[dict[str, Any]]:
    """session.run of a bare MLP graph (fp32 / int8 dynamic / int8 static) per hidden width."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_dynamic,
        quantize_static,
    )

    from lepton.runtime.onnx_table import session_options

    rng = np.random.default_rng(0)
    batch = rng.normal(size=(256, 100)).astype(np.float32)

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.rows = iter([{"x": batch[i : i + 32]} for i in range(0, 256, 32)])

        def get_next(self) -> dict[str, Any] | None:
            return next(self.rows, None)

    out = []
    table = Table(title="bare MLP (100 → w → w → 2) at batch 256, one thread: session.run")
    for col in ("width", "fp32 ms", "int8 dynamic ms", "int8 static ms", "dyn ×", "static ×"):
        table.add_column(col, justify="right")
    with tempfile.TemporaryDirectory() as tmp:
        for width in widths:
            sizes = [100, width, width, 2]
            nodes, inits, name = [], [], "x"
            for i in range(3):
                w = rng.normal(scale=sizes[i] ** -0.5, size=(sizes[i], sizes[i + 1]))
                inits += [
                    numpy_helper.from_array(w.astype(np.float32), f"w{i}"),
                    numpy_helper.from_array(np.zeros(sizes[i + 1], np.float32), f"b{i}"),
                ]
                nodes += [
                    helper.make_node("MatMul", [name, f"w{i}"], [f"m{i}"]),
                    helper.make_node("Add", [f"m{i}", f"b{i}"], [f"a{i}"]),
                ]
                name = f"a{i}"
                if i < 2:
                    nodes.append(helper.make_node("Relu", [name], [f"r{i}"]))
                    name = f"r{i}"
            graph = helper.make_graph(
                nodes,
                "mlp",
                [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 100])],
                [helper.make_tensor_value_info(name, TensorProto.FLOAT, ["N", 2])],
                inits,
            )
            model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
            model.ir_version = 9
            paths = {k: str(Path(tmp) / f"{width}-{k}.onnx") for k in ("fp32", "dyn", "static")}
            onnx.save(model, paths["fp32"])
            quantize_dynamic(paths["fp32"], paths["dyn"], weight_type=QuantType.QInt8)
            quantize_static(paths["fp32"], paths["static"], Reader(), quant_format=QuantFormat.QDQ)
            times = {}
            for kind, path in paths.items():
                session = ort.InferenceSession(path, session_options(1))
                times[kind] = median_ms(lambda s=session: s.run(None, {"x": batch}), repeats=200)
            row = {"width": width, **{f"{k}_ms": v for k, v in times.items()}}
            row["dynamic_speedup"] = times["fp32"] / times["dyn"]
            row["static_speedup"] = times["fp32"] / times["static"]
            out.append(row)
            table.add_row(
                str(width),
                f"{times['fp32']:.3f}",
                f"{times['dyn']:.3f}",
                f"{times['static']:.3f}",
                f"{row['dynamic_speedup']:.2f}",
                f"{row['static_speedup']:.2f}",
            )
    Console().print(table)
    return out


if __name__ == "__main__":
    raise SystemExit(main())
