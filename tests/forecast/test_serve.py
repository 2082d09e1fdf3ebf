"""``/forecast`` and ``/actuals`` on a real server: answers, errors, routing, the log."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
import pytest

from lepton.runtime.loader import load_predictor
from lepton.serve.predlog import read_log
from tests.forecast.conftest import Deploy, ForecastProject
from tests.serve.conftest import Server


def _url(name: str, route: str = "forecast") -> str:
    return f"/v1/deployments/{name}/{route}"


def _history(fc: ForecastProject, store: str, days: int = 30) -> list[dict[str, Any]]:
    rows = fc.frame[fc.frame["store"] == store].tail(days)
    return [
        {"store": r.store, "ds": r.ds.isoformat(), "y": r.y} for r in rows.itertuples(index=False)
    ]


def test_forecast_of_stored_series_matches_the_model(
    fc: ForecastProject, fc_server: Server, deploy: Deploy
) -> None:
    name = deploy()
    client = fc_server.client(fc.keys["predict"])
    answer = client.post(_url(name), json={"series": ["b", "a"]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["deployment"] == name and body["model"] == "sales" and body["version"] == 1
    assert body["horizon"] == 6 and body["quantiles"] == [0.1, 0.5, 0.9]
    assert answer.headers["x-request-id"] == body["request_id"]
    forecasts = body["forecasts"]
    assert len(forecasts) == 12
    assert set(forecasts[0]) == {"series", "ds", "step", "mean", "q0.1", "q0.5", "q0.9"}
    predictor, _ = load_predictor(fc.project, "sales@1")
    expected = predictor.model.forecast(series=["b", "a"])
    got = pd.DataFrame(forecasts)
    assert list(got["series"]) == list(expected["store"])
    assert list(got["step"]) == list(expected["step"])
    assert got["ds"].iloc[0] == "2024-03-01T00:00:00"
    assert (pd.to_datetime(got["ds"]).to_numpy() == expected["ds"].to_numpy()).all()
    for column in ("mean", "q0.1", "q0.9"):
        assert got[column].to_numpy() == pytest.approx(expected[column].to_numpy())
    assert (got["q0.1"] <= got["mean"]).all() and (got["mean"] <= got["q0.9"]).all()


def test_forecast_from_sent_history_with_a_shorter_horizon(
    fc: ForecastProject, fc_server: Server, deploy: Deploy
) -> None:
    name = deploy()
    client = fc_server.client(fc.keys["predict"])
    history = _history(fc, "c", 28)
    shifted = [{**row, "store": "new-store", "y": row["y"] * 2} for row in history]
    answer = client.post(_url(name), json={"history": shifted, "horizon": 3})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["horizon"] == 3 and len(body["forecasts"]) == 3
    assert {f["series"] for f in body["forecasts"]} == {"new-store"}
    predictor, _ = load_predictor(fc.project, "sales@1")
    expected = predictor.model.forecast(pd.DataFrame(shifted), horizon=3)
    got = [f["mean"] for f in body["forecasts"]]
    assert got == pytest.approx(list(expected["mean"]))
    assert got[0] > 150  # from the history sent (doubled store c), not the stored series


def test_bad_requests_name_the_field(
    fc: ForecastProject, fc_server: Server, deploy: Deploy
) -> None:
    name = deploy()
    client = fc_server.client(fc.keys["predict"])
    cases = [
        ({"series": ["a"], "horizon": 7}, 422, "horizon"),
        ({"series": ["a"], "horizon": 0}, 422, "horizon"),
        ({"series": ["a"], "horizon": "six"}, 422, "horizon"),
        ({"series": "a"}, 422, "series"),
        ({}, 422, "series"),
        ({"series": ["a"], "history": _history(fc, "a")}, 422, "series"),
        ({"history": [{"store": "a", "y": 1.0}]}, 422, "history[0].ds"),
        ({"history": [{**_history(fc, "a")[0], "y": "lots"}]}, 422, "history[0].y"),
        ({"series": ["a"], "colour": "red"}, 422, "colour"),
    ]
    for body, status, field in cases:
        answer = client.post(_url(name), json=body)
        assert answer.status_code == status, (body, answer.text)
        assert answer.json()["error"]["field"] == field, (body, answer.text)
    not_json = client.post(_url(name), content=b"{", headers={"content-type": "application/json"})
    assert not_json.status_code == 422 and not_json.json()["error"]["field"] == "body"
    unknown = client.post(_url(name), json={"series": ["a", "zz"]})
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "series"
    assert "zz" in unknown.json()["error"]["message"]
    assert client.post(_url("no-such-deployment"), json={"series": ["a"]}).status_code == 404
    anonymous = fc_server.client(None).post(_url(name), json={"series": ["a"]})
    assert anonymous.status_code == 401


def test_predict_and_forecast_point_at_each_other(
    fc: ForecastProject, fc_server: Server, deploy: Deploy
) -> None:
    forecaster, table = deploy(), deploy("churn@1")
    client = fc_server.client(fc.keys["predict"])
    on_predict = client.post(_url(forecaster, "predict"), json={"records": [{"store": "a"}]})
    assert on_predict.status_code == 400
    assert f"/v1/deployments/{forecaster}/forecast" in on_predict.json()["error"]["message"]
    on_forecast = client.post(_url(table), json={"series": ["a"]})
    assert on_forecast.status_code == 400
    assert f"/v1/deployments/{table}/predict" in on_forecast.json()["error"]["message"]
    actuals = client.post(
        _url(table, "actuals"),
        json={"actuals": [{"series": "a", "time": "2024-03-01", "value": 1}]},
    )
    assert actuals.status_code == 400 and "feedback" in actuals.json()["error"]["message"]


def test_metrics_count_forecasts_and_their_errors(
    fc: ForecastProject, fc_server: Server, deploy: Deploy
) -> None:
    name = deploy()
    client = fc_server.client(fc.keys["predict"])
    assert client.post(_url(name), json={"series": ["a"]}).status_code == 200
    assert client.post(_url(name), json={"series": ["a"]}).status_code == 200
    assert client.post(_url(name), json={"series": ["a"], "horizon": 99}).status_code == 422
    text = fc_server.client(fc.keys["metrics"]).get("/metrics").text
    assert f'lepton_requests_total{{deployment="{name}",status="200",version="1"}} 2.0' in text
    assert f'lepton_errors_total{{deployment="{name}",status="422"}} 1.0' in text
    assert f'lepton_request_latency_seconds_count{{deployment="{name}",version="1"}} 2.0' in text


def test_forecasts_are_logged_per_series_and_step_and_actuals_label_them(
    fc: ForecastProject, fc_server: Server, deploy: Deploy
) -> None:
    name = deploy()
    client = fc_server.client(fc.keys["predict"])
    first = client.post(_url(name), json={"series": ["a", "b"]}).json()
    second = client.post(_url(name), json={"series": ["a"], "horizon": 2}).json()
    target = first["forecasts"][1]  # store a, step 2: also forecast by the second request
    assert (target["series"], target["step"]) == ("a", 2)
    actuals = [
        {"series": "a", "time": target["ds"], "value": 12.5},
        {"series": "b", "time": "2024-03-01", "value": 51.0},  # another spelling of the instant
        {"series": "a", "time": "2031-01-01T00:00:00", "value": 3.0},  # never forecast
        {"series": "zz", "time": target["ds"], "value": 3.0},  # unknown series
    ]
    answer = client.post(_url(name, "actuals"), json={"actuals": actuals})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["accepted"] == 2 and result["forecasts"] == 3 and result["updated"] == 0
    assert result["unknown"] == [
        {"series": "a", "time": "2031-01-01T00:00:00"},
        {"series": "zz", "time": target["ds"]},
    ]
    again = client.post(_url(name, "actuals"), json={"actuals": actuals[:1]}).json()
    assert again["updated"] == 2 and again["unknown"] == []
    log = read_log(fc.home / "logs" / "predictions", name)
    assert len(log) == 12 + 2 and set(log["request_id"]) == {
        first["request_id"],
        second["request_id"],
    }
    mine = log[log["request_id"] == first["request_id"]].sort_values("row")
    assert list(mine["row"]) == list(range(12))
    assert list(mine["in_series"]) == ["a"] * 6 + ["b"] * 6
    assert list(mine["in_step"]) == [1, 2, 3, 4, 5, 6] * 2
    assert list(mine["in_time"]) == [f["ds"] for f in first["forecasts"]]
    assert list(mine["out_prediction"]) == pytest.approx([f["mean"] for f in first["forecasts"]])
    assert list(mine["out_q0.9"]) == pytest.approx([f["q0.9"] for f in first["forecasts"]])
    labelled = fc.project.predictions.labelled(name)
    keyed = {(r.request_id, r.row): float(r.label) for r in labelled.itertuples()}
    assert keyed == {
        (first["request_id"], 1): 12.5,
        (second["request_id"], 1): 12.5,
        (first["request_id"], 6): 51.0,
    }
    empty = client.post(_url(name, "actuals"), json={"actuals": []})
    assert empty.status_code == 422 and empty.json()["error"]["field"] == "actuals"


def test_canary_and_shadow_versions_forecast_too(
    fc: ForecastProject, fc_server: Server, deploy: Deploy
) -> None:
    name = deploy()
    deploy("sales@2", name=name, shadow=True)
    client = fc_server.client(fc.keys["predict"])
    ids = [client.post(_url(name), json={"series": ["c"]}).json()["request_id"] for _ in range(3)]
    deadline = time.monotonic() + 30  # the shadow answers after the primary; the log lags both
    while True:
        log = read_log(fc.home / "logs" / "predictions", name)
        mine = log[log["request_id"].isin(ids)] if len(log) else log
        if (len(mine) and (mine.role == "shadow").sum() >= 18) or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert (mine[mine.role == "primary"].version == 1).sum() == 18
    assert (mine[mine.role == "shadow"].version == 2).sum() == 18
    canary = deploy()
    deploy("sales@2", name=canary, canary_percent=50)
    versions = {
        client.post(_url(canary), json={"series": ["a"]}).json()["version"] for _ in range(40)
    }
    assert versions == {1, 2}
