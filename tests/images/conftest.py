"""Tiny generated image sets: three classes of 16x16 patterns a CNN learns in seconds."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from lepton.config import load_settings
from lepton.store.project import Project

CLASSES = ("bar", "column", "dot")


def pattern_images(n: int = 60, size: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` grayscale images (uint8, nxsizexsize) and labels 0..2: a bar, a column, a dot."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 60, size=(n, size, size)).astype(np.uint8)
    labels = np.arange(n) % 3
    for i, label in enumerate(labels):
        at = int(rng.integers(3, size - 3))
        if label == 0:
            images[i, at - 1 : at + 2, :] = 230
        elif label == 1:
            images[i, :, at - 1 : at + 2] = 230
        else:
            images[i, size // 2 - 3 : size // 2 + 3, size // 2 - 3 : size // 2 + 3] = 230
    return images, labels.astype(np.int64)


def write_folder(root: Path, images: np.ndarray, labels: np.ndarray, mode: str = "L") -> Path:
    for i, (image, label) in enumerate(zip(images, labels, strict=True)):
        folder = root / CLASSES[int(label)]
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).convert(mode).save(folder / f"{i:03d}.png")
    return root


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    images, labels = pattern_images()
    return write_folder(tmp_path / "patterns", images, labels)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("LEPTON_STORE_URL", "LEPTON_ARTIFACTS_URL", "LEPTON_CONFIG")
    }
    env["LEPTON_HOME"] = str(tmp_path / "home")
    project = Project.open(load_settings(env))
    yield project
    project.close()


@dataclass
class TrainedImages:
    """A project with a trained (and optimized) image model deployed as ``patterns``."""

    home: Path
    env: dict[str, str]
    project: Project
    test_folder: Path
    key: str
    optimized: Any


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrainedImages]:
    from lepton.data.catalog import DataCatalog
    from lepton.learn.training import train_dataset
    from lepton.optimize.pipeline import optimize

    root = tmp_path_factory.mktemp("images")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("LEPTON_STORE_URL", "LEPTON_ARTIFACTS_URL", "LEPTON_CONFIG")
    }
    env["LEPTON_HOME"] = str(root / "home")
    project = Project.open(load_settings(env))
    images, labels = pattern_images(90, seed=1)
    train = write_folder(root / "train", images[:60], labels[:60])
    test = write_folder(root / "test", images[60:], labels[60:])
    catalog = DataCatalog(project)
    version, _ = catalog.add(train, name="patterns")
    test_version, _ = catalog.add(test, name="patterns-test")
    train_dataset(project, version.ref, time_limit=6, test_ref=test_version.ref)
    outcome = optimize(project, "patterns", measure_seconds=0.2)
    key = project.metadata.create_api_key("images-test", scopes=["admin"])[0]
    done = subprocess.run(
        [sys.executable, "-m", "lepton", "deploy", "patterns@1", "--name", "patterns"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    yield TrainedImages(root / "home", env, project, test, key, outcome)
    project.close()
