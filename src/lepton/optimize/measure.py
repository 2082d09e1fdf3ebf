"""What a variant costs on this machine: latency, throughput, size, memory, accuracy.

All predictors run single-threaded (onnxruntime ``intra_op_num_threads=1``, torch and
the boosters with one thread) so the numbers compare like with like. Native latency
is ``predict_raw`` on a prepared one-row DataFrame; ONNX latency is ``predict_records``
on one dict, *including* turning the dict into graph inputs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.learn.metrics import Metric

BATCH = 256


@dataclass
class Measurement:
    p50_ms: float
    p99_ms: float
    throughput_rows_s: float
    size_bytes: int
    peak_memory_mib: float | None
    metric: float
    metric_drop: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """Torch on one thread for the block (measuring, fine-tuning), restored after."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def latency_ms(
    call: Callable[[int], Any], n_rows: int, *, seconds: float = 1.5, max_calls: int = 3000
) -> tuple[float, float]:
    """p50 and p99 of single-row calls, cycling through rows, after a warm-up."""
    for i in range(min(20, n_rows)):
        call(i)
    times: list[float] = []
    deadline = time.perf_counter() + seconds
    i = 0
    while len(times) < 20 or (time.perf_counter() < deadline and len(times) < max_calls):
        start = time.perf_counter()
        call(i % n_rows)
        times.append((time.perf_counter() - start) * 1000)
        i += 1
    return float(np.percentile(times, 50)), float(np.percentile(times, 99))


def throughput(call: Callable[[], Any], rows: int, *, seconds: float = 1.5) -> float:
    """Rows per second for repeated batch calls (median call time)."""
    call()
    times: list[float] = []
    deadline = time.perf_counter() + seconds
    while len(times) < 3 or (time.perf_counter() < deadline and len(times) < 200):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(rows / np.median(times))


def metric_drop(metric: Metric, baseline: float, value: float) -> float:
    """How much worse ``value`` is than ``baseline`` (positive = worse)."""
    return baseline - value if metric.greater_is_better else value - baseline


def peak_memory_mib(folder: Path, kind: str, sample: Path) -> float | None:
    """Extra peak RSS of a fresh process that loads the package and predicts one batch.

    ``ru_maxrss`` is a high-water mark, so a process whose imports peak above the model
    reports little: it is a footprint indicator, not an exact allocation count.
    """
    code = [sys.executable, "-m", "lepton.optimize.memprobe", kind, str(folder), str(sample)]
    try:
        done = subprocess.run(code, capture_output=True, text=True, timeout=300, check=False)
        return float(json.loads(done.stdout.strip().splitlines()[-1])["peak_mib"])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError, KeyError):
        return None


def score(metric: Metric, y: NDArray[Any], pred: NDArray[np.float64]) -> float:
    return metric.score(y, pred)


def batch_frame(frame: pd.DataFrame) -> pd.DataFrame:
    reps = int(np.ceil(BATCH / max(len(frame), 1)))
    return pd.concat([frame] * reps, ignore_index=True).head(BATCH)
