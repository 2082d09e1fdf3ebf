"""The one writer and loader of model package folders.

A package is a folder::

    lepton.json          the typed ``PackageManifest`` (written last: it is the commit marker)
    native/model.pkl     the trained pipeline (pickle: loaded only from the project's store
                         or with trust=True, because pickles execute code)
    onnx/model.onnx      a serving graph (optimized variants; no code inside, safe to load)

Everything that writes a package — training, the optimizer's variants — goes through
``write_package``, so the layout and the manifest are the same whoever wrote them.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.errors import DataError, LeptonError
from lepton.runtime.manifest import NATIVE, ONNX, PackageManifest, write_manifest


class LabelCodec(Protocol):
    """Labels ↔ the integer codes the model's outputs are indexed by."""

    def encode(self, y: pd.Series) -> NDArray[Any]: ...

    def decode(self, codes: NDArray[np.int64]) -> NDArray[Any]: ...


@runtime_checkable
class NativeModel(Protocol):
    """What a pickled pipeline must offer to be served natively (tabular, text, image alike)."""

    target_name: str

    @property
    def target(self) -> LabelCodec: ...

    @property
    def input_columns(self) -> list[str]: ...

    @property
    def kind(self) -> str: ...

    @property
    def task(self) -> str: ...

    @property
    def labels(self) -> list[Any]: ...

    def predict_raw(self, frame: pd.DataFrame) -> NDArray[np.float64]: ...

    def predict_records(self, records: list[dict[str, Any]]) -> NDArray[np.float64]: ...

    def predict_proba(self, frame: pd.DataFrame) -> pd.DataFrame: ...

    def predict(self, frame: pd.DataFrame) -> pd.Series: ...


class SerializableGraph(Protocol):
    """An ONNX ``ModelProto`` as far as writing it goes (no onnx import needed here)."""

    def SerializeToString(self) -> bytes: ...


def write_package(
    folder: Path,
    manifest: PackageManifest,
    *,
    native: NativeModel | None = None,
    onnx: SerializableGraph | bytes | None = None,
) -> PackageManifest:
    """Write the given parts and then the manifest (with ``serving`` naming what is there)."""
    serving = dict(manifest.serving)
    if native is not None:
        (folder / NATIVE).parent.mkdir(parents=True, exist_ok=True)
        with (folder / NATIVE).open("wb") as fh:
            pickle.dump(native, fh, protocol=pickle.HIGHEST_PROTOCOL)
        write_arrays = getattr(native, "write_arrays", None)
        if callable(write_arrays):  # a model keeping its arrays as .npz beside the pickle
            write_arrays((folder / NATIVE).parent)
    if (folder / NATIVE).is_file():
        serving["native"] = NATIVE
    else:
        serving.pop("native", None)
    if onnx is not None:
        (folder / ONNX).parent.mkdir(parents=True, exist_ok=True)
        data = onnx if isinstance(onnx, bytes) else onnx.SerializeToString()
        (folder / ONNX).write_bytes(data)
    if (folder / ONNX).is_file():
        serving["onnx"] = ONNX
    else:
        serving.pop("onnx", None)
    final = manifest.replace(serving=serving)
    write_manifest(folder, final)
    return final


def load_native(folder: Path) -> NativeModel:
    """Unpickle the native pipeline. Callers must only pass trusted folders."""
    path = folder / NATIVE
    if not path.is_file():
        raise LeptonError(f"model package {folder} has no {NATIVE}")
    try:
        with path.open("rb") as fh:
            model = pickle.load(fh)
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
        raise LeptonError(f"model package {folder} is corrupt: {exc}") from exc
    read_arrays = getattr(model, "read_arrays", None)
    if callable(read_arrays):  # its arrays live beside the pickle (.npz, no code inside)
        read_arrays(path.parent)
    if not isinstance(model, NativeModel):
        raise DataError(f"{path} does not hold a Lepton model")
    return model
