"""The trained rules a rules package holds, and what serving and ``lepton predict`` ask.

Its state is plain JSON (settings, rules, item shares, basket sizes): the pickle the
shared package writer makes of it holds nothing but that dict, and the same rules are
in the manifest (``extra.rules``) where the server's codec and the monitor read them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.errors import DataError, LeptonError
from lepton.learn.rules.settings import RulesSettings
from lepton.runtime.manifest import ColumnSpec, MemberSpec
from lepton.runtime.rules import RuleSet, basket_of

ITEMS = "items"  # the request field of a basket
TARGET = "next_items"  # what the model predicts (the manifest's target name)


class _ItemLabels:
    """The ``LabelCodec`` over the suggestable items (feedback names an item)."""

    def __init__(self, items: list[str]) -> None:
        self.items = items
        self._code = {item: i for i, item in enumerate(items)}

    def encode(self, y: pd.Series) -> NDArray[Any]:
        return np.asarray([self._code.get(str(v), -1) for v in y], dtype=np.int64)

    def decode(self, codes: NDArray[np.int64]) -> NDArray[Any]:
        return np.asarray(self.items, dtype=object)[codes]


class RulesModel:
    """Association rules as a next-item recommender over baskets."""

    kind = "rules"
    task = "rules"
    temperature = 1.0
    target_name = TARGET

    def __init__(
        self,
        settings: RulesSettings,
        rules: RuleSet,
        profile: dict[str, Any],
        details: dict[str, Any],
    ) -> None:
        self.settings = settings
        self.rules = rules
        self.profile = profile  # item shares and basket sizes of the training baskets
        self.details = details

    def __getstate__(self) -> dict[str, Any]:
        return {
            "settings": self.settings.to_dict(),
            "rules": self.rules.to_json(),
            "profile": self.profile,
            "details": self.details,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.settings = RulesSettings(**state["settings"])
        self.rules = RuleSet.from_json(state["rules"])
        self.profile = state["profile"]
        self.details = state["details"]

    # -- recommending ---------------------------------------------------------------------
    def recommend(self, basket: list[str], k: int | None = None) -> list[dict[str, Any]]:
        """The next likely items for one basket, each with the rule that suggests it."""
        out = []
        for s in self.rules.suggest(basket, k or self.settings.top_k):
            rule = self.rules.rules[s.rule]
            out.append({"item": s.item, "score": s.score, "lift": s.lift, "rule": rule.to_dict()})
        return out

    def baskets_of(self, frame: pd.DataFrame) -> tuple[pd.Series, dict[str, list[str]]]:
        """Each row's transaction id, and each transaction's basket, from a long table."""
        t, i = self.settings.transaction_column, self.settings.item_column
        for column in (t, i):
            if column not in frame.columns:
                raise DataError(f"rows need the column {column!r}", field=column)
        ids = frame[t].astype(str)
        baskets: dict[str, list[str]] = {}
        for tid, item in zip(ids, frame[i], strict=True):
            if item is not None and item == item:
                baskets.setdefault(tid, [])
                if str(item) not in baskets[tid]:
                    baskets[tid].append(str(item))
        return ids, baskets

    def summary_table(self, n: int = 15) -> Any:
        """The top rules as a rich table (printed after ``lepton train``)."""
        from rich.table import Table

        table = Table(title=f"Top {min(n, len(self.rules))} of {len(self.rules)} rules")
        for column in ("antecedent", "→ consequent", "support", "confidence", "lift", "conviction"):
            table.add_column(
                column, justify="left" if "cedent" in column or "→" in column else "right"
            )
        for rule in self.rules.rules[:n]:
            table.add_row(
                ", ".join(rule.antecedent),
                ", ".join(rule.consequent),
                f"{rule.support:.4f}",
                f"{rule.confidence:.3f}",
                f"{rule.lift:.2f}",
                "inf" if rule.conviction is None else f"{rule.conviction:.2f}",
            )
        return table

    # -- the package contract (lepton.runtime.package.NativeModel) ---------------------------
    @property
    def target(self) -> _ItemLabels:
        return _ItemLabels(self.rules.items)

    @property
    def labels(self) -> list[Any]:
        return list(self.rules.items)

    @property
    def input_columns(self) -> list[str]:
        return [ITEMS]

    @property
    def dropped_columns(self) -> dict[str, str]:
        return {}

    def predict_records(self, records: list[dict[str, Any]]) -> NDArray[np.float64]:
        """``(baskets, items)`` scores for ``[{"items": [...]}, …]`` (0: no rule suggests it)."""
        baskets = []
        for n, record in enumerate(records):
            try:
                baskets.append(basket_of(record.get(ITEMS)))
            except ValueError as exc:
                raise DataError(f"record {n}: {exc}", field=ITEMS) from exc
        return self.rules.scores(baskets)

    def predict_raw(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        """Per row of a long ``(transaction, item)`` table: scores for its transaction."""
        if ITEMS in frame.columns and self.settings.item_column not in frame.columns:
            return self.predict_records([{ITEMS: v} for v in frame[ITEMS]])
        ids, baskets = self.baskets_of(frame)
        order = list(baskets)
        scores = self.rules.scores([baskets[t] for t in order])
        where = {t: r for r, t in enumerate(order)}
        rows = [where.get(t) for t in ids]
        out = np.zeros((len(frame), len(self.rules.items)))
        for r, row in enumerate(rows):
            if row is not None:
                out[r] = scores[row]
        return out

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        """Per row: its transaction's top-k suggestions, best first, joined by ", "."""
        scores = self.predict_raw(frame)
        items = np.asarray(self.rules.items, dtype=object)
        k = self.settings.top_k
        out = []
        for row in scores:
            best = [i for i in np.argsort(-row, kind="stable")[:k] if row[i] > 0]
            out.append(", ".join(items[best]))
        return pd.Series(out, index=frame.index, name=TARGET)

    def predict_proba(self, frame: pd.DataFrame) -> pd.DataFrame:
        if not self.rules.items:
            raise LeptonError("this model holds no rules")
        return pd.DataFrame(self.predict_raw(frame), columns=self.rules.items, index=frame.index)

    def input_schema(self, frame: pd.DataFrame | None = None) -> tuple[ColumnSpec, ...]:
        return (ColumnSpec(ITEMS, "categorical", nullable=False),)

    def ensemble_specs(self) -> tuple[MemberSpec, ...]:
        return (
            MemberSpec(
                "fpgrowth", "fpgrowth", 1.0, {"min_support": self.details["min_support"]}, 1
            ),
        )

    def manifest_extra(self) -> dict[str, Any]:
        return {
            "rules": {
                **self.settings.to_dict(),
                "min_support_used": self.details["min_support"],
                "n_rules": len(self.rules),
                "profile": self.profile,
                "rules": self.rules.to_json(),
            }
        }


def top_rules_summary(automl: Any) -> Any:
    """The rules kind's ``summary`` part: the top rules after ``lepton train``."""
    return automl.model_.summary_table()
