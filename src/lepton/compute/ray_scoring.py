"""Batch scoring on a Ray cluster with Ray Data: streamed, in input order, memory bounded.

The unit of work is one Parquet row group. Ray Data hands row-group numbers to an actor
pool of replicas; each replica opens the project from the same settings, loads the model
once from the artifact store, reads its row group straight from the file (a path every
node sees, or an ``s3://`` URL) and returns the scored rows tagged with the group's
number. This process writes the groups to the output in file order as they arrive,
holding back only groups that arrive early, so no process holds the whole table.

Why not ``ray.data.read_parquet``: measured on a 10M-row file of 40 row groups, its
blocks came back rotated (the output began at input row 2,750,000) even with
``preserve_order`` set; numbering the groups makes the order ours to keep.
"""

from __future__ import annotations

import importlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from lepton.compute.ray_executor import connect
from lepton.config import Settings
from lepton.errors import DataError

GROUP_COLUMN = "__lepton_row_group"
WRITABLE = (".parquet", ".csv")


@dataclass(frozen=True)
class ScoringReport:
    rows: int
    row_groups: int
    replicas: int
    seconds: float
    most_held_back: int  # row groups that arrived early and waited for their turn


class _Replica:
    """One Ray Data actor: the model loaded once, then one call per row group."""

    settings: Settings
    ref: str
    source: str

    def __init__(self) -> None:
        from lepton.runtime.loader import load_predictor
        from lepton.store.project import Project

        self.predictor, _ = load_predictor(Project.open(self.settings, migrate=False), self.ref)

    def __call__(self, batch: dict[str, Any]) -> Any:
        """Row-group numbers in, their scored rows out (pandas with NumPy dtypes in between,
        as ``lepton predict`` reads a file on one machine, so both write the same file)."""
        import fsspec
        import pyarrow as pa
        import pyarrow.parquet as pq

        from lepton.runtime.scoring import prediction_columns

        tables = []
        with fsspec.open(self.source, "rb") as handle:
            parquet = pq.ParquetFile(handle)
            for group in batch["group"]:
                frame = parquet.read_row_group(int(group)).to_pandas()
                scored = prediction_columns(self.predictor, frame)
                out = pd.concat([frame.reset_index(drop=True), scored], axis=1)
                out[GROUP_COLUMN] = int(group)
                tables.append(pa.Table.from_pandas(out, preserve_index=False))
        return pa.concat_tables(tables)


def _replica_for(settings: Settings, ref: str, source: str) -> type[_Replica]:
    """A replica class that carries what it loads inside its definition: Ray ships it with
    the class, so an actor restarted after a lost node needs nothing else to come back."""
    return type("Replica", (_Replica,), {"settings": settings, "ref": ref, "source": source})


class _Sink:
    """Writes row groups in file order to a temporary file beside ``output``; renamed into
    place when every group is written, deleted if anything fails."""

    def __init__(self, output: Path) -> None:
        self.output = output
        self.tmp = output.with_name(f".{output.name}.tmp")
        self.parquet: Any = None
        self.rows = 0
        self.next_group = 0
        self.early: dict[int, Any] = {}
        self.most_held_back = 0

    def arrive(self, table: Any) -> None:
        """Take a scored block (one or more row groups); write whatever is now in order."""
        import pyarrow.compute as pc

        groups = table.column(GROUP_COLUMN)
        for group in pc.unique(groups).to_pylist():
            part = table.filter(pc.equal(groups, group)).drop_columns([GROUP_COLUMN])
            self.early[int(group)] = part
        while self.next_group in self.early:
            self._write(self.early.pop(self.next_group))
            self.next_group += 1
        self.most_held_back = max(self.most_held_back, len(self.early))

    def _write(self, table: Any) -> None:
        if self.output.suffix.lower() == ".csv":
            first = self.rows == 0
            table.to_pandas().to_csv(
                self.tmp, mode="w" if first else "a", header=first, index=False
            )
        else:
            import pyarrow.parquet as pq

            if self.parquet is None:
                self.parquet = pq.ParquetWriter(self.tmp, table.schema)
            self.parquet.write_table(table)
        self.rows += table.num_rows

    def commit(self, groups: int) -> None:
        if self.next_group != groups or self.early:
            raise RuntimeError(f"wrote {self.next_group} of {groups} row groups; output discarded")
        if self.parquet is not None:
            self.parquet.close()
        self.tmp.replace(self.output)

    def abort(self) -> None:
        if self.parquet is not None:
            self.parquet.close()
        self.tmp.unlink(missing_ok=True)


def score_on_cluster(settings: Settings, ref: str, source: str, output: Path) -> ScoringReport:
    """Score the Parquet file ``source`` (a path every node sees, or a URL) with model
    ``ref`` on the cluster into ``output`` (.parquet or .csv)."""
    import fsspec
    import pyarrow.parquet as pq

    if not settings.ray_address:
        raise DataError("--cluster scores on Ray: set LEPTON_RAY_ADDRESS to the cluster's address")
    if output.suffix.lower() not in WRITABLE:
        raise DataError("--cluster writes a .parquet or .csv file")
    try:
        with fsspec.open(source, "rb") as handle:
            groups = pq.ParquetFile(handle).metadata.num_row_groups
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise DataError(f"--cluster reads Parquet files; cannot read {source}: {exc}") from None
    ray: Any = connect(settings.ray_address)
    data_api: Any = importlib.import_module("ray.data")
    context = data_api.DataContext.get_current()
    context.execution_options.preserve_order = True  # fewer groups wait in the sink
    context.enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # stdout stays the report
    replicas = max(1, min(groups, int(ray.cluster_resources().get("CPU", 1))))
    started = time.perf_counter()
    scored = data_api.from_items(
        [{"group": g} for g in range(groups)], override_num_blocks=max(1, groups)
    ).map_batches(
        _replica_for(settings, ref, source),
        batch_format="numpy",
        batch_size=1,
        compute=data_api.ActorPoolStrategy(min_size=1, max_size=replicas),
        num_cpus=1,
    )
    sink = _Sink(output)
    try:
        for block in scored.iter_batches(batch_format="pyarrow", batch_size=None):
            sink.arrive(block)
        sink.commit(groups)
    except BaseException:
        sink.abort()  # nothing half-written is left where the output goes
        raise
    seconds = time.perf_counter() - started
    return ScoringReport(sink.rows, groups, replicas, seconds, sink.most_held_back)
