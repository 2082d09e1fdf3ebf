"""Which measured variant to serve: the accuracy budget, the Pareto front, the objective.

Pure data in, data out — no files, models or graphs — so the rule that decides what
production serves can be read and tested on a crafted table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lepton.errors import LeptonError

OBJECTIVES = ("latency", "throughput", "size")
OVER_BUDGET = "over the accuracy budget"
_SLACK = 1e-12  # a drop equal to the budget up to float noise is within it


@dataclass(frozen=True)
class Candidate:
    """One measured variant, as the chooser sees it."""

    name: str
    kind: str  # "native" or "onnx"
    p50_ms: float
    throughput_rows_s: float
    size_bytes: int
    metric_drop: float  # positive = worse than native


@dataclass(frozen=True)
class Marks:
    eligible: bool
    pareto: bool
    note: str = ""  # OVER_BUDGET when not eligible


@dataclass(frozen=True)
class Choice:
    chosen: str
    marks: dict[str, Marks]  # by candidate name


def check_objective(objective: str) -> None:
    if objective not in OBJECTIVES:
        raise LeptonError(
            f"unknown objective {objective!r}; choose one of: {', '.join(OBJECTIVES)}"
        )


def choose(candidates: Sequence[Candidate], objective: str, max_metric_drop: float) -> Choice:
    """The eligible candidate minimising the objective (the first on a tie), else native.

    Native (the trained model as it is) is always eligible; any other candidate, native
    variants included, only within ``max_metric_drop``.
    The Pareto front (over p50, throughput, size and metric drop) is marked for the
    table; it does not restrict the choice.
    """
    check_objective(objective)
    eligible = [c for c in candidates if _eligible(c, max_metric_drop)]
    marks = {
        c.name: Marks(
            eligible=_eligible(c, max_metric_drop),
            pareto=not any(_dominates(o, c) for o in candidates if o is not c),
            note="" if _eligible(c, max_metric_drop) else OVER_BUDGET,
        )
        for c in candidates
    }
    chosen = min(eligible, key=_KEYS[objective]).name if eligible else "native"
    return Choice(chosen, marks)


def _eligible(candidate: Candidate, budget: float) -> bool:
    return candidate.name == "native" or candidate.metric_drop <= budget + _SLACK


def _costs(c: Candidate) -> tuple[float, float, float, float]:
    """Lower is better on every axis."""
    return (c.p50_ms, -c.throughput_rows_s, float(c.size_bytes), c.metric_drop)


def _dominates(other: Candidate, candidate: Candidate) -> bool:
    theirs, mine = _costs(other), _costs(candidate)
    return all(a <= b for a, b in zip(theirs, mine, strict=True)) and theirs != mine


_KEYS: dict[str, Callable[[Candidate], float]] = {
    "latency": lambda c: c.p50_ms,
    "throughput": lambda c: -c.throughput_rows_s,
    "size": lambda c: float(c.size_bytes),
}
