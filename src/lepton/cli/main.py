"""The ``lepton`` command: a thin face over the library.

Every expected failure is a ``LeptonError``; it is printed on one line and the
command exits non-zero, never with a traceback.
"""

from __future__ import annotations

import sys

import typer

from lepton.caches import keep_caches_in_project_home
from lepton.cli.console import console, err_console
from lepton.cli.data import data_app
from lepton.cli.gc import gc_command
from lepton.cli.learn import models_app, predict_command, runs_command, train_command
from lepton.cli.monitor import alerts_app, feedback_command, monitor_command, retrain_command
from lepton.cli.optimize import optimize_command
from lepton.cli.project import config_command, init_command
from lepton.cli.serve import deploy_command, deployments_app, keys_app, serve_command
from lepton.cli.ui import ui_command
from lepton.errors import LeptonError

app = typer.Typer(
    name="lepton",
    help="Lepton: data → AutoML → optimize → registry → serve → monitor → retrain.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("init")(init_command)
app.command("config")(config_command)
app.add_typer(data_app, name="data")
app.command("train")(train_command)
app.command("runs")(runs_command)
app.add_typer(models_app, name="models")
app.command("predict")(predict_command)
app.command("optimize")(optimize_command)
app.command("serve")(serve_command)
app.command("deploy")(deploy_command)
app.add_typer(deployments_app, name="deployments")
app.add_typer(keys_app, name="keys")
app.command("monitor")(monitor_command)
app.command("feedback")(feedback_command)
app.command("retrain")(retrain_command)
app.add_typer(alerts_app, name="alerts")
app.command("gc")(gc_command)
app.command("ui")(ui_command)


def main() -> None:
    """Console-script entry point: run the app, turning library errors into one line."""
    keep_caches_in_project_home()  # before a command imports onnxruntime or matplotlib
    try:
        app()
    except LeptonError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/]")
        sys.exit(130)


__all__ = ["app", "console", "main"]
