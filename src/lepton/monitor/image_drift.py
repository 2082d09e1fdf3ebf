"""Drift for image models: pixel statistics, and embeddings when the images are at hand.

Why statistics: the server logs each image's size, brightness (mean pixel), contrast
(pixel std) and channel means — never the pixels — so live drift is those numbers
against the same numbers computed, the same way (``lepton.runtime.images``),
on the training images; ``detect_drift`` applies Evidently's tests to them. A camera
that got darker, a new resolution or a colour cast shows up here.

Why embeddings as well: content can change while the statistics do not (new kinds of
objects). When both image sets are available, the CNN's penultimate-layer features are
projected on the reference's top principal components and those compared, which costs
one forward pass per image.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.monitor.drift import DriftReport, detect_drift
from lepton.runtime.images import Preprocessing, convert, decode, pixel_stats

PREFIX = "image_"  # logged as in_image_<stat> by lepton.serve.codecs.image
STATS = ("width", "height", "brightness", "contrast", "mean_r", "mean_g", "mean_b")
EMBEDDING_COMPONENTS = 8
REFERENCE_IMAGES = 2000


def image_statistics(paths: list[str], preprocessing: Preprocessing) -> pd.DataFrame:
    """Per image: original width/height and the pixel statistics of its converted pixels."""
    rows = []
    for path in paths:
        with decode(Path(path), field=path) as image:
            width, height = image.width, image.height
            pixels = convert(image, preprocessing.size, preprocessing.mode, field=path)
        rows.append({"width": width, "height": height, **pixel_stats(pixels)})
    frame = pd.DataFrame(rows).add_prefix(PREFIX)
    return frame.astype({c: "float64" for c in frame.columns})


def statistics_schema(current: pd.DataFrame) -> list[dict[str, Any]]:
    """Numeric quality-check specs for the statistics columns present in the log."""
    names = [f"{PREFIX}{s}" for s in STATS]
    return [{"name": n, "kind": "numeric", "nullable": False} for n in names if n in current]


def pixel_drift(reference: pd.DataFrame, current: pd.DataFrame) -> DriftReport:
    """Drift of the statistics columns both frames have (all compared as numbers)."""
    columns = [f"{PREFIX}{s}" for s in STATS]
    shared = [c for c in columns if c in reference.columns and c in current.columns]
    if not shared:
        raise ValueError("no image statistics columns in common (expected image_brightness, …)")
    ref = reference[shared].astype("float64")
    cur = current[shared].astype("float64")
    return detect_drift(ref, cur, kinds=dict.fromkeys(shared, "numeric"))


def reference_statistics(
    frame: pd.DataFrame, column: str, preprocessing: Preprocessing, *, seed: int = 0
) -> pd.DataFrame:
    """Statistics of (a sample of) a dataset version's images: the drift reference."""
    if len(frame) > REFERENCE_IMAGES:
        frame = frame.sample(REFERENCE_IMAGES, random_state=seed)
    return image_statistics([str(p) for p in frame[column]], preprocessing)


def embedding_drift(
    model: Any,
    reference: NDArray[np.uint8],
    current: NDArray[np.uint8],
    *,
    components: int = EMBEDDING_COMPONENTS,
) -> DriftReport:
    """Drift of CNN embeddings (``model.embed``) on the reference's principal components."""
    ref, cur = model.embed(reference), model.embed(current)
    mean = ref.mean(axis=0)
    _, _, vt = np.linalg.svd(ref - mean, full_matrices=False)
    basis = vt[: min(components, vt.shape[0])].T
    names = [f"embedding_pc{i + 1}" for i in range(basis.shape[1])]
    ref_frame = pd.DataFrame((ref - mean) @ basis, columns=names)
    cur_frame = pd.DataFrame((cur - mean) @ basis, columns=names)
    return detect_drift(ref_frame, cur_frame, kinds=dict.fromkeys(names, "numeric"))
