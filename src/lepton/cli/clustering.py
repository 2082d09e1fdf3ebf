"""The clustering kind's terminal summary after ``lepton train``: one row per cluster."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from lepton.learn.clustering.profile import top_contrasts


def profile_table(automl: Any) -> Table:
    """Size, share and the strongest contrasts of each cluster (effect sizes in the cells)."""
    details = automl.model_.manifest_extra()["clustering"]
    table = Table(
        title=f"Clusters ({details['family']}, k={details['k']}, "
        f"silhouette {details['silhouette']:.3f})"
    )
    for column in ("cluster", "size", "share", "sets it apart (effect size)"):
        table.add_column(column, justify="left" if column.startswith("sets") else "right")
    for row in details["profile"]:
        name = "noise" if row["noise"] else str(row["cluster"])
        table.add_row(name, str(row["size"]), f"{100 * row['share']:.1f}%", top_contrasts(row))
    return table
