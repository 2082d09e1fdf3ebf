"""``lepton data …``: add, list, show, versions, clean, split."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from lepton.cli.console import console, err_console

if TYPE_CHECKING:
    from lepton.data.catalog import DataCatalog

data_app = typer.Typer(
    help="Ingest, profile, clean, version and split datasets.", no_args_is_help=True
)


def _catalog() -> DataCatalog:
    from lepton.data.catalog import DataCatalog
    from lepton.store.project import Project

    return DataCatalog(Project.open())


@data_app.command("add")
def add(
    path: Path = typer.Argument(
        ...,
        help="file (csv, tsv, parquet, jsonl, json, xlsx, txt, npz image arrays) or folder",
    ),
    name: str = typer.Option(..., "--name", "-n", help="dataset name"),
    target: str | None = typer.Option(None, "--target", "-t", help="label column"),
    format: str | None = typer.Option(
        None, "--format", help="override the format guessed from the suffix"
    ),
    encoding: str | None = typer.Option(None, "--encoding", help="text encoding (default utf-8)"),
    max_field_size: str | None = typer.Option(
        None, "--max-field-size", help="largest CSV/TSV field in characters (default 1MiB)"
    ),
    max_line_size: str | None = typer.Option(
        None, "--max-line-size", help="largest line of a CSV/TSV/JSONL/text file (default 32MiB)"
    ),
) -> None:
    """Ingest PATH as a new immutable version of NAME (same content → same version)."""
    from lepton.data.limits import ReadLimits

    limits = ReadLimits.parse(max_field_size, max_line_size)
    started = time.perf_counter()
    with err_console.status(f"reading and profiling {path} …"):
        if format == "npz" or (format is None and path.suffix.lower() == ".npz"):
            added = _catalog().add_arrays(path, name=name, target=target)  # train (+ NAME-test)
        else:
            added = [
                _catalog().add(
                    path, name=name, target=target, format=format, encoding=encoding, limits=limits
                )
            ]
    elapsed = time.perf_counter() - started
    for version, created in added:
        verb = "added" if created else "unchanged, already stored as"
        console.print(
            f"[green]{verb}[/] [bold]{version.ref}[/]: {version.n_rows:,} rows × "
            f"{version.n_cols} columns"
            f"{f', target {version.target}' if version.target else ''} ({elapsed:.2f} s)"
        )
        _print_warnings(version.profile.warnings)


@data_app.command("list")
def list_datasets() -> None:
    """Every dataset with its latest version."""
    table = Table(title="Datasets")
    for col in ("name", "latest", "versions", "rows", "columns", "target", "updated"):
        table.add_column(
            col, justify="right" if col in ("latest", "versions", "rows", "columns") else "left"
        )
    for item in _catalog().list():
        table.add_row(
            item.name,
            str(item.latest_version),
            str(item.n_versions),
            f"{item.n_rows:,}",
            str(item.n_cols),
            item.target or "",
            item.updated_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)


@data_app.command("show")
def show(
    ref: str = typer.Argument(..., help="NAME or NAME@VERSION"),
    html: Path | None = typer.Option(
        None, "--html", help="also write an HTML report with plots here"
    ),
) -> None:
    """The profile of a version as tables (and optionally an HTML report with plots)."""
    from lepton.data.report import render_html

    version = _catalog().get(ref)
    profile = version.profile
    console.print(
        f"[bold]{version.ref}[/]  {profile.n_rows:,} rows × {profile.n_cols} columns  "
        f"duplicated rows: {profile.n_duplicate_rows:,}  target: {version.target or '-'}  "
        f"hash: {version.content_hash[:12]}"
    )
    table = Table(title="Columns")
    for header in ("column", "kind", "missing", "missing %", "unique", "summary"):
        table.add_column(
            header, justify="right" if header in ("missing", "missing %", "unique") else "left"
        )
    for col in profile.columns:
        table.add_row(
            col.name,
            col.kind,
            f"{col.n_missing:,}",
            f"{col.missing_pct:.2f}",
            f"{col.n_unique:,}",
            _summary(col.stats),
        )
    console.print(table)
    if profile.target and profile.target.get("class_balance"):
        balance = Table(title=f"Class balance of {profile.target['name']}")
        balance.add_column("class")
        balance.add_column("rows", justify="right")
        balance.add_column("%", justify="right")
        total = sum(profile.target["class_balance"].values())
        for label, count in profile.target["class_balance"].items():
            balance.add_row(label, f"{count:,}", f"{100 * count / total:.1f}")
        console.print(balance)
    _print_warnings(profile.warnings)
    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        tmp = html.with_name(f".{html.name}.tmp")
        tmp.write_text(render_html(profile, title=version.ref), encoding="utf-8")
        tmp.replace(html)
        console.print(f"HTML report: {html}")


@data_app.command("versions")
def versions(name: str = typer.Argument(..., help="dataset name")) -> None:
    """Version history with lineage (parent version and recipe)."""
    table = Table(title=f"Versions of {name}")
    for col in ("version", "rows", "columns", "hash", "parent", "recipe", "created"):
        table.add_column(col)
    for v in _catalog().versions(name):
        steps = ", ".join(s["step"] for s in (v.recipe or []))
        table.add_row(
            str(v.version),
            f"{v.n_rows:,}",
            str(v.n_cols),
            v.content_hash[:12],
            str(v.parent_version or ""),
            steps,
            v.created_at[:19],
        )
    console.print(table)


@data_app.command("clean")
def clean(
    ref: str = typer.Argument(..., help="NAME or NAME@VERSION"),
    recipe: Path = typer.Option(..., "--recipe", "-r", help="recipe file (.toml or .json)"),
) -> None:
    """Apply a cleaning recipe; the result is a new version with the fitted recipe recorded."""
    from lepton.data.recipe import Recipe

    steps = Recipe.from_file(recipe)
    version, created = _catalog().clean(ref, steps)
    verb = "created" if created else "unchanged, already stored as"
    console.print(
        f"[green]{verb}[/] [bold]{version.ref}[/]: {version.n_rows:,} rows × {version.n_cols} columns"
    )
    _print_warnings(version.profile.warnings)


@data_app.command("split")
def split(
    ref: str = typer.Argument(..., help="NAME or NAME@VERSION"),
    method: str = typer.Option("stratified", "--method", help="random, stratified, group or time"),
    test_size: float = typer.Option(0.2, "--test-size"),
    seed: int = typer.Option(0, "--seed"),
    column: str | None = typer.Option(
        None, "--column", help="label (stratified), group or time column"
    ),
) -> None:
    """Split into NAME-train and NAME-test datasets, reproducibly from the seed."""
    train, test = _catalog().split(
        ref, method=method, test_size=test_size, seed=seed, column=column
    )
    console.print(
        f"[green]train[/] {train.ref}: {train.n_rows:,} rows   [green]test[/] {test.ref}: {test.n_rows:,} rows"
    )


def _summary(stats: dict[str, object]) -> str:
    """One short cell: range and median for numbers, the top values for categories."""
    if "median" in stats:
        return (
            f"{stats['min']:.4g} … {stats['max']:.4g}, median {stats['median']:.4g}, "
            f"{stats['n_outliers']} outliers"
        )
    top = stats.get("top")
    if isinstance(top, list) and top:
        return ", ".join(f"{str(k)[:14]} {v}" for k, v in top[:2])
    if "min" in stats:
        return f"{stats['min']} … {stats['max']}"
    return ""


def _print_warnings(warnings: list[dict[str, str]]) -> None:
    for warning in warnings:
        console.print(f"[yellow]warning:[/] {warning['message']}", highlight=False)
