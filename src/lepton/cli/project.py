"""``lepton init`` and ``lepton config``."""

from __future__ import annotations

from rich.table import Table

from lepton.cli.console import console
from lepton.config import load_settings
from lepton.store.project import Project


def init_command() -> None:
    """Create the project home and bring the metadata store to the latest schema."""
    project = Project.open()
    settings = project.settings
    project.artifacts.list("")  # touches the artifact location so a bad URL fails now
    project.close()
    console.print(f"[green]Lepton project ready[/] at {settings.home}")
    console.print(f"  metadata:  {_redact(settings.store_url)}")
    console.print(f"  artifacts: {settings.artifacts_url}")


def config_command() -> None:
    """Show the resolved configuration and where each value came from."""
    settings = load_settings()
    table = Table(title="Lepton configuration", show_lines=False)
    table.add_column("setting", style="bold")
    table.add_column("value")
    table.add_column("source", style="dim")
    for key, value, source in settings.as_rows():
        table.add_row(key, _redact(value) if key == "store_url" else value, source)
    console.print(table)


def _redact(url: str) -> str:
    """Hide a password in a database URL before showing it."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url
