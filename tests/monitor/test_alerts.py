from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from lepton.config import load_settings
from lepton.errors import ConfigError
from lepton.monitor.alerts import dispatch, evaluate, load_rules
from lepton.monitor.drift import DriftReport, FeatureDrift
from lepton.monitor.summary import MonitorSummary
from lepton.store.project import Project

RULES = """
[lepton.monitor]
webhook = "{webhook}"

[[lepton.alerts]]
name = "inputs drifted"
kind = "dataset_drift"

[[lepton.alerts]]
name = "slow"
kind = "latency_p99_above"
threshold = 50

[[lepton.alerts]]
name = "accuracy fell"
kind = "metric_below"
metric = "accuracy"
threshold = 0.8
deployment = "churn"

[[lepton.alerts]]
name = "other deployment only"
kind = "error_rate_above"
threshold = 0.0
deployment = "someone-else"
"""


@pytest.fixture()
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A real HTTP receiver on 127.0.0.1 that records what it is sent."""
    received: list[dict[str, Any]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()


def _summary() -> MonitorSummary:
    drift = DriftReport(
        [
            FeatureDrift("age", "numeric", "wasserstein", 0.4, None, 0.1, True, 0.5),
            FeatureDrift("color", "categorical", "jensenshannon", 0.01, None, 0.1, False, 0.0),
        ],
        share_drifted=0.5,
        dataset_drift=True,
        reference_rows=2000,
        current_rows=500,
    )
    performance = pd.DataFrame(
        [
            {
                "version": 1,
                "metric": "accuracy",
                "live": 0.7,
                "n": 50,
                "training": 0.85,
                "change": -0.15,
            }
        ]
    )
    return MonitorSummary(
        "churn",
        "churn",
        "24h",
        1,
        requests=500,
        rows=500,
        latency_p50_ms=3.0,
        latency_p99_ms=12.0,
        drift=drift,
        performance=performance,
    )


def _settings(home: Path, text: str) -> Any:
    config = home / "lepton.toml"
    home.mkdir(parents=True, exist_ok=True)
    config.write_text(text)
    return load_settings({"LEPTON_HOME": str(home), "LEPTON_CONFIG": str(config)})


def test_rules_fire_are_stored_and_reach_the_webhook(
    tmp_path: Path, webhook: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = webhook
    settings = _settings(tmp_path / "home", RULES.format(webhook=url))
    rules, hook = load_rules(settings)
    assert [r.name for r in rules][:2] == ["inputs drifted", "slow"] and hook == url
    fired = evaluate(rules, _summary())
    assert sorted(a.rule.name for a in fired) == ["accuracy fell", "inputs drifted"]
    project = Project.open(settings)
    records = dispatch(project, _summary(), fired, hook)
    assert all(r.delivered for r in records)
    assert sorted(m["rule"] for m in received) == ["accuracy fell", "inputs drifted"]
    stored = project.metadata.list_alerts("churn")
    assert len(stored) == 2 and any("age" in a.message for a in stored)
    assert stored[0].details["window"] == "24h"


def test_an_unreachable_webhook_is_recorded_not_lost(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "home", RULES.format(webhook="http://127.0.0.1:9/none"))
    rules, hook = load_rules(settings)
    project = Project.open(settings)
    records = dispatch(project, _summary(), evaluate(rules, _summary()), hook)
    assert records and not any(r.delivered for r in records)
    assert len(project.metadata.list_alerts()) == len(records)


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ('kind = "bogus"', "choose"),
        ('kind = "latency_p99_above"', "needs a threshold"),
        ('kind = "metric_below"\nthreshold = 0.5', "needs a metric"),
    ],
)
def test_bad_rules_are_config_errors(tmp_path: Path, rule: str, words: str) -> None:
    settings = _settings(tmp_path / "home", f"[[lepton.alerts]]\n{rule}\n")
    with pytest.raises(ConfigError, match=words):
        load_rules(settings)
