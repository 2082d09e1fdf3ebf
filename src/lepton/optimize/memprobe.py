"""``python -m lepton.optimize.memprobe KIND FOLDER SAMPLE``: memory of serving a package.

Runs in its own process so the number is the package's own footprint. Reported: the
peak resident size minus the size of a process that has already imported pandas,
onnxruntime and Lepton's learn layer — i.e. what loading the model and predicting one
batch of 256 rows adds (libraries a native model imports on unpickling count too).
"""

from __future__ import annotations

import json
import os
import resource
import sys
from pathlib import Path

import onnxruntime  # noqa: F401  (part of the baseline for every kind)
import pandas as pd

from lepton.learn.onnx_predictor import OnnxPredictor


def _rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def main(kind: str, folder: str, sample: str) -> None:
    frame = pd.read_parquet(sample)
    records = [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]
    baseline = _rss_mib()
    if kind == "native":
        from lepton.learn.predictor import Predictor

        Predictor.load(Path(folder), trust=True).model.predict_raw(frame)
    else:
        OnnxPredictor.load(Path(folder)).predict_records(records)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"peak_mib": max(peak - baseline, 0.0), "baseline_mib": baseline}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
