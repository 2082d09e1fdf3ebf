"""What a model kind implements to be optimized: build its variants, measure one.

The driver (``lepton.optimize.driver``) owns everything the kinds share — labelled
held-out rows, package folders, scoring, the choice — so a new kind's optimizer is
one module with a class satisfying ``VariantBuilder``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np
import onnx
import pandas as pd
from numpy.typing import NDArray

from lepton.learn.metrics import Metric
from lepton.optimize.result import Variant
from lepton.runtime.manifest import PackageManifest

Progress = Callable[[str], None]
Model = TypeVar("Model", contravariant=True)
Features = TypeVar("Features")


@dataclass
class BuiltVariant:
    """A variant and the graph the driver writes into its package folder (None: a native
    variant, its changed pipeline in ``variant.model``: speech at another precision)."""

    variant: Variant
    graph: onnx.ModelProto | None


@dataclass(frozen=True)
class MeasureOptions:
    seconds: float = 1.5  # per timing loop
    memory: bool = True  # probe peak memory, where the kind can


@dataclass
class VariantRun:
    """One variant run on the held-out features: its predictions (the driver scores
    them against the labels) and what serving it costs on this machine."""

    predictions: NDArray[np.float64]
    p50_ms: float
    p99_ms: float
    throughput_rows_s: float
    size_bytes: int
    peak_memory_mib: float | None = None


Measure = Callable[[Variant], VariantRun]


class VariantBuilder(Protocol[Model, Features]):
    @property
    def examples(self) -> str:
        """What the held-out examples are called in messages ("rows", "images")."""

    @property
    def native_description(self) -> str:
        """The table's description of the trained model itself."""

    def features(self, model: Model, heldout: pd.DataFrame, say: Progress) -> Features:
        """The labelled held-out rows as the model's inputs (target column dropped)."""

    def build(
        self,
        model: Model,
        manifest: PackageManifest,
        features: Features,
        train: pd.DataFrame | None,
        workdir: Path,
        tolerance: float,
        notes: list[str],
        say: Progress,
    ) -> list[BuiltVariant]:
        """Every variant that applies, each in ``workdir / name``; why others were not
        built goes to ``notes``. Graphs must match native within ``tolerance``."""

    def measurer(
        self, model: Model, features: Features, workdir: Path, options: MeasureOptions
    ) -> Measure:
        """Prepare the timing inputs once; the returned call measures one variant
        (native or ONNX) from its package folder. Runs with one torch thread."""


@runtime_checkable
class LabelsHeldout(Protocol):
    """Optional, for kinds whose held-out examples are not labelled rows (forecasts: the
    last steps of each series are the labels): the driver's ``labelled_heldout``, owned
    by the builder. ``y`` is then what the metric scores the measured predictions against.
    """

    def labelled_heldout(
        self,
        model: Any,
        manifest: PackageManifest,
        heldout: pd.DataFrame,
        objective: str,
        what: str,
    ) -> tuple[pd.DataFrame, NDArray[Any], Metric]: ...


@runtime_checkable
class NotesNative(Protocol):
    """Optional: what the table's native row should say about the model (e.g. which
    members stay native whatever variant is chosen, and why)."""

    def native_note(self, model: Any) -> str: ...
