"""``lepton monitor``, ``lepton feedback``, ``lepton retrain``, ``lepton alerts …``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from lepton.cli.console import console

alerts_app = typer.Typer(help="Alert rules (lepton.toml) and fired alerts.")


def monitor_command(
    name: str = typer.Argument(..., help="deployment name"),
    window: str = typer.Option("24h", "--window", help="30m, 24h, 7d or all"),
    html: Path | None = typer.Option(None, "--html", help="also write an HTML report here"),
    as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
    check_alerts: bool = typer.Option(
        True, "--alerts/--no-alerts", help="evaluate the alert rules on this summary"
    ),
) -> None:
    """Traffic, latency, errors, drift, data quality and live metrics of a deployment."""
    from lepton.monitor.summary import summarize, write_report
    from lepton.store.project import Project

    project = Project.open()
    summary, data = summarize(project, name, window)
    fired = _alerts(project, summary) if check_alerts else []
    if as_json:
        console.print_json(json.dumps(summary.headline(), default=str))
        return
    print_summary(summary)
    for record in fired:
        console.print(f"[bold red]ALERT[/] {record.message}", highlight=False)
    if html is not None:
        path = write_report(summary, data, html)
        console.print(f"report: {path}")


def print_summary(summary: Any) -> None:
    head = summary.headline()
    console.print(
        f"[bold]{summary.deployment}[/] → {summary.model} v{summary.primary_version}  "
        f"window {summary.window}: {summary.requests} requests, {summary.rows} rows "
        f"(by version: {summary.rows_by_version}), {summary.errors} errors "
        f"({summary.error_rate:.1%})"
    )
    if summary.latency_p50_ms is not None:
        console.print(
            f"latency in server: p50 {summary.latency_p50_ms:.2f} ms, "
            f"p99 {summary.latency_p99_ms:.2f} ms"
        )
    if summary.drift is not None:
        verdict = "[red]DRIFT[/]" if summary.drift.dataset_drift else "[green]no drift[/]"
        console.print(
            f"dataset drift: {verdict} — {summary.drift.share_drifted:.0%} of features drifted "
            f"(reference {summary.drift.reference_rows} rows vs live {summary.drift.current_rows})"
        )
        table = Table(title="Feature drift (reference = training data)")
        for col in ("feature", "kind", "test", "score", "p-value", "threshold", "PSI", "drift"):
            table.add_column(col)
        for f in sorted(summary.drift.features, key=lambda f: (not f.drifted, f.name)):
            table.add_row(
                f.name,
                f.kind,
                f.test,
                f"{f.statistic:.4f}",
                "" if f.p_value is None else f"{f.p_value:.4g}",
                f"{f.threshold:g}",
                f"{f.psi:.3f}",
                "[red]yes[/]" if f.drifted else "no",
            )
        console.print(table)
    if summary.prediction_drift is not None:
        p = summary.prediction_drift
        console.print(
            f"prediction drift: {'[red]yes[/]' if p.drifted else 'no'} ({p.test} {p.statistic:.4f})"
        )
    if summary.residual_drift is not None:
        r = summary.residual_drift
        console.print(
            f"forecast residual drift (live vs backtest scaled residuals): "
            f"{'[red]yes[/]' if r.drifted else 'no'} ({r.test} {r.statistic:.4f})"
        )
    if summary.output_shift is not None:
        o = summary.output_shift
        console.print(
            f"output shift ({o.name}, live vs training): "
            f"{'[red]yes[/]' if o.drifted else 'no'} (PSI {o.psi:.3f}, {o.test} p={o.p_value:.3g})"
        )
    if summary.quality is not None and summary.quality.issues:
        for issue in summary.quality.issues:
            console.print(f"[yellow]data quality:[/] {issue}")
    if not summary.performance.empty:
        table = Table(title=f"Live performance ({head['labelled_rows']} labelled rows)")
        for col in ("version", "metric", "live", "training/backtest", "change", "n"):
            table.add_column(col)
        for row in summary.performance.itertuples():
            table.add_row(
                str(row.version),
                row.metric,
                f"{row.live:.4f}",
                "" if row.training is None else f"{row.training:.4f}",
                "" if row.change is None else f"{row.change:+.4f}",
                str(row.n),
            )
        console.print(table)
    elif summary.requests:
        console.print("[dim]no feedback yet: send ground truth with `lepton feedback`[/]")


def _alerts(project: Any, summary: Any) -> list[Any]:
    from lepton.monitor.alerts import dispatch, evaluate, load_rules

    rules, webhook = load_rules(project.settings)
    return dispatch(project, summary, evaluate(rules, summary), webhook)


def feedback_command(
    name: str = typer.Argument(..., help="deployment name"),
    labels: Path = typer.Argument(
        ...,
        help="CSV/Parquet/JSONL with request_id, [row,] label; forecasts: series, time, value",
    ),
) -> None:
    """Attach ground truth to logged predictions by request_id (idempotent).

    For a forecast deployment the file may instead hold actuals (series, time, value):
    each labels every logged forecast of that series for that timestamp.
    """
    from lepton.data.sources import read_source
    from lepton.serve.deployments import get_spec
    from lepton.store.predictions import is_actuals
    from lepton.store.project import Project

    project = Project.open()
    get_spec(project, name)
    frame = read_source(labels).frame
    if is_actuals(frame):
        actuals = project.predictions.add_actuals(name, frame)
        console.print(
            f"actuals for {name}: {actuals.accepted} matched logged forecasts "
            f"({actuals.forecasts} forecast rows labelled, {actuals.updated} updated), "
            f"{len(actuals.unknown)} unknown"
        )
        if actuals.unknown:
            shown = ", ".join(f"{u['series']}@{u['time']}" for u in actuals.unknown[:10])
            more = " …" if len(actuals.unknown) > 10 else ""
            console.print(f"[yellow]unknown (no logged forecast):[/] {shown}{more}")
        return
    result = project.predictions.add_feedback(name, frame)
    console.print(
        f"feedback for {name}: {result.accepted} new, {result.updated} updated, "
        f"{len(result.unknown)} unknown request ids"
    )
    if result.unknown:
        shown = ", ".join(result.unknown[:10]) + (" …" if len(result.unknown) > 10 else "")
        console.print(f"[yellow]unknown (no logged prediction):[/] {shown}")


def retrain_command(
    name: str = typer.Argument(..., help="deployment name"),
    margin: float = typer.Option(
        0.002, "--margin", help="how much better (in the metric) the challenger must be"
    ),
    canary: float = typer.Option(10.0, "--canary", help="canary share for a winning challenger"),
    promote_after: float | None = typer.Option(
        None, "--promote-after", help="promote the canary after this many seconds"
    ),
    time_limit: float | None = typer.Option(
        None, "--time-limit", help="AutoML budget (default: the champion's)"
    ),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Retrain on reference + labelled live data; ship the challenger only if it wins."""
    from lepton.monitor.retrain import retrain
    from lepton.store.project import Project

    with console.status("retraining: AutoML on reference + labelled live data…"):
        decision = retrain(
            Project.open(),
            name,
            margin=margin,
            canary_percent=canary,
            promote_after=promote_after,
            time_limit=time_limit,
            seed=seed,
        )
    if decision.basis:  # forecasts: backtests, not a holdout
        console.print(f"champion vs challenger on {decision.basis}", highlight=False)
        table = Table(title="Champion vs challenger")
    else:
        table = Table(
            title=f"Champion vs challenger on a fresh holdout ({decision.holdout_rows} rows)"
        )
    for col in ("model", "version", decision.metric):
        table.add_column(col)
    table.add_row("champion", str(decision.champion), f"{decision.champion_score:.5f}")
    table.add_row("challenger", str(decision.challenger), f"{decision.challenger_score:.5f}")
    console.print(table)
    colour = "green" if decision.shipped != "kept champion" else "yellow"
    console.print(
        f"decision: [{colour}]{decision.shipped}[/] (improvement {decision.improvement:+.5f}, "
        f"margin {decision.margin:g}); trained on {decision.dataset}; run {decision.run_id[:8]}"
    )


@alerts_app.callback(invoke_without_command=True)
def alerts_list(ctx: typer.Context, limit: int = typer.Option(20, "--limit")) -> None:
    """Fired alerts, newest first (default)."""
    if ctx.invoked_subcommand is not None:
        return
    from lepton.store.project import Project

    table = Table(title="Alerts")
    for col in ("fired", "deployment", "rule", "message", "delivered"):
        table.add_column(col)
    for alert in Project.open().metadata.list_alerts(limit=limit):
        table.add_row(
            alert.fired_at.strftime("%Y-%m-%d %H:%M:%S"),
            alert.deployment,
            alert.rule,
            alert.message,
            "yes" if alert.delivered else "no",
        )
    console.print(table)


@alerts_app.command("check")
def alerts_check(
    window: str = typer.Option("24h", "--window"),
    every: float | None = typer.Option(
        None, "--every", help="keep checking every N seconds (a scheduler in one command)"
    ),
) -> None:
    """Evaluate the alert rules on every deployment, now (or on a schedule)."""
    from lepton.monitor.summary import summarize
    from lepton.serve.deployments import list_specs
    from lepton.store.project import Project

    project = Project.open()
    while True:
        fired_total = 0
        for spec in list_specs(project):
            summary, _ = summarize(project, spec.name, window)
            for record in _alerts(project, summary):
                fired_total += 1
                console.print(f"[bold red]ALERT[/] {record.message}", highlight=False)
        console.print(f"checked {len(list_specs(project))} deployment(s): {fired_total} alert(s)")
        if every is None:
            return
        time.sleep(every)
