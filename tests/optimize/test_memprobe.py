"""The memory probe imports what a native pickle needs before it takes its baseline."""

from __future__ import annotations

import pickle
from collections import OrderedDict
from pathlib import Path

from sklearn.linear_model import LogisticRegression

from lepton.optimize.memprobe import pickled_modules


def test_pickled_modules_reads_every_referenced_module(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    payload = {"a": LogisticRegression(), "b": OrderedDict(x=1), "c": [LogisticRegression()]}
    path.write_bytes(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
    modules = pickled_modules(path)
    assert "sklearn.linear_model._logistic" in modules and "collections" in modules
    assert all("." in m or m in {"collections", "numpy", "builtins"} for m in modules), modules


def test_old_protocols_are_read_too(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(OrderedDict(x=1), protocol=2))
    assert pickled_modules(path) == {"collections"}
