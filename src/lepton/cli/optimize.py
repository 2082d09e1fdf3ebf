"""``lepton optimize MODEL[@VERSION|@alias]``: build, measure and choose serving variants."""

from __future__ import annotations

import typer

from lepton.cli.console import console, err_console


def optimize_command(
    model: str = typer.Argument(..., help="MODEL, MODEL@VERSION or MODEL@alias"),
    max_metric_drop: float = typer.Option(
        0.005, "--max-metric-drop", help="largest allowed worsening of the task metric"
    ),
    objective: str = typer.Option(
        "latency", "--objective", help="what to minimise: latency, throughput or size"
    ),
    test: str | None = typer.Option(
        None, "--test", help="held-out dataset to measure on (default: the run's test set)"
    ),
    tolerance: float = typer.Option(
        1e-5, "--tolerance", help="largest |ONNX - native| accepted for the fp32 export"
    ),
) -> None:
    """Export to ONNX, quantize and prune, measure every variant, mark the best to serve."""
    from lepton.optimize import optimize
    from lepton.optimize.report import variant_table
    from lepton.store.project import Project

    with err_console.status("optimizing…") as status:
        outcome = optimize(
            Project.open(),
            model,
            max_metric_drop=max_metric_drop,
            objective=objective,
            test_ref=test,
            tolerance=tolerance,
            on_progress=lambda message: status.update(message),
        )
    result, parent = outcome.result, outcome.parent
    title = f"{parent.name}@{parent.version}: variants measured on {result.heldout}"
    console.print(variant_table(result.table(), title=title, metric=result.metric))
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False, soft_wrap=True)
    chosen = parent.metadata["optimization"]["chosen"]
    where = (
        "the native pipeline"
        if chosen["variant"] == "native"
        else f"{chosen['model']}@{chosen['version']}"
    )
    console.print(
        f"serving {parent.name}@{parent.version} with [bold]{result.chosen}[/] ({where}); "
        f"objective {result.objective}, metric budget {result.max_metric_drop:g} ({result.metric})",
        highlight=False,
    )
