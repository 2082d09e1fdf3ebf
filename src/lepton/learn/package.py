"""The model package: the one contract every consumer shares.

A package is a folder::

    lepton.json          task, input/output schema, metrics and how measured, lineage
    native/model.pkl     the trained pipeline (pickle: loaded only from the project's store
                         or with trust=True — pickles execute code)
    native/leaderboard.csv

    onnx/model.onnx      the serving graph (variants written by ``lepton.optimize``;
                         safe to load: no code inside)

A variant package (``lepton.json`` + ``onnx/``) records its parent in ``lineage.parent``.
"""

from __future__ import annotations

import json
import pickle
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

import lepton
from lepton.errors import DataError, LeptonError
from lepton.learn.features import FeatureEncoder
from lepton.learn.model import TrainedModel
from lepton.learn.text import MAX_TEXT_CHARS

if TYPE_CHECKING:
    from lepton.learn.vision.model import ImageModel

FORMAT = "lepton.model/1"
MANIFEST = "lepton.json"
NATIVE = "native/model.pkl"
ONNX = "onnx/model.onnx"


def input_schema(
    encoder: FeatureEncoder, frame: pd.DataFrame | None = None
) -> list[dict[str, Any]]:
    """Columns a request must carry, with kinds, dtypes and allowed categories."""
    columns: list[dict[str, Any]] = []
    for name in encoder.input_columns:
        kind = (
            "numeric"
            if name in encoder.numeric_
            else "boolean"
            if name in encoder.boolean_
            else "datetime"
            if name in encoder.datetime_
            else "text"
            if name in encoder.text_
            else "categorical"
        )
        entry: dict[str, Any] = {"name": name, "kind": kind, "nullable": True}
        if kind == "categorical":
            entry["categories"] = [str(v) for v in encoder.categorical_[name]]
        if kind == "text":
            entry["max_chars"] = MAX_TEXT_CHARS
        if frame is not None and name in frame.columns and kind == "numeric":
            values = pd.to_numeric(frame[name], errors="coerce")
            entry["min"], entry["max"] = float(values.min()), float(values.max())
            entry["dtype"] = str(frame[name].dtype)
        columns.append(entry)
    return columns


def code_version() -> str:
    """Lepton's version plus the git commit when running from a checkout."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha = ""
    return f"{lepton.__version__}+{sha}" if sha else lepton.__version__


def write_package(
    folder: Path,
    model: TrainedModel | ImageModel,
    *,
    metrics: dict[str, Any],
    lineage: dict[str, Any],
    leaderboard: pd.DataFrame,
    training_frame: pd.DataFrame | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write a complete package into ``folder`` (which must be empty or new)."""
    (folder / "native").mkdir(parents=True, exist_ok=True)
    with (folder / NATIVE).open("wb") as fh:
        pickle.dump(model, fh, protocol=pickle.HIGHEST_PROTOCOL)
    leaderboard.to_csv(folder / "native" / "leaderboard.csv", index=False)
    output: dict[str, Any] = (
        {"type": "value", "name": model.target_name}
        if model.task == "regression"
        else {
            "type": "class",
            "name": model.target_name,
            "labels": model.labels,
            "probabilities": True,
        }
    )
    if not isinstance(model, TrainedModel):  # an image model: pixels in, one CNN
        from lepton.learn.vision.model import image_manifest

        manifest = image_manifest(model, output, metrics, lineage, code_version(), NATIVE)
        manifest.update(extra or {})
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, default=_json_default))
        return manifest
    manifest = {
        "format": FORMAT,
        "task": model.task,
        "target": model.target_name,
        "input_schema": input_schema(model.encoder, training_frame),
        "dropped_columns": model.encoder.dropped_,
        "output_schema": output,
        "metrics": metrics,
        "lineage": {**lineage, "code_version": code_version()},
        "ensemble": [
            {
                "name": m.name,
                "family": m.family,
                "weight": m.weight,
                "params": m.params,
                "n_fold_models": len(m.models),
            }
            for m in model.members
        ],
        "temperature": model.temperature,
        "serving": {"native": NATIVE},
        "created_at": datetime.now(UTC).isoformat(),
        **(extra or {}),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, default=_json_default))
    return manifest


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        raise LeptonError(f"{folder} is not a Lepton model package: no {MANIFEST}")
    try:
        manifest: dict[str, Any] = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise LeptonError(f"{path} is corrupt: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise LeptonError(f"{path}: unsupported package format {manifest.get('format')!r}")
    return manifest


def load_native(folder: Path) -> TrainedModel | ImageModel:
    """Unpickle the native pipeline. Callers must only pass trusted folders."""
    path = folder / NATIVE
    if not path.is_file():
        raise LeptonError(f"model package {folder} has no {NATIVE}")
    try:
        with path.open("rb") as fh:
            model = pickle.load(fh)
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
        raise LeptonError(f"model package {folder} is corrupt: {exc}") from exc
    if not isinstance(model, TrainedModel) and type(model).__name__ != "ImageModel":
        raise DataError(f"{path} does not hold a Lepton model")
    return model  # type: ignore[no-any-return]


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    return str(value)
