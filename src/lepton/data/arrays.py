"""Image arrays (``.npz``) → the same ``class/<n>.png`` layout an image folder has.

Why PNG files and not an array column: a dataset version then has ONE image
representation whatever the source, so training, serving, monitoring and the
content hash treat an array file and a folder alike (PNG is lossless, so no pixel
changes). Recognised keys: ``x_train``/``y_train`` (+ ``x_test``/``y_test``: a second
part), or ``x``/``y``, ``images``/``labels``; optional ``label_names``/``class_names``
map integer labels to names. Every array is checked before a single file is written.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.data.read import SourceData
from lepton.errors import DataError

PAIRS = (
    ("train", "x_train", "y_train"),
    ("test", "x_test", "y_test"),
    ("", "x", "y"),
    ("", "images", "labels"),
)
NAME_KEYS = ("label_names", "class_names", "classes")
MODES = {1: "L", 3: "RGB", 4: "RGBA"}


def read_npz(source: Path, *, first_only: bool = True) -> list[SourceData]:
    """Read the parts of an ``.npz`` (train first); each part's PNGs go in its own scratch folder."""
    arrays = _load(source)
    parts = [(p, x, y) for p, x, y in PAIRS if x in arrays and y in arrays]
    if parts and parts[0][0] == "train":
        parts = [p for p in parts if p[0] in ("train", "test")]
    else:
        parts = parts[:1]
    if not parts:
        raise DataError(
            f"{source}: no image/label arrays found (keys: {', '.join(sorted(arrays))}); "
            "expected x_train/y_train, x/y or images/labels"
        )
    names = next((arrays[k] for k in NAME_KEYS if k in arrays), None)
    checked = [(part, *_check(source, arrays, xk, yk, names)) for part, xk, yk in parts]
    if first_only:
        checked = checked[:1]
    out: list[SourceData] = []
    try:
        for part, images, labels, mode in checked:
            out.append(_write(source, part, images, labels, mode))
    except BaseException:
        for done in out:
            if done.scratch is not None:
                shutil.rmtree(done.scratch, ignore_errors=True)
        raise
    return out


def _load(source: Path) -> dict[str, NDArray[Any]]:
    if not zipfile.is_zipfile(source):
        raise DataError(f"{source}: not a readable .npz file (not a zip archive of arrays)")
    try:
        with np.load(source, allow_pickle=False) as data:
            return {k: np.asarray(data[k]) for k in data.files}
    except ValueError as exc:  # object arrays need pickle: never load code from a data file
        raise DataError(
            f"{source}: holds object arrays ({exc}); save plain numeric arrays"
        ) from None
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(f"{source}: not a readable .npz file ({exc})") from None


def _check(
    source: Path,
    arrays: dict[str, NDArray[Any]],
    x_key: str,
    y_key: str,
    names: NDArray[Any] | None,
) -> tuple[NDArray[np.uint8], list[Any], str]:
    images, labels = arrays[x_key], arrays[y_key]
    if images.dtype != np.uint8:
        raise DataError(
            f"{source}: {x_key} has dtype {images.dtype}; expected uint8 pixels (0-255)"
        )
    if images.ndim == 4 and images.shape[-1] in MODES:
        mode = MODES[images.shape[-1]]
        if images.shape[-1] == 1:
            images = images[..., 0]
    elif images.ndim == 3:
        mode = "L"
    else:
        raise DataError(
            f"{source}: {x_key} has shape {images.shape}; expected (n, height, width) "
            "or (n, height, width, 1|3|4 channels)"
        )
    if len(images) == 0:
        raise DataError(f"{source}: {x_key} holds no images")
    if labels.ndim != 1 or len(labels) != len(images):
        raise DataError(
            f"{source}: {y_key} has shape {labels.shape}; expected one label per image "
            f"({len(images)})"
        )
    if labels.dtype.kind not in "iuU":
        raise DataError(f"{source}: {y_key} has dtype {labels.dtype}; expected integers or text")
    values: list[Any] = labels.tolist()
    if names is not None:
        if labels.dtype.kind not in "iu" or labels.min() < 0 or labels.max() >= len(names):
            raise DataError(
                f"{source}: {y_key} has labels outside 0..{len(names) - 1} of the "
                f"{len(names)} label names"
            )
        values = [str(names[v]) for v in values]
    for value in {str(v) for v in values}:
        if not value or value.startswith(".") or "/" in value or "\\" in value:
            raise DataError(f"{source}: label {value!r} cannot name a class folder")
    return images, values, mode


def _write(
    source: Path, part: str, images: NDArray[np.uint8], labels: list[Any], mode: str
) -> SourceData:
    from PIL import Image

    scratch = Path(tempfile.mkdtemp(prefix="lepton-npz-"))
    rels = [f"{label}/{i:06d}.png" for i, label in enumerate(labels)]
    for folder in {r.split("/")[0] for r in rels}:
        (scratch / folder).mkdir()

    def save(i: int) -> None:  # zlib releases the GIL, so two threads nearly halve the time
        Image.fromarray(images[i]).save(scratch / rels[i], compress_level=1)

    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(save, range(len(images)), chunksize=256))
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    height, width = images.shape[1], images.shape[2]
    frame = pd.DataFrame(
        {
            "image": rels,
            "label": labels,
            "width": width,
            "height": height,
            "mode": mode,
        }
    )
    fmt = f"npz:{part}" if part else "npz"
    return SourceData(frame, fmt, source, "images", scratch=scratch)
