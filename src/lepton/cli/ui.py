"""``lepton ui``: the web dashboard on its own (``lepton serve`` also mounts it at /ui)."""

from __future__ import annotations

import os

import typer

from lepton.cli.console import console


def ui_command(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8765, "--port"),
) -> None:
    """Serve the dashboard: datasets, runs, models, deployments, monitoring, alerts, keys."""
    import uvicorn

    from lepton.store.project import Project
    from lepton.ui import UI_PREFIX, create_standalone_app

    project = Project.open()
    if not any(k.active and "admin" in k.scopes for k in project.metadata.list_api_keys()):
        console.print(
            "[yellow]no admin key yet:[/] nobody can log in; "
            "create one with `lepton keys create NAME --scope admin`"
        )
    console.print(f"Lepton dashboard on http://{host}:{port}{UI_PREFIX}/")
    uvicorn.run(
        create_standalone_app(project),
        host=host,
        port=port,
        log_level=os.environ.get("LEPTON_LOG_LEVEL", "warning"),
    )
