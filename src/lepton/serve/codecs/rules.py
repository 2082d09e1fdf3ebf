"""Baskets in, the next likely items out, with the rules that fired for each basket.

Body: ``{"records": [{"items": ["bread", "milk"]}, …], "k": 5}`` (``k`` optional: the
trained top-k), or ``{"baskets": [["bread", "milk"], …]}``. Answer, per basket, in
``predictions``: ``{"items": [{"item", "score", "lift", "rule"}, …], "rules": [...]}``
where ``score`` is the confidence of the best rule suggesting the item and ``rules``
lists every rule that fired (antecedent in the basket, consequent not yet).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from starlette.requests import Request

from lepton.runtime.manifest import PackageManifest
from lepton.runtime.rules import RuleSet, basket_of
from lepton.serve.codecs.base import Codec, Records
from lepton.serve.codecs.body import MAX_BODY_BYTES, read_json_object
from lepton.serve.codecs.openapi import json_object
from lepton.serve.echo import clip, echo
from lepton.serve.validation import RequestError

ITEMS = "items"
MAX_FIRED = 20  # rules listed per basket in the answer (the best by confidence)


class RulesCodec(Codec):
    """Baskets of items, answered with ranked suggestions and the rules behind them."""

    @classmethod
    def for_manifest(
        cls, manifest: PackageManifest, *, reject_unknown_categories: bool
    ) -> RulesCodec:
        extra = manifest.extra.get("rules", {})
        return cls(RuleSet.from_json(extra.get("rules", [])), int(extra.get("top_k", 5)))

    def __init__(self, rules: RuleSet, top_k: int, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.rules = rules
        self.top_k = top_k
        self.max_body_bytes = max_body_bytes

    async def read(self, request: Request) -> list[Any]:
        wanted = '{"records": [{"items": [...]}, ...]}'
        body = await read_json_object(request, self.max_body_bytes, wanted)
        k = body.get("k", self.top_k)
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise RequestError(f"k must be a positive integer (got {echo(k)})", field="k")
        if "baskets" in body and "records" in body:
            raise RequestError(
                "the body has both 'baskets' and 'records': send the baskets one way",
                field="baskets",
            )
        if "baskets" in body:
            baskets = body["baskets"]
            if not isinstance(baskets, list):
                raise RequestError("baskets must be a list of item lists", field="baskets")
            rows = [{ITEMS: b} for b in baskets]
        elif "records" in body:
            rows = body["records"]
            if not isinstance(rows, list):
                raise RequestError("records must be a list of {items: [...]}", field="records")
        else:
            raise RequestError(
                'body needs "records": [{"items": [...]}, ...] (or "baskets")', field="records"
            )
        if not rows:
            raise RequestError("no baskets in the request", field="records")
        return [{**row, "__k": k} if isinstance(row, dict) else row for row in rows]

    def validate(self, rows: list[Any]) -> Records:
        out = []
        for n, row in enumerate(rows):
            if not isinstance(row, dict) or ITEMS not in row:
                raise RequestError(f'record {n} needs "items": a list of items', field=ITEMS, row=n)
            try:
                basket = basket_of(row[ITEMS])
            except ValueError as exc:
                raise RequestError(f"record {n}: {clip(str(exc))}", field=ITEMS, row=n) from exc
            if not basket:
                raise RequestError(
                    f"record {n}: the basket is empty; send at least one item", field=ITEMS, row=n
                )
            out.append({ITEMS: basket, "__k": int(row.get("__k", self.top_k))})
        return out

    def loggable(self, records: Records) -> Records:
        """Per basket: its items (joined by "|") and its size, for item-share drift."""
        return [{ITEMS: "|".join(r[ITEMS]), "basket_size": len(r[ITEMS])} for r in records]

    def answer(
        self, outputs: NDArray[Any], labels: list[Any] | None, records: Records
    ) -> dict[str, Any]:
        scores = np.asarray(outputs, dtype=float)
        items = list(labels or [])
        predictions = []
        for row, record in zip(scores, records, strict=True):
            suggested = {s.item: s for s in self.rules.suggest(record[ITEMS])}
            order = [i for i in np.argsort(-row, kind="stable") if row[i] > 0][: record["__k"]]
            ranked = []
            for i in order:
                best = suggested.get(str(items[i]))
                ranked.append(
                    {
                        "item": items[i],
                        "score": round(float(row[i]), 6),
                        "lift": None if best is None else round(best.lift, 6),
                        "rule": None if best is None else self.rules.rules[best.rule].to_dict(),
                    }
                )
            fired = self.rules.fired(record[ITEMS])
            fired.sort(key=lambda r: (-self.rules.rules[r].confidence, -self.rules.rules[r].lift))
            predictions.append(
                {
                    "items": ranked,
                    "rules": [self.rules.rules[r].to_dict() for r in fired[:MAX_FIRED]],
                    "n_rules_fired": len(fired),
                }
            )
        return {"predictions": predictions}

    @classmethod
    def openapi_request_body(cls) -> dict[str, Any]:
        basket = {"type": "array", "items": {"type": "string"}}
        return {
            "content": {
                "application/json": json_object(
                    baskets={
                        "type": "array",
                        "items": basket,
                        "description": "rules models: baskets of items (or records: [{items}])",
                    },
                    k={"type": "integer", "description": "rules models: suggestions per basket"},
                )
            }
        }


__all__ = ["RulesCodec"]
