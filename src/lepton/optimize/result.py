"""What an optimization run produced: the variants, their measurements and the choice.

Kept apart from the builders and the store so that every kind's optimizer, the
publisher and the report share one shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lepton.optimize.measure import Measurement


@dataclass
class Variant:
    name: str
    description: str
    folder: Path
    kind: str  # "native" or "onnx"
    max_abs_diff: float | None = None
    measurement: Measurement | None = None
    eligible: bool = False
    pareto: bool = False
    note: str = ""
    model: Any = None  # a changed native pipeline (e.g. pruned) shipped with the graph

    @classmethod
    def onnx(cls, name: str, description: str, workdir: Path, diff: float | None = None) -> Variant:
        """An ONNX variant packaged in ``workdir / name``."""
        return cls(name, description, workdir / name, "onnx", diff)

    def row(self, native: Measurement | None) -> dict[str, Any]:
        m = self.measurement
        out: dict[str, Any] = {
            "variant": self.name,
            "description": self.description,
            "max_abs_diff": self.max_abs_diff,
            "eligible": self.eligible,
            "pareto": self.pareto,
            "note": self.note,
        }
        if m is not None:
            out.update(m.to_dict())
            if native is not None:
                out["latency_speedup"] = native.p50_ms / m.p50_ms if m.p50_ms else None
                out["throughput_ratio"] = m.throughput_rows_s / native.throughput_rows_s
                out["size_ratio"] = native.size_bytes / m.size_bytes if m.size_bytes else None
        return out


@dataclass
class OptimizeResult:
    variants: list[Variant]
    chosen: str
    objective: str
    max_metric_drop: float
    metric: str
    heldout: str
    notes: list[str] = field(default_factory=list)

    @property
    def native(self) -> Variant:
        return self.variants[0]

    def table(self) -> list[dict[str, Any]]:
        base = self.native.measurement
        return [{**v.row(base), "chosen": v.name == self.chosen} for v in self.variants]
