"""A model with a bug: it raises inside predict for one trigger value of ``x1``.

A second value (``GATE``) holds the request inside the model until the file named by
``LEPTON_TEST_GATE`` exists: a test can keep a request in flight for as long as it needs,
without guessing how long anything takes.

Why a real package (a copy of a trained one whose native pickle is this class): the
failure then happens where real ones do, in the batcher's thread pool inside a real
server process, which imports this module to unpickle the model.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
import time
import uuid
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.learn.model import TrainedModel
from lepton.runtime.loader import package_folder, resolve
from lepton.runtime.manifest import NATIVE
from lepton.runtime.package import load_native
from lepton.store.metadata.records import ModelVersionRecord
from lepton.store.project import Project

TRIGGER = 666.0
GATE = 555.0
GATE_WAIT_S = 60.0


class FaultyModel(TrainedModel):
    def predict_raw(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        if (frame["x1"] == TRIGGER).any():
            raise RuntimeError("the model broke on the trigger row (a stand-in for a real bug)")
        if (frame["x1"] == GATE).any():
            _wait_for_gate()
        return super().predict_raw(frame)


def _wait_for_gate() -> None:
    gate = Path(os.environ["LEPTON_TEST_GATE"])
    deadline = time.monotonic() + GATE_WAIT_S
    while not gate.exists() and time.monotonic() < deadline:
        time.sleep(0.01)


def register_faulty(project: Project, source: str, name: str) -> ModelVersionRecord:
    """A new version of model ``name``: ``source``'s package, its model a ``FaultyModel``."""
    record = resolve(project, source)
    folder = package_folder(project, record)
    model = load_native(folder)
    faulty = FaultyModel(**{f.name: getattr(model, f.name) for f in fields(model)})
    key = f"models/{name}/{uuid.uuid4().hex}"
    with tempfile.TemporaryDirectory(prefix="lepton-faulty-") as tmp:
        copy = Path(tmp) / "package"
        shutil.copytree(folder, copy)
        with (copy / NATIVE).open("wb") as fh:
            pickle.dump(faulty, fh, protocol=pickle.HIGHEST_PROTOCOL)
        published = project.artifacts.put_dir(copy, key)
    return project.metadata.register_model_version(
        name,
        artifact_key=key,
        task=record.task,
        metadata={"artifact_hash": published.content_hash},
    )
