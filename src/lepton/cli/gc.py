"""``lepton gc``: remove artifacts no dataset or model version references."""

from __future__ import annotations

import typer
from rich.table import Table

from lepton.cli.console import console, err_console


def gc_command(
    dry_run: bool = typer.Option(
        False, "--dry-run", help="list what would be removed, remove nothing"
    ),
    grace: str = typer.Option(
        "1h", "--grace", help="keep unreferenced artifacts younger than this (90s, 30m, 1h, 7d)"
    ),
) -> None:
    """Remove unreferenced artifacts older than the grace period (orphans of killed runs).

    The grace period protects an artifact being published right now: it is written
    before the row that references it. The artifact store must be this project's alone.
    """
    from lepton.store.gc import collect_garbage, parse_grace
    from lepton.store.project import Project

    grace_s = parse_grace(grace)
    project = Project.open()
    report = collect_garbage(project.metadata, project.artifacts, grace_s=grace_s, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    if report.removed:
        table = Table(title=f"Artifacts {verb}")
        for col in ("artifact", "kind", "size", "age"):
            table.add_column(col, justify="right" if col in ("size", "age") else "left")
        for item in report.removed:
            table.add_row(item.key, item.kind, human_bytes(item.bytes), human_age(item.age_s))
        console.print(table)
    console.print(
        f"{verb} {len(report.removed)} artifact(s), {human_bytes(report.total_bytes)} in total; "
        f"kept {report.referenced} referenced and {len(report.kept_fresh)} younger than "
        f"{grace}",
        highlight=False,
    )
    for error in report.errors:
        err_console.print(f"[red]could not remove[/] {error}", highlight=False)
    if report.errors:
        raise typer.Exit(1)


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def human_age(seconds: float) -> str:
    for unit, span in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= span:
            return f"{seconds / span:.1f}{unit}"
    return f"{seconds:.0f}s"
