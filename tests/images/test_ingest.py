"""Image ingest: class folders and .npz arrays become the same kind of dataset version."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lepton.data.catalog import DataCatalog
from lepton.errors import DataError
from lepton.store.project import Project
from tests.images.conftest import pattern_images


def test_folder_ingest_defaults_the_target_to_the_class_folder(
    project: Project, image_folder: Path
) -> None:
    version, created = DataCatalog(project).add(image_folder, name="patterns")
    assert created and version.target == "label" and version.n_rows == 60
    assert version.schema.kinds()["image"] == "image_path"
    frame = version.to_pandas()
    assert sorted(frame["label"].unique()) == ["bar", "column", "dot"]
    assert all(Path(p).is_file() for p in frame["image"])


def test_npz_train_and_test_parts_become_two_content_addressed_versions(
    project: Project, tmp_path: Path
) -> None:
    x, y = pattern_images(30)
    path = tmp_path / "arrays.npz"
    np.savez_compressed(path, x_train=x[:24], y_train=y[:24], x_test=x[24:], y_test=y[24:])
    catalog = DataCatalog(project)
    (train, created), (test, _) = catalog.add_arrays(path, name="arr")
    assert created and train.ref == "arr@1" and test.ref == "arr-test@1"
    assert (train.n_rows, test.n_rows, train.target) == (24, 6, "label")
    frame = train.to_pandas()
    with Image.open(frame["image"][0]) as image:  # lossless: the stored PNG is the array
        assert np.array_equal(np.asarray(image), x[0])
    again, created = catalog.add(path, name="arr")
    assert not created and again.version == 1


def test_npz_label_names_and_rgb_arrays(project: Project, tmp_path: Path) -> None:
    x = np.zeros((6, 8, 8, 3), dtype=np.uint8)
    x[3:, :, :, 0] = 200
    path = tmp_path / "rgb.npz"
    np.savez(path, x=x, y=np.array([0, 0, 0, 1, 1, 1]), label_names=np.array(["dark", "red"]))
    version, _ = DataCatalog(project).add(path, name="rgb")
    frame = version.to_pandas()
    assert set(frame["label"]) == {"dark", "red"} and set(frame["mode"]) == {"RGB"}


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"x": np.zeros((4, 8, 8), np.float32), "y": np.zeros(4, np.int64)}, "expected uint8"),
        ({"x": np.zeros((4, 8, 8), np.uint8), "y": np.zeros(3, np.int64)}, "one label per image"),
        ({"x": np.zeros((4, 8), np.uint8), "y": np.zeros(4, np.int64)}, "has shape"),
        ({"pixels": np.zeros((4, 8, 8), np.uint8)}, "no image/label arrays"),
        (
            {
                "x": np.zeros((2, 8, 8), np.uint8),
                "y": np.array([0, 5]),
                "label_names": np.array(["a", "b"]),
            },
            "outside 0..1",
        ),
    ],
)
def test_bad_arrays_get_one_line_and_register_nothing(
    project: Project, tmp_path: Path, arrays: dict[str, np.ndarray], message: str
) -> None:
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)  # type: ignore[arg-type]
    catalog = DataCatalog(project)
    with pytest.raises(DataError, match=message) as info:
        catalog.add(path, name="bad")
    assert "\n" not in str(info.value)
    assert catalog.list() == []


def test_not_an_npz_file(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "broken.npz"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(DataError, match=r"not a readable \.npz"):
        DataCatalog(project).add(path, name="broken")


def test_corrupt_and_16_bit_images_register_nothing(project: Project, image_folder: Path) -> None:
    catalog = DataCatalog(project)
    (image_folder / "dot" / "zz.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    with pytest.raises(DataError, match="corrupt or unreadable image"):
        catalog.add(image_folder, name="patterns")
    (image_folder / "dot" / "zz.png").unlink()
    Image.fromarray(np.zeros((8, 8), dtype=np.uint16) + 4000).save(image_folder / "dot" / "w.png")
    with pytest.raises(DataError, match=r"mode I;16 \(16/32-bit\) is not supported"):
        catalog.add(image_folder, name="patterns")
    assert catalog.list() == []
