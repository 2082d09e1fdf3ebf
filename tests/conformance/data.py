"""Tiny generated problems, one per kind of input a family may declare, built once per session.

Every problem is learnable at a glance (the label follows a formula, no label noise), so a
family whose probability columns were not in label order, or that learned nothing, fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.learn.features import Encoded, FeatureEncoder
from lepton.learn.model import TrainedModel
from lepton.learn.package import build_manifest
from lepton.learn.tasks import TargetEncoding, infer_task
from lepton.runtime.manifest import PackageManifest

TEST_SHARE = 0.25


@dataclass(frozen=True)
class TableProblem:
    """Rows of one task, encoded as every table family receives them, split train / test."""

    task: str
    encoder: FeatureEncoder
    target: TargetEncoding
    train: Encoded
    y_train: NDArray[Any]
    test: Encoded
    y_test: NDArray[Any]
    test_frame: pd.DataFrame  # the raw test rows (what the ONNX graph is fed)

    @property
    def n_outputs(self) -> int:
        return len(self.target.labels) if self.task != "regression" else 1

    def manifest(self) -> PackageManifest:
        """What a package's manifest says about these rows (``verify`` reads it)."""
        model = TrainedModel(self.encoder, self.target, "y", [])
        return build_manifest(model, metrics={}, lineage={})


@dataclass(frozen=True)
class ImageProblem:
    """uint8 NHWC pixels whose class is their brightness, split train / test."""

    task: str
    x_train: NDArray[np.uint8]
    y_train: NDArray[np.int64]
    x_test: NDArray[np.uint8]
    y_test: NDArray[np.int64]
    mean: tuple[float, ...]
    std: tuple[float, ...]

    @property
    def n_outputs(self) -> int:
        return int(self.y_train.max()) + 1


def _targets(signal: NDArray[np.float64], task: str) -> pd.Series:
    if task == "binary":
        return pd.Series(np.where(signal > 0, "yes", "no"), name="y")
    if task == "multiclass":
        codes = np.digitize(signal, [-1.0, 1.0])
        return pd.Series(np.array(["low", "mid", "high"])[codes], name="y")
    return pd.Series(signal, name="y")


def _problem(
    task: str, features: pd.DataFrame, kinds: dict[str, str], signal: NDArray[np.float64]
) -> TableProblem:
    y_frame = _targets(signal, task)
    target = infer_task(y_frame, task)
    y = target.encode(y_frame)
    n_test = int(len(features) * TEST_SHARE)
    train_rows, test_rows = features.iloc[:-n_test], features.iloc[-n_test:]
    encoder = FeatureEncoder(kinds, embed_text="text" in kinds.values()).fit(train_rows)
    return TableProblem(
        task,
        encoder,
        target,
        encoder.transform(train_rows),
        y[:-n_test],
        encoder.transform(test_rows),
        y[-n_test:],
        test_rows.reset_index(drop=True),
    )


@cache
def tabular(task: str, n: int = 200) -> TableProblem:
    """Two numbers (one with holes) and a categorical (with holes); label from a linear rule."""
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    color = rng.choice(["red", "green", "blue", "grey"], size=n)
    signal = 2.0 * x1 - x2 + np.where(color == "red", 1.5, -0.5)
    frame = pd.DataFrame({"x1": x1, "x2": x2, "color": color})
    frame.loc[rng.choice(n, 12, replace=False), "x2"] = np.nan
    frame.loc[rng.choice(n, 8, replace=False), "color"] = None
    kinds = {"x1": "numeric", "x2": "numeric", "color": "categorical"}
    return _problem(task, frame, kinds, signal)


GOOD = ["wonderful", "brilliant", "charming", "superb", "delightful"]
BAD = ["tedious", "clumsy", "dull", "awful", "boring"]
PLAIN = ["long", "french", "recent", "quiet", "late"]
NOUNS = ["film", "script", "cast", "story", "ending"]


@cache
def text(task: str, n: int = 80) -> TableProblem:
    """Short reviews (embedded with MiniLM) and a number; the label follows the adjectives."""
    rng = np.random.default_rng(1)
    tones = [-1, 1] if task == "binary" else [-1, 0, 1]  # bad, plain, good
    tone = rng.choice(tones, size=n)
    words = {-1: BAD, 0: PLAIN, 1: GOOD}
    reviews = [
        f"the {rng.choice(NOUNS)} is {rng.choice(words[t])} and {rng.choice(words[t])}"
        for t in tone
    ]
    frame = pd.DataFrame({"review": reviews, "length": rng.normal(size=n)})
    signal = 2.0 * tone + 0.1 * frame["length"].to_numpy()
    return _problem(task, frame, {"review": "text", "length": "numeric"}, signal)


@cache
def image(task: str, n: int = 60, size: int = 8) -> ImageProblem:
    """Grayscale noise images whose brightness band is the class."""
    rng = np.random.default_rng(2)
    k = 2 if task == "binary" else 3
    y = (np.arange(n) % k).astype(np.int64)
    noise = rng.integers(0, 40, size=(n, size, size, 1))
    x = (noise + 100 * y[:, None, None, None]).astype(np.uint8)
    n_test = int(n * TEST_SHARE)
    scaled = x[:-n_test] / 255.0
    return ImageProblem(
        task,
        x[:-n_test],
        y[:-n_test],
        x[-n_test:],
        y[-n_test:],
        (float(scaled.mean()),),
        (float(scaled.std()),),
    )
