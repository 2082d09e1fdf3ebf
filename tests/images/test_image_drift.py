"""Image drift: pixel statistics through detect_drift, and CNN embedding drift."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lepton.data.catalog import DataCatalog
from lepton.monitor.image_drift import embedding_drift, image_statistics, pixel_drift
from lepton.runtime.images import Preprocessing
from lepton.runtime.loader import load_predictor
from tests.images.conftest import TrainedImages, pattern_images, write_folder

GRAY = Preprocessing((16, 16), "L", (0.2,), (0.3,))


def _stats(root: Path, images: np.ndarray, labels: np.ndarray) -> object:
    folder = write_folder(root, images, labels)
    return image_statistics([str(p) for p in sorted(folder.rglob("*.png"))], GRAY)


def test_darker_images_drift_and_alike_images_do_not(tmp_path: Path) -> None:
    x_ref, y_ref = pattern_images(90, seed=0)
    x_new, y_new = pattern_images(90, seed=3)
    ref = _stats(tmp_path / "ref", x_ref, y_ref)
    same = _stats(tmp_path / "same", x_new, y_new)
    dark = _stats(tmp_path / "dark", x_new // 3, y_new)
    calm = pixel_drift(ref, same)  # type: ignore[arg-type]
    assert not calm.feature("image_brightness").drifted
    moved = pixel_drift(ref, dark)  # type: ignore[arg-type]
    assert moved.feature("image_brightness").drifted and moved.dataset_drift
    assert {f.name for f in moved.features} >= {"image_width", "image_contrast"}


def test_embedding_drift_sees_inverted_images(trained: TrainedImages) -> None:
    predictor, _ = load_predictor(trained.project, "patterns")
    model = predictor.model
    frame = DataCatalog(trained.project).get("patterns").to_pandas()
    pixels = model.pixels(frame)  # type: ignore[union-attr]
    reference, current = pixels[::2], pixels[1::2]  # alternate rows: same class mix
    calm = embedding_drift(model, reference, current)
    moved = embedding_drift(model, reference, 255 - current)
    assert moved.share_drifted > calm.share_drifted and moved.dataset_drift
