"""``python -m lepton.optimize.memprobe KIND FOLDER SAMPLE``: peak memory of serving a package.

Runs in its own process so the number is the package's own footprint (runtime
imports included), not whatever the measuring process already holds.
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

import pandas as pd


def main(kind: str, folder: str, sample: str) -> None:
    frame = pd.read_parquet(sample)
    if kind == "native":
        import torch

        from lepton.learn.predictor import Predictor

        torch.set_num_threads(1)
        Predictor.load(Path(folder), trust=True).model.predict_raw(frame)
    else:
        from lepton.learn.onnx_predictor import OnnxPredictor

        records = [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]
        OnnxPredictor.load(Path(folder)).predict_records(records)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"peak_mib": peak_kib / 1024}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
