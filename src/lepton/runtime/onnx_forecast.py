"""A forecast package's ONNX variant: the native forecaster with its boosters in onnxruntime.

Why not a graph of the whole forecast: a forecast is recursive (each step's value
becomes the next step's lag), its lag/calendar/covariate features are built from the
request's history, the intervals are conformal, and the statistical members
(statsforecast) fit each series at call time. All of that stays the pickled
``ForecastModel``. What ``lepton optimize`` exports is the part that is a fixed function
of numbers: each global GBM member's LightGBM booster, run here by onnxruntime on the
float64 feature rows the member builds (``GlobalGBMForecaster.predict(..., runner=)``).

The package therefore holds both files::

    native/model.pkl   the ForecastModel (loaded from the project's store only, like
                       every native pipeline: ``lepton.runtime.loader`` verifies the
                       package against the hash recorded at registration)
    onnx/model.onnx    one graph: input ``features_<i>`` [N, F_i] float64 → output
                       ``values_<i>`` [N] float64 per GBM member; which member reads which
                       is the graph's ``lepton.forecast.boosters`` metadata (JSON)

This module imports no training code: the unpickled model brings its own classes, and
the members are found by what they offer (``predict_rows``, ``inner``), not by type.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.errors import LeptonError
from lepton.runtime.manifest import PackageManifest, read_manifest
from lepton.runtime.onnx_table import session_options
from lepton.runtime.package import NativeModel, load_native
from lepton.runtime.predictor import PackageView, Records

BOOSTERS_KEY = "lepton.forecast.boosters"  # graph metadata: [{member, input, output, features}]


class ForecastingModel(NativeModel, Protocol):
    """What the forecast route asks of a package's model (``ForecastModel`` offers it)."""

    members: list[Any]

    def forecast(
        self,
        history: pd.DataFrame | None = None,
        *,
        horizon: int | None = None,
        series: list[str] | None = None,
        future: pd.DataFrame | None = None,
    ) -> pd.DataFrame: ...


class BoosterRunner:
    """``runner(features) -> values`` for one GBM member: its input/output of the session."""

    def __init__(self, session: Any, name: str, output: str, others: dict[str, NDArray[Any]]):
        self.session = session
        self.name = name
        self.output = output
        self.others = others  # the other members' inputs, fed empty (onnxruntime wants all)

    def __call__(self, features: NDArray[Any]) -> NDArray[np.float64]:
        feed = {**self.others, self.name: np.ascontiguousarray(features, dtype=np.float64)}
        out = self.session.run([self.output], feed)[0]
        return np.asarray(out, dtype=np.float64).reshape(-1)


class OnnxBoosted:
    """A global GBM forecaster whose booster runs through ``runner``; all else is the original."""

    def __init__(self, forecaster: Any, runner: BoosterRunner) -> None:
        self.forecaster = forecaster
        self.runner = runner

    def predict(
        self,
        history: Any,
        horizon: int,
        future: pd.DataFrame | None,
        levels: tuple[int, ...],
    ) -> Any:
        return self.forecaster.predict(history, horizon, future, levels, runner=self.runner)

    def __getattr__(self, name: str) -> Any:
        if name in ("forecaster", "runner"):  # not set yet (copy/unpickle): no recursion
            raise AttributeError(name)
        return getattr(self.forecaster, name)


def booster_session(graph: Path | bytes, threads: int = 1) -> Any:
    import onnxruntime as ort

    source = str(graph) if isinstance(graph, Path) else graph
    try:
        return ort.InferenceSession(
            source, sess_options=session_options(threads), providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime raises its own exception types
        raise LeptonError(f"the forecast booster graph cannot be loaded: {exc}") from exc


def booster_runners(session: Any) -> dict[str, BoosterRunner]:
    """Member name → its runner, from the graph's ``lepton.forecast.boosters`` metadata."""
    meta = session.get_modelmeta().custom_metadata_map
    if BOOSTERS_KEY not in meta:
        raise LeptonError(f"the forecast graph has no {BOOSTERS_KEY!r} metadata")
    entries = json.loads(meta[BOOSTERS_KEY])
    empty = {e["input"]: np.zeros((0, len(e["features"])), dtype=np.float64) for e in entries}
    return {
        e["member"]: BoosterRunner(
            session,
            e["input"],
            e["output"],
            {k: v for k, v in empty.items() if k != e["input"]},
        )
        for e in entries
    }


def with_onnx_boosters(
    model: ForecastingModel, graph: Path | bytes, *, threads: int = 1
) -> ForecastingModel:
    """A copy of ``model`` whose GBM members run their boosters in onnxruntime.

    ``model`` itself is unchanged (the copy has its own member list). Every member the
    graph names must be found, or the graph belongs to another model.
    """
    runners = booster_runners(booster_session(graph, threads))
    members = []
    found = set()
    for member in model.members:
        runner = runners.get(member.name)
        if runner is None:
            members.append(member)
            continue
        members.append(dataclasses.replace(member, forecaster=_swap(member.forecaster, runner)))
        found.add(member.name)
    missing = sorted(set(runners) - found)
    if missing:
        raise LeptonError(f"the forecast graph names members {missing} this model does not have")
    swapped = copy.copy(model)
    swapped.members = members
    return swapped


def _swap(forecaster: Any, runner: BoosterRunner) -> Any:
    """The GBM itself, or a wrapper (``LogForecaster``) around it, with the runner installed."""
    if hasattr(forecaster, "predict_rows"):
        return OnnxBoosted(forecaster, runner)
    if hasattr(forecaster, "inner"):
        outer = copy.copy(forecaster)
        outer.inner = _swap(forecaster.inner, runner)
        return outer
    raise LeptonError(
        f"forecaster {getattr(forecaster, 'name', forecaster)!r} has no booster to run in ONNX"
    )


class OnnxForecastPredictor(PackageView):
    """A ``Predictor`` for a forecast package's ONNX variant (native pickle + booster graph).

    ``.model`` is the ``ForecastModel`` with the ONNX runners installed, so the forecast
    route's ``predictor.model.forecast(...)`` works as on a ``NativePredictor``;
    ``forecast(...)`` is the same call.
    """

    default_variant = "onnx"

    def __init__(
        self,
        model: ForecastingModel,
        manifest: PackageManifest,
        graph: Path | bytes,
        path: Path | None = None,
        *,
        threads: int = 1,
    ) -> None:
        self.manifest = manifest
        self.path = path
        self.native = model
        self.model: ForecastingModel = with_onnx_boosters(model, graph, threads=threads)

    @classmethod
    def load(cls, folder: str | Path, *, threads: int = 1) -> OnnxForecastPredictor:
        """Load a variant package folder.

        It unpickles ``native/``: callers pass folders from the project's store (the
        serving loader verifies them first) or ones ``lepton optimize`` just wrote.
        """
        path = Path(folder)
        manifest = read_manifest(path)
        relative = manifest.serving.get("onnx")
        if not relative or not (path / relative).is_file():
            raise LeptonError(f"model package {path} has no ONNX booster graph")
        if not manifest.has_native:
            raise LeptonError(
                f"model package {path} has no native forecaster: a forecast variant keeps it "
                "(features, history and statistical members run in Python)"
            )
        model: Any = load_native(path)
        if not hasattr(model, "forecast") or not hasattr(model, "members"):
            raise LeptonError(f"model package {path} does not hold a forecaster")
        return cls(model, manifest, path / relative, path, threads=threads)

    def forecast(
        self,
        history: pd.DataFrame | None = None,
        *,
        horizon: int | None = None,
        series: list[str] | None = None,
        future: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """``ForecastModel.forecast`` with the boosters in onnxruntime."""
        return self.model.forecast(history, horizon=horizon, series=series, future=future)

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        return self.model.predict(frame)

    def predict_raw(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        return self.model.predict_raw(frame)

    def predict_records(self, records: Records) -> NDArray[np.float64]:
        return self.model.predict_records(records)

    def predict_proba(self, frame: pd.DataFrame) -> pd.DataFrame:
        return self.model.predict_proba(frame)
