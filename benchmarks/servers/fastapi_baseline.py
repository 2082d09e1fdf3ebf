"""Baseline: plain FastAPI calling ``predict_proba`` once per request (no batching).

The same registered model package as every other server, loaded with trust (the benchmark
made it). Run: ``python fastapi_baseline.py PACKAGE_DIR PORT``.
"""

from __future__ import annotations

import sys
from typing import Any

import pandas as pd
import uvicorn
from fastapi import FastAPI

from lepton.runtime.native import NativePredictor

predictor = NativePredictor.load(sys.argv[1], trust=True)
app = FastAPI()


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/predict")
def predict(body: dict[str, Any]) -> dict[str, Any]:
    frame = pd.DataFrame.from_records(body["records"])
    proba = predictor.predict_proba(frame)
    return {"labels": list(proba.columns), "probabilities": proba.to_numpy().tolist()}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
