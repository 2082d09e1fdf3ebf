"""Why int8 gains less at batch 1 than at batch 256 for the image CNN: the fixed per-call part.

For every ONNX variant of an optimized image model, single thread: p50 of
``predict_records`` on one image (what the server calls), of ``session.run`` alone on a
prepared array, and of ``session.run`` at batch 256 per image. A 1-node graph on the
same input gives onnxruntime's own floor per call. The part of a call that int8 cannot
shrink (floor + Python around the run) caps the batch-1 ratio below the batch-256 one.

    .venv/bin/python benchmarks/images.py --time-limit 1800   # prints its LEPTON_HOME
    .venv/bin/python benchmarks/image_int8_batch1.py --home <that folder> [--model fmnist]

Results: a table and ``benchmarks/results/image_int8_batch1.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).resolve().parent / "results"


def p50_ms(call: Callable[[], Any], repeats: int = 2000) -> float:
    for _ in range(50):
        call()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return float(np.median(times)) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True, help="LEPTON_HOME of an images.py run")
    parser.add_argument("--model", default="fmnist")
    args = parser.parse_args()
    os.environ["LEPTON_HOME"] = args.home
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper

    from lepton.runtime.loader import load_package_predictor
    from lepton.runtime.onnx_table import session_options
    from lepton.store.project import Project

    project = Project.open()
    rng = np.random.default_rng(0)
    rows: list[dict[str, Any]] = []
    shape: tuple[int, ...] = ()
    for record in project.metadata.list_model_versions(f"{args.model}.optimized"):
        predictor, _ = load_package_predictor(project, f"{args.model}.optimized@{record.version}")
        session = getattr(predictor, "session", None)
        if session is None or predictor.variant == "onnx-int8-dynamic":
            continue
        size, channels = predictor.preprocessing.size, predictor.preprocessing.channels
        shape = (*size, channels)
        one = rng.integers(0, 256, size=(1, *shape), dtype=np.uint8)
        many = rng.integers(0, 256, size=(256, *shape), dtype=np.uint8)
        name = session.get_inputs()[0].name
        records = [{predictor.image_column: one[0]}]
        single, batch = {name: one}, {name: many}
        rows.append(
            {
                "variant": predictor.variant,
                "predict_records_ms": p50_ms(
                    lambda p=predictor, r=records: p.predict_records(r)  # type: ignore[misc]
                ),
                "session_run_ms": p50_ms(lambda s=session, f=single: s.run(None, f)),
                "per_image_at_256_ms": p50_ms(lambda s=session, f=batch: s.run(None, f), 100) / 256,
            }
        )
    graph = helper.make_graph(
        [helper.make_node("ReduceMax", ["pixels"], ["out"], keepdims=0)],
        "floor",
        [helper.make_tensor_value_info("pixels", TensorProto.UINT8, ["N", *shape])],
        [helper.make_tensor_value_info("out", TensorProto.UINT8, [])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    floor_session = ort.InferenceSession(model.SerializeToString(), session_options(1))
    one = rng.integers(0, 256, size=(1, *shape), dtype=np.uint8)
    floor = p50_ms(lambda: floor_session.run(None, {"pixels": one}))
    onnx.checker.check_model(model)
    base = next(r for r in rows if r["variant"] == "onnx-fp32")
    table = Table(title=f"{args.model}: one image vs 256, single thread (p50)")
    for col in (
        "variant",
        "predict_records",
        "session.run",
        "per image @256",
        "×fp32 @1",
        "×fp32 @256",
    ):
        table.add_column(col, justify="right" if col != "variant" else "left")
    for row in rows:
        row["speedup_batch1"] = base["predict_records_ms"] / row["predict_records_ms"]
        row["speedup_batch256"] = base["per_image_at_256_ms"] / row["per_image_at_256_ms"]
        table.add_row(
            row["variant"],
            f"{row['predict_records_ms']:.4f} ms",
            f"{row['session_run_ms']:.4f} ms",
            f"{row['per_image_at_256_ms']:.4f} ms",
            f"{row['speedup_batch1']:.2f}",
            f"{row['speedup_batch256']:.2f}",
        )
    console = Console()
    console.print(table)
    console.print(f"onnxruntime floor per call (1-node graph, same input): {floor:.4f} ms")
    RESULTS.mkdir(exist_ok=True)
    out = {"model": args.model, "variants": rows, "onnxruntime_floor_ms": floor}
    (RESULTS / "image_int8_batch1.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
