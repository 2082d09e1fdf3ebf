"""``python -m lepton.optimize.memprobe KIND FOLDER SAMPLE``: memory of serving a package.

Runs in its own process so the number is the package's own footprint. Reported: the
highest resident size seen while loading the model and predicting one batch of 256 rows
(sampled every millisecond by a thread), minus the resident size just before, in a
process that has already imported pandas, onnxruntime and, for a native package, every
module its pickle refers to (the learners import their libraries lazily, so without
this the native number would be mostly library imports). The kernel's ``ru_maxrss``
cannot be used: it keeps the high-water mark of the imports.
"""

from __future__ import annotations

import importlib
import json
import os
import pickletools
import sys
import threading
import time
from pathlib import Path
from typing import Any

import onnxruntime  # noqa: F401  (part of the baseline for every kind)
import pandas as pd

from lepton.runtime.onnx_table import OnnxPredictor


def _rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def pickled_modules(path: Path) -> set[str]:
    """The modules whose classes or functions a pickle refers to (read, never unpickled).

    ``STACK_GLOBAL`` takes its module and name from the two values pushed just before
    it, either strings or memo lookups, so the walk keeps the pushes and the memo.
    """
    modules: set[str] = set()
    pushed: list[Any] = []
    memo: dict[int, Any] = {}
    with path.open("rb") as fh:
        for opcode, arg, _ in pickletools.genops(fh):
            name = opcode.name
            if name == "GLOBAL" and isinstance(arg, str):
                modules.add(arg.split(" ")[0])
                pushed.append(None)
            elif name == "STACK_GLOBAL":
                if len(pushed) >= 2 and isinstance(pushed[-2], str):
                    modules.add(pushed[-2])
                pushed.append(None)
            elif name == "MEMOIZE":
                memo[len(memo)] = pushed[-1] if pushed else None
            elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
                memo[int(str(arg))] = pushed[-1] if pushed else None
            elif name in ("GET", "BINGET", "LONG_BINGET"):
                pushed.append(memo.get(int(str(arg))))
            else:
                pushed.append(arg if "UNICODE" in name else None)
    return modules


def main(kind: str, folder: str, sample: str) -> None:
    if kind == "native":
        from lepton.runtime.manifest import NATIVE

        for module in sorted(pickled_modules(Path(folder) / NATIVE)):
            importlib.import_module(module)
    frame = pd.read_parquet(sample)
    records = [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]
    baseline = _rss_mib()
    peak = [baseline]
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss_mib())
            time.sleep(0.001)

    sampler = threading.Thread(target=watch, daemon=True)
    sampler.start()
    if kind == "native":
        from lepton.runtime.native import NativePredictor

        NativePredictor.load(Path(folder), trust=True).predict_raw(frame)
    else:
        OnnxPredictor.load(Path(folder)).predict_records(records)
    done.set()
    sampler.join()
    top = max(peak[0], _rss_mib())
    print(json.dumps({"peak_mib": max(top - baseline, 0.0), "baseline_mib": baseline}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
