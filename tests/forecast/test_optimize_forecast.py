"""``lepton optimize`` on forecast packages: the GBM booster in ONNX, statsforecast native."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from onnx import numpy_helper

from lepton.data.catalog import DataCatalog
from lepton.learn.training import train_dataset
from lepton.optimize import driver, load_serving_predictor, optimize
from lepton.optimize.forecast import (
    STATS_NATIVE,
    VARIANT,
    ForecastBuilder,
    booster_graph,
    parity,
    split_series,
)
from lepton.optimize.result import OptimizeResult
from lepton.runtime.loader import load_predictor, package_folder
from lepton.runtime.onnx_forecast import OnnxForecastPredictor
from lepton.runtime.predictor import Predictor
from lepton.store.project import Project

QUICK = {"measure_memory": False, "measure_seconds": 0.05}
HORIZON = 7


@pytest.fixture()
def project(lepton_home: Path) -> Project:
    return Project.open()


def sales(n_series: int = 4, length: int = 120, seed: int = 0) -> pd.DataFrame:
    """Daily series with a weekly cycle, a trend and noise, of different sizes."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n_series):
        t = np.arange(length)
        y = 50.0 * (i + 1) + 0.3 * (i + 1) * t + 8 * np.sin(2 * np.pi * t / 7)
        frames.append(
            pd.DataFrame(
                {
                    "store": f"s{i}",
                    "day": pd.date_range("2024-01-01", periods=length, freq="D"),
                    "units": y + rng.normal(0, 2, length),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _train(project: Project, families: list[str], name: str) -> str:
    ref = DataCatalog(project).add_frame(sales(), name=name, target="units")[0].ref
    train_dataset(
        project,
        ref,
        target="units",
        task="forecast",
        time_limit=30,
        families=families,
        options={"time_column": "day", "horizon": HORIZON, "id_column": "store"},
    )
    return name


def _prefer_variant(monkeypatch: pytest.MonkeyPatch) -> None:
    """Serve the ONNX variant whenever it is eligible (latency on a shared machine is noisy)."""
    choose = driver.apply_choice

    def prefer(result: OptimizeResult) -> None:
        choose(result)
        if any(v.name == VARIANT and v.eligible for v in result.variants):
            result.chosen = VARIANT

    monkeypatch.setattr(driver, "apply_choice", prefer)


def test_the_gbm_booster_is_exported_and_served_through_onnx(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    _prefer_variant(monkeypatch)
    name = _train(project, ["gbm_global"], "sales")
    outcome = optimize(project, name, **QUICK)  # type: ignore[arg-type]
    result = outcome.result
    assert [v.name for v in result.variants] == ["native", VARIANT], result.notes
    variant = result.variants[1]
    assert variant.measurement is not None and variant.measurement.p50_ms > 0
    assert variant.eligible
    assert variant.max_abs_diff is not None and variant.max_abs_diff < 1e-6
    assert variant.measurement.metric_drop == pytest.approx(0.0, abs=1e-9)
    record = outcome.registered[VARIANT]
    folder = package_folder(project, record)
    assert (folder / "native" / "model.pkl").is_file()
    assert (folder / "onnx" / "model.onnx").is_file()

    native, _ = load_predictor(project, name)
    served, parent = load_serving_predictor(project, name)
    assert parent.name == name
    assert isinstance(served, OnnxForecastPredictor) and isinstance(served, Predictor)
    assert served.variant == VARIANT
    history = sales().groupby("store").head(100)
    expected = native.model.forecast(history)  # type: ignore[attr-defined]
    got = served.model.forecast(history)
    pd.testing.assert_frame_equal(got, served.forecast(history))
    pd.testing.assert_frame_equal(got[["store", "day", "step"]], expected[["store", "day", "step"]])
    columns = ["mean", "q0.1", "q0.5", "q0.9"]
    assert np.max(np.abs(got[columns].to_numpy() - expected[columns].to_numpy())) < 1e-6
    # the boosters really run in onnxruntime: the native booster is never asked
    for member in served.native.members:
        monkeypatch.setattr(member.forecaster, "predict_rows", _refuse)
    served.model.forecast(history)


def _refuse(features: object) -> object:
    raise AssertionError("the native booster ran in the ONNX variant")


def test_a_graph_that_disagrees_with_native_is_refused(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lepton.runtime.loader import load_predictor as native_of

    name = _train(project, ["gbm_global"], "drifted")
    model = native_of(project, name)[0].model
    features = split_series(model, sales())  # type: ignore[arg-type]
    graph = booster_graph(model)  # type: ignore[arg-type]
    diff, relative = parity(model, graph, features)  # type: ignore[arg-type]
    assert diff < 1e-6 and relative < 1e-8
    # a graph whose leaves are off by a little must be caught and the variant refused
    leaves = next(a for a in graph.graph.node[0].attribute if a.name == "leaf_weights")
    shifted = numpy_helper.to_array(leaves.t) + 0.01
    leaves.t.CopyFrom(numpy_helper.from_array(shifted))
    monkeypatch.setattr("lepton.optimize.forecast.booster_graph", lambda _model: graph)
    notes: list[str] = []
    built = ForecastBuilder().build(
        model,  # type: ignore[arg-type]
        native_of(project, name)[0].manifest,
        features,
        None,
        Path(project.settings.home),
        1e-5,
        notes,
        lambda _msg: None,
    )
    assert built == []
    assert any(f"{VARIANT} not built" in n and "differ from native" in n for n in notes), notes


def test_statistical_members_stay_native_and_the_table_says_why(project: Project) -> None:
    name = _train(project, ["seasonal_naive"], "naive")
    outcome = optimize(project, name, **QUICK)  # type: ignore[arg-type]
    result = outcome.result
    assert [v.name for v in result.variants] == ["native"]
    assert result.chosen == "native"
    assert outcome.registered == {}
    assert any(STATS_NATIVE in n for n in result.notes), result.notes
    table = outcome.parent.metadata["optimization"]["table"]
    assert len(table) == 1 and table[0]["variant"] == "native" and table[0]["chosen"]
    assert STATS_NATIVE in table[0]["note"]
    assert outcome.parent.metadata["optimization"]["chosen"]["variant"] == "native"
    served, _ = load_serving_predictor(project, name)
    assert served.variant == "native"
