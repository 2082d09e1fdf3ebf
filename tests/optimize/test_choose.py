"""The chooser on crafted tables: budget, Pareto front, objectives, native fallback."""

from __future__ import annotations

import pytest

from lepton.errors import LeptonError
from lepton.optimize.choose import OVER_BUDGET, Candidate, choose


def native(p50: float = 10.0, rate: float = 1000.0, size: int = 1000) -> Candidate:
    return Candidate("native", "native", p50, rate, size, 0.0)


def onnx(name: str, p50: float, rate: float, size: int, drop: float = 0.0) -> Candidate:
    return Candidate(name, "onnx", p50, rate, size, drop)


def test_a_faster_variant_over_the_budget_is_not_chosen() -> None:
    table = [native(), onnx("fast", 1.0, 5000, 100, drop=0.02), onnx("ok", 5.0, 2000, 500)]
    choice = choose(table, "latency", 0.01)
    assert choice.chosen == "ok"
    assert not choice.marks["fast"].eligible and choice.marks["fast"].note == OVER_BUDGET
    assert choice.marks["ok"].eligible and choice.marks["ok"].note == ""


def test_a_drop_exactly_at_the_budget_is_eligible() -> None:
    table = [native(), onnx("int8", 2.0, 3000, 300, drop=0.005)]
    choice = choose(table, "latency", 0.005)
    assert choice.marks["int8"].eligible and choice.chosen == "int8"
    float_noise = [native(), onnx("int8", 2.0, 3000, 300, drop=0.1 + 0.2 - 0.3 + 0.005)]
    assert choose(float_noise, "latency", 0.005).chosen == "int8"


def test_native_is_eligible_whatever_its_drop() -> None:
    odd = Candidate("native", "native", 10.0, 1000.0, 1000, 0.5)
    choice = choose([odd, onnx("over", 1.0, 9000, 10, drop=0.6)], "latency", 0.0)
    assert choice.marks["native"].eligible and choice.marks["native"].note == ""
    assert choice.chosen == "native"


def test_a_dominated_variant_is_off_the_front() -> None:
    table = [native(), onnx("good", 2.0, 4000, 200), onnx("worse", 3.0, 3000, 300)]
    marks = choose(table, "latency", 0.01).marks
    assert marks["good"].pareto
    assert not marks["worse"].pareto and not marks["native"].pareto


def test_ties_stay_on_the_front_and_the_first_wins() -> None:
    table = [native(), onnx("a", 2.0, 4000, 200), onnx("b", 2.0, 4000, 200)]
    choice = choose(table, "latency", 0.01)
    assert choice.marks["a"].pareto and choice.marks["b"].pareto
    assert choice.chosen == "a"
    assert choose([native(), table[2], table[1]], "latency", 0.01).chosen == "b"


def test_a_variant_best_on_one_axis_only_stays_on_the_front() -> None:
    table = [
        native(),
        onnx("fast", 1.0, 5000, 900),
        onnx("small", 8.0, 1100, 50),  # worse than "fast" everywhere but size
        onnx("exact", 9.0, 1200, 950, drop=-0.01),  # only its metric is best
    ]
    marks = choose(table, "latency", 0.01).marks
    assert marks["fast"].pareto and marks["small"].pareto and marks["exact"].pareto
    assert not marks["native"].pareto


def test_an_ineligible_variant_still_counts_for_the_front() -> None:
    table = [native(), onnx("over", 1.0, 5000, 100, drop=0.1), onnx("worse", 2.0, 4000, 200, 0.2)]
    marks = choose(table, "latency", 0.01).marks
    assert not marks["over"].eligible and marks["over"].pareto
    assert not marks["worse"].pareto  # dominated by a variant that cannot be chosen


@pytest.mark.parametrize(
    ("objective", "winner"), [("latency", "fast"), ("throughput", "wide"), ("size", "small")]
)
def test_each_objective_picks_its_own_winner(objective: str, winner: str) -> None:
    table = [
        native(),
        onnx("fast", 1.0, 2000, 600),
        onnx("wide", 3.0, 9000, 700),
        onnx("small", 6.0, 1500, 50),
    ]
    assert choose(table, objective, 0.01).chosen == winner


def test_native_is_chosen_when_it_is_the_best() -> None:
    table = [native(p50=1.0, rate=9000, size=10), onnx("fp32", 2.0, 4000, 200)]
    for objective in ("latency", "throughput", "size"):
        assert choose(table, objective, 0.01).chosen == "native"


def test_native_when_nothing_is_measured() -> None:
    choice = choose([], "latency", 0.01)
    assert choice.chosen == "native" and choice.marks == {}


def test_native_when_no_measured_variant_is_eligible() -> None:
    choice = choose([onnx("over", 1.0, 5000, 100, drop=0.5)], "size", 0.01)
    assert choice.chosen == "native" and not choice.marks["over"].eligible


def test_an_unknown_objective_is_refused() -> None:
    with pytest.raises(LeptonError, match="unknown objective 'speed'"):
        choose([native()], "speed", 0.01)
