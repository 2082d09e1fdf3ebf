"""``/forecast`` and ``/actuals`` on a real server: answers, errors, routing, the log."""

from __future__ import annotations

from typing import Any

import pandas as pd

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
        assert got[column].to_numpy() == __import__("pytest").approx(expected[column].to_numpy())
    assert (got["q0.1"] <= got["mean"]).all() and (got["mean"] <= got["q0.9"]).all()
