"""Association rules as plain data, and how a basket fires them (no mining toolchain).

Why here, in the runtime: the trained model, the server's codec and the monitor all
answer "given this basket, what comes next, and which rules said so" the same way, and
the server must not import mlxtend or the training code to do it. A rule is a JSON
object, so a package's rules are readable and diffable (``native/rules.json``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lepton.runtime.no_graph import NoOnnxGraph

RULE_FIELDS = ("antecedent", "consequent", "support", "confidence", "lift", "conviction")


@dataclass(frozen=True)
class Rule:
    """``antecedent → consequent`` with the measures it was kept for."""

    antecedent: tuple[str, ...]
    consequent: tuple[str, ...]
    support: float
    confidence: float
    lift: float
    conviction: float | None  # None: infinite (confidence 1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "antecedent": list(self.antecedent),
            "consequent": list(self.consequent),
            "support": self.support,  # unrounded: a reloaded package answers identically
            "confidence": self.confidence,
            "lift": self.lift,
            "conviction": self.conviction,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rule:
        conviction = data.get("conviction")
        return cls(
            tuple(str(i) for i in data["antecedent"]),
            tuple(str(i) for i in data["consequent"]),
            float(data["support"]),
            float(data["confidence"]),
            float(data["lift"]),
            None if conviction is None else float(conviction),
        )

    def describe(self) -> str:
        return f"{{{', '.join(self.antecedent)}}} → {{{', '.join(self.consequent)}}}"


@dataclass(frozen=True)
class Suggestion:
    item: str
    score: float  # the best firing rule's confidence
    lift: float
    rule: int  # index of that rule in the rule set


class RuleSet:
    """Rules indexed by antecedent item, so a basket only looks at rules it can fire."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = list(rules)
        self._by_item: dict[str, list[int]] = defaultdict(list)
        self._sets = [frozenset(r.antecedent) for r in self.rules]
        self._then = [frozenset(r.consequent) for r in self.rules]
        for index, rule in enumerate(self.rules):
            self._by_item[rule.antecedent[0]].append(index)
        items: dict[str, None] = {}
        for rule in self.rules:
            for item in rule.consequent:
                items.setdefault(item, None)
        self.items = sorted(items)  # what the rules can suggest: the output labels
        self._column = {item: i for i, item in enumerate(self.items)}

    def __len__(self) -> int:
        return len(self.rules)

    def fired(self, basket: Iterable[str]) -> list[int]:
        """Indices of the rules whose antecedent is in the basket and consequent is not."""
        have = frozenset(str(i) for i in basket)
        out = []
        for item in have:
            for index in self._by_item.get(item, ()):
                if self._sets[index] <= have and not self._then[index] <= have:
                    out.append(index)
        return sorted(out)

    def suggest(self, basket: Iterable[str], k: int | None = None) -> list[Suggestion]:
        """New items ranked by the best rule that suggests each (confidence, then lift)."""
        have = frozenset(str(i) for i in basket)
        best: dict[str, Suggestion] = {}
        for index in self.fired(have):
            rule = self.rules[index]
            for item in rule.consequent:
                if item in have:
                    continue
                current = best.get(item)
                if current is None or (rule.confidence, rule.lift) > (current.score, current.lift):
                    best[item] = Suggestion(item, rule.confidence, rule.lift, index)
        ranked = sorted(best.values(), key=lambda s: (-s.score, -s.lift, s.item))
        return ranked if k is None else ranked[:k]

    def scores(self, baskets: Sequence[Iterable[str]]) -> NDArray[np.float64]:
        """``(baskets, items)``: each suggestable item's best confidence, 0 where none fires."""
        out = np.zeros((len(baskets), len(self.items)))
        for row, basket in enumerate(baskets):
            for suggestion in self.suggest(basket):
                out[row, self._column[suggestion.item]] = suggestion.score
        return out

    def to_json(self) -> list[dict[str, Any]]:
        return [r.to_dict() for r in self.rules]

    @classmethod
    def from_json(cls, data: Iterable[dict[str, Any]]) -> RuleSet:
        return cls([Rule.from_dict(d) for d in data])


def basket_of(value: Any, field: str = "items") -> list[str]:
    """A basket as a list of distinct item strings (order kept), or a ValueError naming why."""
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ValueError(f"{field!r} must be a list of items")
    seen: dict[str, None] = {}
    for item in value:
        if item is None or isinstance(item, dict | list):
            raise ValueError(f"{field!r} holds {item!r}; items are strings or numbers")
        seen.setdefault(str(item), None)
    return list(seen)


class NoOnnxRules(NoOnnxGraph):
    """The ``onnx_predictor`` of the rules kind: there is no graph to run, and why."""

    REASON = (
        "association rules are a lookup of itemsets (set containment over a rule table), "
        "not a numeric graph: ONNX does not apply; the native predictor serves them"
    )
