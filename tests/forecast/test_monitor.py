"""Monitoring a forecaster: live MASE and coverage from actuals, residual and level drift,
alert rules on them, and actuals through ``lepton feedback``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lepton.config import load_settings
from lepton.monitor.alerts import AlertRule, evaluate, load_rules
from lepton.monitor.summary import summarize
from lepton.runtime.loader import load_predictor
from tests.forecast.conftest import Deploy, ForecastProject, sales_value
from tests.serve.conftest import Server

START = pd.Timestamp("2024-01-01")


def _forecast(fc: ForecastProject, server: Server, name: str, **body: Any) -> dict[str, Any]:
    answer = server.client(fc.keys["predict"]).post(
        f"/v1/deployments/{name}/forecast", json=body or {"series": ["a", "b", "c"]}
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _send_actuals(
    fc: ForecastProject, server: Server, name: str, actuals: list[dict[str, Any]]
) -> dict[str, Any]:
    answer = server.client(fc.keys["predict"]).post(
        f"/v1/deployments/{name}/actuals", json={"actuals": actuals}
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _wait_for_log(fc: ForecastProject, name: str, rows: int) -> None:
    """Offline feedback reads the log on disk: wait for the server's next flush."""
    deadline = time.monotonic() + 30
    while len(fc.project.predictions.predictions(name)) < rows and time.monotonic() < deadline:
        time.sleep(0.2)


def _true_actuals(forecasts: list[dict[str, Any]], shift: float = 0.0) -> list[dict[str, Any]]:
    """What really happened: the noise-free pattern, plus ``shift`` times the store's size."""
    out = []
    for f in forecasts:
        day = (pd.Timestamp(f["ds"]) - START).days
        base = sales_value(f["series"], day)
        out.append({"series": f["series"], "time": f["ds"], "value": base + shift * base})
    return out


def _scales(fc: ForecastProject) -> dict[str, float]:
    predictor, _ = load_predictor(fc.project, "sales@1")
    details = predictor.model.details
    return dict(zip(details["scale_ids"], details["scales"], strict=True))


def _row(summary: Any, metric: str) -> Any:
    rows = summary.performance[summary.performance["metric"] == metric]
    assert len(rows) == 1, summary.performance
    return rows.iloc[0]


def test_live_mase_and_coverage_against_the_backtest(
    fc: ForecastProject, fc_server: Server, deploy: Deploy
) -> None:
    name = deploy()
    answer = _forecast(fc, fc_server, name)
    actuals = _true_actuals(answer["forecasts"])
    assert _send_actuals(fc, fc_server, name, actuals)["accepted"] == 18
    summary, data = summarize(fc.project, name, "all")
    assert summary.labelled_rows == 18 and summary.requests == 1 and summary.rows == 18
    predictor, _ = load_predictor(fc.project, "sales@1")
    backtest = predictor.manifest.extra["forecast"]["backtest"]
    scales = _scales(fc)
    got = pd.DataFrame(answer["forecasts"]).assign(y=[a["value"] for a in actuals])
    by_series = (got["y"] - got["mean"]).abs().groupby(got["series"]).mean()
    expected_mase = float(np.mean([by_series[s] / scales[s] for s in by_series.index]))
    mase = _row(summary, "mase")
    assert mase["live"] == pytest.approx(expected_mase)
    assert mase["training"] == pytest.approx(backtest["mean"]["mase"])
    assert mase["version"] == 1 and mase["n"] == 18
    inside = ((got["y"] >= got["q0.1"]) & (got["y"] <= got["q0.9"])).mean()
    coverage = _row(summary, "coverage_80")
    assert coverage["live"] == pytest.approx(inside)
    assert coverage["training"] == pytest.approx(backtest["coverage"]["coverage_80"])
    residual = _row(summary, "residual_mean")
    assert residual["training"] == pytest.approx(backtest["residual_mean"])
    assert summary.headline()["live_mase_v1"] == pytest.approx(expected_mase)
    assert summary.prediction_drift is None  # forecasts have no reference-data baseline
    assert summary.drift is None  # stored series were named: no history level to compare
    assert summary.quality is not None and summary.quality.ok
    assert set(data.metrics["metric"]) >= {"mase", "coverage_80"}


def test_biased_forecasts_show_as_residual_drift_and_fire_alerts(
    fc: ForecastProject, fc_server: Server, deploy: Deploy, tmp_path: Path
) -> None:
    name = deploy()
    answer = _forecast(fc, fc_server, name)
    _send_actuals(fc, fc_server, name, _true_actuals(answer["forecasts"], shift=0.5))
    summary, _ = summarize(fc.project, name, "all")
    assert _row(summary, "mase")["live"] > 5 and _row(summary, "coverage_80")["live"] == 0
    assert _row(summary, "residual_mean")["live"] > 5
    assert summary.residual_drift is not None and summary.residual_drift.drifted
    rules = [
        AlertRule("forecasts got worse", "metric_above", threshold=2.0, metric="mase"),
        AlertRule("intervals too narrow", "metric_below", threshold=0.5, metric="coverage_80"),
        AlertRule("errors drifted", "residual_drift"),
        AlertRule("fine", "metric_above", threshold=1e9, metric="mase"),
        AlertRule("other", "metric_above", threshold=0.0, metric="mase", deployment="else"),
    ]
    fired = {alert.rule.name: alert for alert in evaluate(rules, summary)}
    assert set(fired) == {"forecasts got worse", "intervals too narrow", "errors drifted"}
    assert fired["forecasts got worse"].value == pytest.approx(_row(summary, "mase")["live"])
    assert "live mase" in fired["forecasts got worse"].message
    # the same rules from lepton.toml, through `lepton monitor`
    config = tmp_path / "lepton.toml"
    config.write_text(
        '[[lepton.alerts]]\nname = "mase high"\nkind = "metric_above"\nmetric = "mase"\n'
        f'threshold = 2.0\ndeployment = "{name}"\n\n'
        '[[lepton.alerts]]\nname = "residuals"\nkind = "residual_drift"\n'
        f'deployment = "{name}"\n'
    )
    parsed, _ = load_rules(load_settings({**fc.env, "LEPTON_CONFIG": str(config)}))
    assert [r.kind for r in parsed] == ["metric_above", "residual_drift"]
    report = tmp_path / "report.html"
    done = fc.lepton(
        "monitor", name, "--window", "all", "--html", str(report), LEPTON_CONFIG=str(config)
    )
    assert done.returncode == 0, done.stderr
    assert "Metrics over time" in report.read_text()
    assert "mase high" in done.stdout and "residuals" in done.stdout and "ALERT" in done.stdout
    assert "coverage_80" in done.stdout and "residual drift" in done.stdout


def test_accurate_forecasts_fire_no_mase_alert(
    fc: ForecastProject, fc_server: Server, deploy: Deploy
) -> None:
    name = deploy()
    answer = _forecast(fc, fc_server, name)
    _send_actuals(fc, fc_server, name, _true_actuals(answer["forecasts"]))
    summary, _ = summarize(fc.project, name, "all")
    assert _row(summary, "mase")["live"] < 2.0
    assert summary.residual_drift is not None and not summary.residual_drift.drifted
    rule = AlertRule("forecasts got worse", "metric_above", threshold=2.0, metric="mase")
    assert evaluate([rule], summary) == []


def test_history_at_a_new_level_is_input_drift(
    fc: ForecastProject, fc_server: Server, deploy: Deploy
) -> None:
    name = deploy()
    rows = fc.frame[fc.frame["store"] == "c"].tail(28)
    history = [
        {"store": "c", "ds": r.ds.isoformat(), "y": r.y * 5} for r in rows.itertuples(index=False)
    ]
    _forecast(fc, fc_server, name, history=history)
    _send_actuals(fc, fc_server, name, [{"series": "c", "time": "2024-03-01", "value": 1.0}])
    summary, data = summarize(fc.project, name, "all")
    assert summary.drift is not None and summary.drift.dataset_drift
    assert [f.name for f in summary.drift.features] == ["level"]
    assert summary.drift.features[0].test == "level_z"
    assert data.current["level"].dropna().iloc[0] == pytest.approx(rows["y"].mean() * 5)
    calm = deploy()
    same = [{**h, "y": h["y"] / 5} for h in history]
    _forecast(fc, fc_server, calm, history=same)
    _send_actuals(fc, fc_server, calm, [{"series": "c", "time": "2024-03-01", "value": 1.0}])
    quiet, _ = summarize(fc.project, calm, "all")
    assert quiet.drift is not None and not quiet.drift.dataset_drift


def test_feedback_cli_takes_actuals_for_a_forecast_deployment(
    fc: ForecastProject, fc_server: Server, deploy: Deploy, tmp_path: Path
) -> None:
    name = deploy()
    answer = _forecast(fc, fc_server, name, series=["b"])
    _wait_for_log(fc, name, 6)
    actuals = pd.DataFrame(_true_actuals(answer["forecasts"][:2]))
    unknown = pd.DataFrame([{"series": "b", "time": "2030-01-01", "value": 5.0}])
    path = tmp_path / "actuals.csv"
    pd.concat([actuals, unknown]).to_csv(path, index=False)
    done = fc.lepton("feedback", name, str(path))
    assert done.returncode == 0, done.stderr
    assert "2 matched logged forecasts" in done.stdout and "1 unknown" in done.stdout
    assert "b@2030-01-01T00:00:00" in done.stdout
    labelled = fc.project.predictions.labelled(name)
    assert sorted(labelled["row"]) == [0, 1]
    assert sorted(labelled["label"].astype(float)) == sorted(actuals["value"])
    bad = tmp_path / "bad.csv"
    pd.DataFrame([{"series": "b", "time": "not a time", "value": 1.0}]).to_csv(bad, index=False)
    refused = fc.lepton("feedback", name, str(bad))
    assert refused.returncode != 0 and "time" in (refused.stderr + refused.stdout)


def test_api_feedback_takes_actuals(
    fc: ForecastProject, fc_server: Server, deploy: Deploy, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lepton import api

    name = deploy()
    answer = _forecast(fc, fc_server, name, series=["a"])
    _wait_for_log(fc, name, 6)
    for key in ("LEPTON_STORE_URL", "LEPTON_ARTIFACTS_URL", "LEPTON_CONFIG"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("LEPTON_HOME", fc.env["LEPTON_HOME"])
    result = api.feedback(name, pd.DataFrame(_true_actuals(answer["forecasts"][:3])))
    assert json.loads(json.dumps(result.to_json()))["accepted"] == 3
    assert len(fc.project.predictions.labelled(name)) == 3
