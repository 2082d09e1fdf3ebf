"""Serving variants of a forecast model (a ``ForecastModel`` ensemble) and how to time them.

What exports: each global GBM member's LightGBM booster, converted by the tabular
converter (``trees.from_lightgbm``) into one ONNX graph. The graph takes the member's
float64 feature rows (``GlobalGBMForecaster.feature_names()`` order) and keeps
LightGBM's double thresholds (``ai.onnx.ml`` opset 5 ``TreeEnsemble`` in float64): a
forecast is recursive, so a float32 split that decides differently at step 1 would
move every later step. The variant package keeps the native pickle (features, history,
intervals and any statistical member need Python) and serves through
``lepton.runtime.onnx_forecast.OnnxForecastPredictor``.

What does not: statsforecast members (seasonal naive, ETS, ARIMA, ...) fit each series
at call time; there is no fitted function to export, and the table says so.

Held-out examples are series: the last ``horizon`` steps of each held-out series are
the actuals, the steps before them the history (prefixed by the package's stored
history when the held-out rows continue the training data). Parity: the variant's
forecasts (mean and every quantile) on those histories against native, relative to
each series' naive scale. Timing: one forecast call for one series (p50/p99), and
forecast rows per second for one call over up to ``BATCH_SERIES`` series. Peak memory
is not probed (the probe feeds table rows to table predictors).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pandas as pd
from numpy.typing import NDArray
from onnx import TensorProto, helper, numpy_helper

from lepton.errors import LeptonError
from lepton.learn.forecast.metrics import mase, naive_scale, report
from lepton.learn.forecast.model import ForecastModel
from lepton.learn.forecast.series import ID, SINGLE_SERIES, TARGET, TIME
from lepton.learn.metrics import Metric
from lepton.optimize.choose import check_objective
from lepton.optimize.export import ExportError
from lepton.optimize.measure import latency_ms, throughput
from lepton.optimize.protocol import BuiltVariant, Measure, MeasureOptions, Progress, VariantRun
from lepton.optimize.result import Variant
from lepton.optimize.trees import DerivedFeatures, Leaf, Node, UnsupportedModel, from_lightgbm
from lepton.runtime.manifest import NATIVE, ONNX, PackageManifest
from lepton.runtime.onnx_forecast import BOOSTERS_KEY, OnnxForecastPredictor, with_onnx_boosters

GBM_FAMILY = "gbm_global"
STATS_NATIVE = "statsforecast models are fitted per series at call time; nothing to export"
VARIANT = "onnx-gbm"
MAX_SERIES = 64  # held-out series forecast for parity and accuracy
BATCH_SERIES = 32  # series per throughput call
ONNX_OPSET, ML_OPSET = 21, 5  # TreeEnsemble (ml opset 5) runs float64 end to end


@dataclass
class ForecastFeatures:
    """Held-out series as forecast inputs, and the actuals they are scored against."""

    history: pd.DataFrame  # the user's columns, the steps before the actuals
    future: pd.DataFrame | None  # the actuals' rows (known covariates), when the model needs them
    truth: pd.DataFrame  # id, time, target of the actuals, sorted by series then time
    scale: NDArray[np.float64]  # per series (truth order): naive scale of its history
    ids: list[str]
    id_column: str  # in the forecast frame
    horizon: int

    def one(self, uid: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """The history (and future rows) of one series, for single-call timing."""
        return _select(self.history, self.id_column, [uid]), (
            None if self.future is None else _select(self.future, self.id_column, [uid])
        )

    def batch(self) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        ids = self.ids[:BATCH_SERIES]
        return _select(self.history, self.id_column, ids), (
            None if self.future is None else _select(self.future, self.id_column, ids)
        )


def gbm_members(model: ForecastModel) -> list[Any]:
    """Members of the global GBM family (plain or ``+log``), with weight in the ensemble."""
    return [m for m in model.members if m.weight > 0 and m.family.split("+")[0] == GBM_FAMILY]


def booster_of(forecaster: Any) -> Any:
    """The ``GlobalGBMForecaster`` itself, inside any wrapper (``LogForecaster``)."""
    while not hasattr(forecaster, "model_") and hasattr(forecaster, "inner"):
        forecaster = forecaster.inner
    if not hasattr(forecaster, "model_"):
        raise UnsupportedModel(f"{type(forecaster).__name__} holds no fitted booster")
    return forecaster


class ForecastBuilder:
    """``VariantBuilder`` for ``ForecastModel``: held-out features are series."""

    examples = "series"
    native_description = "the trained forecaster (pickle; boosters and statsforecast in Python)"

    # -- the held-out series and their actuals ---------------------------------------------
    def labelled_heldout(
        self,
        model: ForecastModel,
        manifest: PackageManifest,
        heldout: pd.DataFrame,
        objective: str,
        what: str,
    ) -> tuple[pd.DataFrame, NDArray[np.float64], Metric]:
        """The driver's hook: actuals are the last steps of each series, scored by the
        model's forecast metric (MASE unless it was trained on another)."""
        check_objective(objective)
        if model.target_name not in heldout.columns:
            raise LeptonError(f"held-out {what} have no target column {model.target_name!r}")
        heldout = heldout[heldout[model.target_name].notna()].reset_index(drop=True)
        if heldout.empty:
            raise LeptonError(f"no labelled held-out {what} to measure variants on")
        features = self.features(model, heldout, lambda _msg: None)
        truth = features.truth[model.target_name].to_numpy(dtype=float)
        return heldout, truth, forecast_metric(manifest.cv_metric, features)

    def features(
        self, model: ForecastModel, heldout: pd.DataFrame, say: Progress
    ) -> ForecastFeatures:
        return split_series(model, heldout)

    def native_note(self, model: ForecastModel) -> str:
        """The native row of the table names the members that stay native and why."""
        boosted = gbm_members(model)
        stats = [m.name for m in model.members if m.weight > 0 and m not in boosted]
        if not stats:
            return ""
        return f"{', '.join(stats)} stay native: {STATS_NATIVE}"

    # -- variants --------------------------------------------------------------------------
    def build(
        self,
        model: ForecastModel,
        manifest: PackageManifest,
        features: ForecastFeatures,
        train: pd.DataFrame | None,
        workdir: Path,
        tolerance: float,
        notes: list[str],
        say: Progress,
    ) -> list[BuiltVariant]:
        boosted = gbm_members(model)
        stats = [m for m in model.members if m.weight > 0 and m not in boosted]
        if stats:
            names = ", ".join(f"{m.name} ({m.family})" for m in stats)
            notes.append(f"statistical members stay native: {names}: {STATS_NATIVE}")
        if not boosted:
            notes.append(f"{VARIANT} not built: no gradient-boosted member to export")
            return []
        say("exporting the GBM boosters to ONNX")
        try:
            graph = booster_graph(model)
            diff, relative = parity(model, graph, features)
        except (UnsupportedModel, ExportError) as exc:
            notes.append(f"{VARIANT} not built: {exc}")
            return []
        if not np.isfinite(relative) or relative > tolerance:
            notes.append(
                f"{VARIANT} not built: its forecasts differ from native by {relative:.3g} "
                f"of the series' scale (max |Δ| {diff:.3g}, tolerance {tolerance:g}); "
                "rejected, the native model is unchanged"
            )
            return []
        names = ", ".join(m.name for m in boosted)
        native_part = "; statistical members native" if stats else ""
        variant = Variant.onnx(
            VARIANT,
            f"{names} booster(s) in onnxruntime (float64 trees), features in Python{native_part}",
            workdir,
            diff,
        )
        variant.model = model  # the variant package keeps the native pickle
        return [BuiltVariant(variant, graph)]

    # -- timing ----------------------------------------------------------------------------
    def measurer(
        self,
        model: ForecastModel,
        features: ForecastFeatures,
        workdir: Path,
        options: MeasureOptions,
    ) -> Measure:
        singles = [features.one(uid) for uid in features.ids[:BATCH_SERIES]]
        history, future = features.batch()
        rows = features.horizon * min(len(features.ids), BATCH_SERIES)
        seconds = options.seconds

        def measure(variant: Variant) -> VariantRun:
            runner: Any = (
                model
                if variant.kind == "native"
                else OnnxForecastPredictor.load(variant.folder, threads=1)
            )
            pred = predictions(runner.forecast, features)
            p50, p99 = latency_ms(
                lambda i: runner.forecast(singles[i][0], future=singles[i][1]),
                len(singles),
                seconds=seconds,
                max_calls=500,
            )
            rate = throughput(
                lambda: runner.forecast(history, future=future), rows, seconds=seconds
            )
            return VariantRun(pred, p50, p99, rate, _size(variant))

        return measure


# -- the graph -------------------------------------------------------------------------------


def booster_graph(model: ForecastModel) -> onnx.ModelProto:
    """One graph for every GBM member: ``features_<i>`` [N, F] float64 → ``values_<i>`` [N]."""
    nodes: list[onnx.NodeProto] = []
    inputs, outputs, entries = [], [], []
    for i, member in enumerate(gbm_members(model)):
        gbm = booster_of(member.forecaster)
        names = list(gbm.feature_names())
        width = len(names)
        if int(gbm.model_.n_features_in_) != width:
            raise UnsupportedModel(
                f"{member.name}: the booster reads {gbm.model_.n_features_in_} features, "
                f"the forecaster builds {width}"
            )
        group, _ = from_lightgbm(gbm.model_.booster_, DerivedFeatures(width, []), float)
        source, target = f"features_{i}", f"values_{i}"
        raw = f"raw_{i}"
        nodes.append(_tree_ensemble(source, raw, group.trees))
        shaped = f"shape_{i}"
        nodes.append(
            helper.make_node(
                "Constant",
                [],
                [shaped],
                value=numpy_helper.from_array(np.array([-1], np.int64)),
            )
        )
        if any(b != 0.0 for b in group.base):
            offset = f"base_{i}"
            nodes.append(
                helper.make_node(
                    "Constant",
                    [],
                    [offset],
                    value=numpy_helper.from_array(np.asarray(group.base, np.float64)),
                )
            )
            nodes.append(helper.make_node("Add", [raw, offset], [f"{raw}_b"]))
            raw = f"{raw}_b"
        nodes.append(helper.make_node("Reshape", [raw, shaped], [target]))
        inputs.append(helper.make_tensor_value_info(source, TensorProto.DOUBLE, ["N", width]))
        outputs.append(helper.make_tensor_value_info(target, TensorProto.DOUBLE, ["N"]))
        entries.append(
            {"member": member.name, "input": source, "output": target, "features": names}
        )
    if not entries:
        raise UnsupportedModel("no gradient-boosted member to export")
    graph = helper.make_graph(nodes, "lepton_forecast_boosters", inputs, outputs)
    proto = helper.make_model(
        graph,
        opset_imports=[
            helper.make_opsetid("", ONNX_OPSET),
            helper.make_opsetid("ai.onnx.ml", ML_OPSET),
        ],
        producer_name="lepton",
        doc_string=f"lepton forecast boosters of {model.target_name}",
    )
    proto.ir_version = 10
    helper.set_model_props(proto, {BOOSTERS_KEY: json.dumps(entries)})
    onnx.checker.check_model(proto, full_check=False)
    return proto


def _tree_ensemble(source: str, output: str, trees: list[tuple[Node, int]]) -> onnx.NodeProto:
    """``ai.onnx.ml.TreeEnsemble`` (opset 5) of LightGBM trees, double splits and leaves.

    Leaves live in their own arrays; a tree that is a single leaf gets a dummy split with
    both sides on that leaf (the operator needs a node per root).
    """
    features: list[int] = []
    splits: list[float] = []
    true_ids: list[int] = []
    true_leaf: list[int] = []
    false_ids: list[int] = []
    false_leaf: list[int] = []
    tracks: list[int] = []
    leaf_targets: list[int] = []
    leaf_weights: list[float] = []
    roots: list[int] = []

    def leaf(node: Leaf, target: int) -> int:
        value = node.value if isinstance(node.value, float) else node.value[0]
        leaf_targets.append(target)
        leaf_weights.append(float(value))
        return len(leaf_weights) - 1

    def branch(feature: int, split: float, missing_true: bool) -> int:
        features.append(feature)
        splits.append(split)
        tracks.append(int(missing_true))
        for column in (true_ids, true_leaf, false_ids, false_leaf):
            column.append(0)
        return len(features) - 1

    def child(node: Node, target: int) -> tuple[int, int]:
        """(index, is leaf) of a subtree, emitted."""
        if isinstance(node, Leaf):
            return leaf(node, target), 1
        index = branch(node.feature, node.threshold, node.missing_true)
        true_ids[index], true_leaf[index] = child(node.true, target)
        false_ids[index], false_leaf[index] = child(node.false, target)
        return index, 0

    for root, target in trees:
        if isinstance(root, Leaf):
            index = branch(0, 0.0, False)
            only = leaf(root, target)
            true_ids[index] = false_ids[index] = only
            true_leaf[index] = false_leaf[index] = 1
        else:
            index, _ = child(root, target)
        roots.append(index)
    return helper.make_node(
        "TreeEnsemble",
        [source],
        [output],
        domain="ai.onnx.ml",
        n_targets=1,
        aggregate_function=1,  # SUM
        post_transform=0,  # NONE
        tree_roots=roots,
        nodes_featureids=features,
        nodes_splits=numpy_helper.from_array(np.asarray(splits, np.float64)),
        nodes_modes=numpy_helper.from_array(np.zeros(len(features), np.uint8)),  # BRANCH_LEQ
        nodes_truenodeids=true_ids,
        nodes_trueleafs=true_leaf,
        nodes_falsenodeids=false_ids,
        nodes_falseleafs=false_leaf,
        nodes_missing_value_tracks_true=tracks,
        leaf_targetids=leaf_targets,
        leaf_weights=numpy_helper.from_array(np.asarray(leaf_weights, np.float64)),
    )


# -- parity and accuracy ---------------------------------------------------------------------


def parity(
    model: ForecastModel, graph: onnx.ModelProto, features: ForecastFeatures
) -> tuple[float, float]:
    """Max |Δ| of every forecast column (mean and quantiles), and its max share of the
    series' naive scale, between native and the boosters in onnxruntime."""
    swapped = with_onnx_boosters(model, graph.SerializeToString())
    native = model.forecast(features.history, future=features.future)
    exported = swapped.forecast(features.history, future=features.future)
    keys = [features.id_column, model.settings.time_column]
    if not native[keys].equals(exported[keys]):
        raise ExportError("the ONNX variant forecasts other series or timestamps than native")
    columns = model.output_columns
    delta = np.abs(native[columns].to_numpy(float) - exported[columns].to_numpy(float))
    if delta.size == 0:
        return 0.0, 0.0
    scales = dict(zip(features.ids, features.scale, strict=True))
    per_row = native[features.id_column].astype(str).map(scales).to_numpy(dtype=float)
    per_row = np.where(np.isfinite(per_row) & (per_row > 0), per_row, 1.0)
    return float(np.max(delta)), float(np.max(delta / per_row[:, None]))


def predictions(
    forecast: Callable[..., pd.DataFrame], features: ForecastFeatures
) -> NDArray[np.float64]:
    """Mean forecasts aligned with ``features.truth`` (series, then time)."""
    frame = forecast(features.history, future=features.future)
    keys = [features.id_column, features.truth.columns[1]]
    frame = frame.assign(**{features.id_column: frame[features.id_column].astype(str)})
    merged = features.truth[keys].merge(frame[[*keys, "mean"]], on=keys, how="left")
    return merged["mean"].to_numpy(dtype=float)


def forecast_metric(name: str | None, features: ForecastFeatures) -> Metric:
    """The forecast metric over flattened (series by step) actuals; MASE unless named."""
    chosen = name if name in ("mase", "smape", "rmse") else "mase"
    scale, steps = features.scale, features.horizon

    def score(y: Any, pred: Any) -> float:
        truth = np.asarray(y, dtype=float).reshape(-1, steps)
        mean = np.asarray(pred, dtype=float).reshape(-1, steps)
        if chosen == "mase":
            return mase(truth, mean, scale)
        return report(truth, mean, scale)[chosen]

    return Metric(chosen, score, False, False, ("forecast",))


def split_series(model: ForecastModel, heldout: pd.DataFrame) -> ForecastFeatures:
    """History and actuals of up to ``MAX_SERIES`` held-out series (see the module doc)."""
    settings = model.settings
    time_column, target = settings.time_column, model.target_name
    id_column = settings.id_column or "series"
    steps = settings.horizon
    frame = heldout.copy()
    if settings.id_column is None:
        frame[id_column] = SINGLE_SERIES
    missing = [c for c in (time_column, target) if c not in frame.columns]
    if missing:
        raise LeptonError(f"held-out series lack column(s) {missing}")
    frame[id_column] = frame[id_column].astype(str)
    frame[time_column] = pd.to_datetime(frame[time_column])
    frame = pd.concat([_stored(model, id_column, frame), frame], ignore_index=True)
    frame = frame.drop_duplicates([id_column, time_column], keep="last")
    frame = frame.sort_values([id_column, time_column], kind="mergesort")
    sizes = frame.groupby(id_column, sort=False).size()
    ids = [str(u) for u in sizes.index if sizes[u] >= steps + max(3, model.history.season + 1)]
    if not ids:
        raise LeptonError(
            f"no held-out series is long enough to hold out {steps} steps after its history"
        )
    ids = ids[:MAX_SERIES]
    frame = frame[frame[id_column].isin(set(ids))]
    position = frame.groupby(id_column, sort=False).cumcount(ascending=False)
    history, actual = frame[position >= steps], frame[position < steps]
    season = model.history.season
    scales = {
        str(uid): naive_scale(g[target].to_numpy(dtype=float), season)
        for uid, g in history.groupby(id_column, sort=False)
    }
    if settings.id_column is None:
        history = history.drop(columns=[id_column])
    truth = actual[[id_column, time_column, target]].reset_index(drop=True)
    future = actual.reset_index(drop=True) if settings.known_covariates else None
    if future is not None and settings.id_column is None:
        future = future.drop(columns=[id_column])
    return ForecastFeatures(
        history.reset_index(drop=True),
        future,
        truth,
        np.asarray([scales[u] for u in ids], dtype=float),
        ids,
        id_column,
        steps,
    )


def _stored(model: ForecastModel, id_column: str, heldout: pd.DataFrame) -> pd.DataFrame:
    """The package's stored history in the user's columns, for the held-out series."""
    stored = model.history.frame
    stored = stored[stored[ID].astype(str).isin(set(heldout[id_column]))]
    out = pd.DataFrame(
        {
            id_column: stored[ID].astype(str).to_numpy(),
            model.settings.time_column: pd.to_datetime(stored[TIME]).to_numpy(),
            model.target_name: stored[TARGET].to_numpy(dtype=float),
        }
    )
    for column in model.settings.known_covariates:
        out[column] = stored[column].to_numpy()
    for column in model.settings.static_covariates:
        if column in heldout.columns:
            values = heldout.groupby(id_column)[column].first()
            out[column] = out[id_column].map(values).to_numpy()
    return out


def _select(frame: pd.DataFrame, id_column: str, ids: list[str]) -> pd.DataFrame:
    if id_column not in frame.columns:  # a single series without an id column
        return frame
    return frame[frame[id_column].astype(str).isin(set(ids))].reset_index(drop=True)


def _size(variant: Variant) -> int:
    """What loading the variant reads: the pickle, and the booster graph when it has one."""
    files = [variant.folder / NATIVE, variant.folder / ONNX]
    return sum(f.stat().st_size for f in files if f.is_file())
