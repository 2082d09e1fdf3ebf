"""Retraining a forecaster on its actuals, and `lepton predict` for forecast models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from lepton.data.catalog import DataCatalog
from lepton.errors import DataError
from lepton.monitor.retrain import retrain
from lepton.runtime.loader import load_predictor, package_folder
from lepton.runtime.manifest import read_manifest
from lepton.serve.deployments import get_spec
from tests.forecast.conftest import OPTIONS, Deploy, ForecastProject, sales_value
from tests.serve.conftest import Server

START = pd.Timestamp("2024-01-01")


def _forecast_and_report(fc: ForecastProject, server: Server, name: str) -> list[dict[str, Any]]:
    client = server.client(fc.keys["predict"])
    answer = client.post(f"/v1/deployments/{name}/forecast", json={"series": ["a", "b", "c"]})
    assert answer.status_code == 200, answer.text
    actuals = [
        {
            "series": f["series"],
            "time": f["ds"],
            "value": sales_value(f["series"], (pd.Timestamp(f["ds"]) - START).days),
        }
        for f in answer.json()["forecasts"]
    ]
    sent = client.post(f"/v1/deployments/{name}/actuals", json={"actuals": actuals})
    assert sent.status_code == 200 and sent.json()["accepted"] == 18, sent.text
    return actuals


def test_retrain_appends_the_actuals_and_ships_a_challenger_that_wins(
    fc: ForecastProject, fc_server: Server, deploy: Deploy
) -> None:
    name = deploy()
    actuals = _forecast_and_report(fc, fc_server, name)
    decision = retrain(fc.project, name, margin=-1e9, time_limit=10)  # any challenger wins
    assert decision.metric == "mase" and decision.shipped == "canary"
    champion = read_manifest(
        package_folder(fc.project, fc.project.metadata.get_model_version("sales", 1))
    )
    assert decision.champion_score == pytest.approx(
        champion.extra["forecast"]["backtest"]["mean"]["mase"]
    )
    record = fc.project.metadata.get_model_version("sales", decision.challenger)
    challenger = read_manifest(package_folder(fc.project, record))
    assert decision.challenger_score == pytest.approx(
        challenger.extra["forecast"]["backtest"]["mean"]["mase"]
    )
    assert decision.improvement == pytest.approx(
        decision.champion_score - decision.challenger_score
    )
    # the new dataset is the training data plus one row per actual, in time/id/target form
    data = DataCatalog(fc.project).get(decision.dataset).to_pandas()
    assert len(data) == len(fc.frame) + 18 == decision.training_rows
    tail = data[pd.to_datetime(data["ds"]) >= pd.Timestamp("2024-03-01")]
    expected = {(a["series"], pd.Timestamp(a["time"]), round(a["value"], 6)) for a in actuals}
    assert {(r.store, pd.Timestamp(r.ds), round(r.y, 6)) for r in tail.itertuples()} == expected
    # same task options, and the challenger forecasts on from the newest actual
    run = fc.project.metadata.get_run(record.run_id)
    assert run.params["task"] == "forecast" and run.params["options"] == OPTIONS
    predictor, _ = load_predictor(fc.project, f"sales@{decision.challenger}")
    assert predictor.model.forecast(series=["a"])["ds"].iloc[0] == pd.Timestamp("2024-03-07")
    spec = get_spec(fc.project, name)
    assert spec.primary == 1 and decision.challenger in [r.version for r in spec.routes]


def test_retrain_keeps_the_champion_unless_the_challenger_beats_it(
    fc: ForecastProject, fc_server: Server, deploy: Deploy
) -> None:
    name = deploy()
    _forecast_and_report(fc, fc_server, name)
    decision = retrain(fc.project, name, margin=1e9, time_limit=10)
    assert decision.shipped == "kept champion"
    assert [r.version for r in get_spec(fc.project, name).routes] == [1]


def test_retrain_without_actuals_says_how_to_send_them(
    fc: ForecastProject, fc_server: Server, deploy: Deploy
) -> None:
    name = deploy()
    with pytest.raises(DataError, match="lepton feedback"):
        retrain(fc.project, name, time_limit=10)


def test_retrain_cli_reports_the_backtest_comparison(
    fc: ForecastProject, fc_server: Server, deploy: Deploy
) -> None:
    name = deploy()
    _forecast_and_report(fc, fc_server, name)
    done = fc.lepton("retrain", name, "--margin", "1000000", "--time-limit", "10", COLUMNS="200")
    assert done.returncode == 0, done.stderr
    assert "backtest MASE" in done.stdout and "kept champion" in done.stdout


def test_predict_cli_writes_the_forecast_frame(fc: ForecastProject, tmp_path: Path) -> None:
    history = fc.frame[fc.frame["store"].isin(["a", "c"])].groupby("store").tail(30)
    path = tmp_path / "history.csv"
    history.to_csv(path, index=False)
    out = tmp_path / "forecast.csv"
    done = fc.lepton("predict", "sales@1", str(path), "--horizon", "3", "-o", str(out))
    assert done.returncode == 0, done.stderr
    written = pd.read_csv(out)
    assert list(written.columns) == ["store", "ds", "step", "mean", "q0.1", "q0.5", "q0.9"]
    assert len(written) == 6 and list(written["step"]) == [1, 2, 3] * 2
    predictor, _ = load_predictor(fc.project, "sales@1")
    expected = predictor.model.forecast(history, horizon=3)
    assert list(written["mean"]) == pytest.approx(list(expected["mean"]))
    too_far = fc.lepton("predict", "sales@1", str(path), "--horizon", "7", "-o", str(out))
    assert too_far.returncode != 0 and "horizon" in too_far.stderr + too_far.stdout
    not_forecaster = fc.lepton("predict", "churn@1", str(path), "--horizon", "3", "-o", str(out))
    assert not_forecaster.returncode != 0
    assert "forecasters" in not_forecaster.stderr + not_forecaster.stdout


def test_openapi_documents_the_forecast_body_apart_from_predict(fc_server: Server) -> None:
    spec = fc_server.client(None).get("/openapi.json").json()
    forecast = spec["paths"]["/v1/deployments/{name}/forecast"]["post"]["requestBody"]
    properties = forecast["content"]["application/json"]["schema"]["properties"]
    assert {"series", "history", "future", "horizon"} <= set(properties)
    predict = spec["paths"]["/v1/deployments/{name}/predict"]["post"]["requestBody"]
    assert "history" not in predict["content"]["application/json"]["schema"]["properties"]
    assert "/v1/deployments/{name}/actuals" in spec["paths"]
