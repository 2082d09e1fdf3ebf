"""Alert rules from the project config, checked against a monitor summary.

Rules live in ``lepton.toml``::

    [lepton.monitor]
    webhook = "https://hooks.example.com/lepton"   # optional: fired alerts are POSTed here

    [[lepton.alerts]]
    name = "inputs drifted"
    kind = "dataset_drift"            # dataset_drift | prediction_drift | residual_drift |
                                      # metric_below | metric_above | latency_p99_above |
                                      # error_rate_above
    deployment = "adult"              # optional: default every deployment
    metric = "accuracy"               # metric_below / metric_above only
    threshold = 0.8

Metrics are the live ones ``lepton monitor`` shows for the primary version: the task's
metrics (accuracy, roc_auc, rmse, …) and, for forecasts, ``mase`` (scaled by each series'
training naive error), ``coverage_<level>`` (e.g. ``coverage_80`` for the 0.1 to 0.9
interval) and ``residual_mean`` (mean scaled residual: the bias). E.g.
``kind = "metric_above", metric = "mase", threshold = 1.2`` or
``kind = "metric_below", metric = "coverage_80", threshold = 0.7``. ``residual_drift``
fires when the live scaled residuals of a forecaster drift from its backtest's;
``output_shift`` when a kind's own output check fires (clustering: live cluster shares
against training, PSI > 0.2).

A fired alert is stored in the metadata store, written to the log and sent to the
webhook; a failed delivery is recorded as undelivered rather than lost.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from typing import Any

import httpx

from lepton.config import Settings
from lepton.errors import ConfigError
from lepton.monitor.summary import MonitorSummary
from lepton.store.metadata.records import AlertRecord
from lepton.store.project import Project

log = logging.getLogger("lepton.monitor.alerts")
KINDS = (
    "dataset_drift",
    "prediction_drift",
    "residual_drift",
    "output_shift",
    "metric_below",
    "metric_above",
    "latency_p99_above",
    "error_rate_above",
)


@dataclass(frozen=True)
class AlertRule:
    name: str
    kind: str
    threshold: float | None = None
    metric: str | None = None
    deployment: str | None = None

    def applies_to(self, deployment: str) -> bool:
        return self.deployment in (None, deployment)


@dataclass(frozen=True)
class FiredAlert:
    rule: AlertRule
    value: float | None
    message: str


def load_rules(settings: Settings) -> tuple[list[AlertRule], str | None]:
    """Rules and webhook URL from the project's ``lepton.toml`` (none when there is no file)."""
    if settings.config_file is None:
        return [], None
    with settings.config_file.open("rb") as fh:
        doc = tomllib.load(fh)
    section = doc.get("lepton", doc)
    rules = []
    for i, raw in enumerate(section.get("alerts", [])):
        kind = raw.get("kind")
        if kind not in KINDS:
            raise ConfigError(
                f"{settings.config_file}: alert #{i + 1} has kind {kind!r}; choose {', '.join(KINDS)}"
            )
        if (
            kind not in ("dataset_drift", "prediction_drift", "residual_drift", "output_shift")
            and "threshold" not in raw
        ):
            raise ConfigError(f"{settings.config_file}: alert #{i + 1} ({kind}) needs a threshold")
        if kind.startswith("metric_") and "metric" not in raw:
            raise ConfigError(f"{settings.config_file}: alert #{i + 1} ({kind}) needs a metric")
        rules.append(
            AlertRule(
                name=str(raw.get("name", kind)),
                kind=kind,
                threshold=float(raw["threshold"]) if "threshold" in raw else None,
                metric=raw.get("metric"),
                deployment=raw.get("deployment"),
            )
        )
    webhook = section.get("monitor", {}).get("webhook")
    return rules, webhook


def evaluate(rules: list[AlertRule], summary: MonitorSummary) -> list[FiredAlert]:
    """The rules that fire on this summary, each with the value that tripped it."""
    fired = []
    for rule in rules:
        if not rule.applies_to(summary.deployment):
            continue
        outcome = _check(rule, summary)
        if outcome is not None:
            fired.append(FiredAlert(rule, *outcome))
    return fired


def _check(rule: AlertRule, s: MonitorSummary) -> tuple[float | None, str] | None:
    t = rule.threshold
    if rule.kind == "dataset_drift" and s.drift is not None and s.drift.dataset_drift:
        names = ", ".join(f.name for f in s.drift.features if f.drifted)
        return (
            s.drift.share_drifted,
            f"dataset drift: {s.drift.share_drifted:.0%} of features ({names})",
        )
    if rule.kind == "prediction_drift" and s.prediction_drift and s.prediction_drift.drifted:
        return s.prediction_drift.statistic, f"prediction drift ({s.prediction_drift.test})"
    if rule.kind == "output_shift" and s.output_shift and s.output_shift.drifted:
        return (
            s.output_shift.psi,
            f"output shift: {s.output_shift.name} (PSI {s.output_shift.psi:.3f})",
        )
    if rule.kind == "residual_drift" and s.residual_drift and s.residual_drift.drifted:
        return s.residual_drift.statistic, f"forecast residual drift ({s.residual_drift.test})"
    p99 = s.latency_p99_ms
    if rule.kind == "latency_p99_above" and p99 is not None and t is not None and p99 > t:
        return s.latency_p99_ms, f"p99 latency {s.latency_p99_ms:.1f} ms > {t:g} ms"
    if rule.kind == "error_rate_above" and t is not None and s.error_rate > t:
        return s.error_rate, f"error rate {s.error_rate:.1%} > {t:.1%}"
    if rule.kind.startswith("metric_") and t is not None and not s.performance.empty:
        rows = s.performance[
            (s.performance["metric"] == rule.metric)
            & (s.performance["version"] == s.primary_version)
        ]
        if len(rows):
            value = float(rows["live"].iloc[0])
            if (rule.kind == "metric_below" and value < t) or (
                rule.kind == "metric_above" and value > t
            ):
                word = "below" if rule.kind == "metric_below" else "above"
                return value, f"live {rule.metric} {value:.4f} {word} {t:g}"
    return None


def dispatch(
    project: Project, summary: MonitorSummary, fired: list[FiredAlert], webhook: str | None
) -> list[AlertRecord]:
    """Store, log and deliver fired alerts."""
    records = []
    for alert in fired:
        message = f"[{summary.deployment}] {alert.rule.name}: {alert.message}"
        log.warning(message)
        delivered = _deliver(webhook, summary, alert, message) if webhook else False
        records.append(
            project.metadata.record_alert(
                summary.deployment,
                rule=alert.rule.name,
                kind=alert.rule.kind,
                message=message,
                value=alert.value,
                threshold=alert.rule.threshold,
                details={"window": summary.window, **_jsonable(summary.headline())},
                delivered=delivered,
            )
        )
    return records


def _deliver(webhook: str, summary: MonitorSummary, alert: FiredAlert, message: str) -> bool:
    payload = {
        "deployment": summary.deployment,
        "rule": alert.rule.name,
        "kind": alert.rule.kind,
        "value": alert.value,
        "threshold": alert.rule.threshold,
        "message": message,
        "window": summary.window,
    }
    try:
        response = httpx.post(webhook, json=payload, timeout=10)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        log.error("alert webhook %s failed: %s", webhook, exc)
        return False
    return True


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if hasattr(value, "item"):
            value = value.item()
        out[key] = value
    return out
