"""The variant table (rich), shared by the CLI, the benchmark and the main job."""

from __future__ import annotations

from typing import Any

from rich.table import Table


def variant_table(
    rows: list[dict[str, Any]], *, title: str = "variants", metric: str = "metric"
) -> Table:
    table = Table(title=title)
    for column in (
        "variant",
        "p50 ms",
        "p99 ms",
        "rows/s @256",
        "size",
        "+MiB",
        metric,
        "Δ metric",
        "max |Δp|",
        "speed-up",
        "",
    ):
        table.add_column(column, justify="left" if column in ("variant", "") else "right")
    for row in rows:
        if "p50_ms" not in row:
            continue
        marks = [
            m for m, on in (("chosen", row.get("chosen")), ("pareto", row.get("pareto"))) if on
        ]
        if row.get("note"):
            marks.append(str(row["note"]))
        diff = row.get("max_abs_diff")
        memory = row.get("peak_memory_mib")
        table.add_row(
            ("[bold green]" if row.get("chosen") else "") + str(row["variant"]),
            f"{row['p50_ms']:.3f}",
            f"{row['p99_ms']:.3f}",
            f"{row['throughput_rows_s']:,.0f}",
            _size(int(row["size_bytes"])),
            "-" if memory is None else f"{memory:.0f}",
            f"{row['metric']:.4f}",
            f"{-row['metric_drop']:+.4f}",
            "-" if diff is None else f"{diff:.1e}",
            f"{row.get('latency_speedup') or 1.0:.1f}×",
            ", ".join(marks),
        )
    return table


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)
