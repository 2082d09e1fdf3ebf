"""Texts in, the named entities of each out: ``{"texts": ["…", …]}`` or ``{"records": [{"text": "…"}]}``.

Answer, per text in ``predictions``: ``{"entities": [{"start", "end", "label", "text",
"score"}, …]}``, offsets in characters of the text as sent. The log keeps each text, its
answer (as JSON) and its label mix, and logs the number of entities as the output, so
entity-rate, label-mix and out-of-vocabulary drift can be computed from it.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from numpy.typing import NDArray
from starlette.requests import Request

from lepton.runtime.manifest import PackageManifest
from lepton.serve.codecs.base import Codec, Records
from lepton.serve.codecs.body import MAX_BODY_BYTES, read_json_object
from lepton.serve.codecs.openapi import json_object
from lepton.serve.echo import echo
from lepton.serve.validation import RequestError

MAX_TEXT_CHARS = 20_000  # as lepton.learn.ner.model (not imported: no spaCy in the codec)
MAX_TEXTS = 1000


class NerCodec(Codec):
    """Texts, answered with their entity spans."""

    @classmethod
    def for_manifest(
        cls, manifest: PackageManifest, *, reject_unknown_categories: bool
    ) -> NerCodec:
        extra = manifest.extra.get("ner", {})
        return cls(str(extra.get("text_column", "text")))

    def __init__(self, text_column: str, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.text_column = text_column
        self.max_body_bytes = max_body_bytes

    def chain_column(self) -> str | None:
        return self.text_column

    async def read(self, request: Request) -> list[Any]:
        body = await read_json_object(request, self.max_body_bytes, '{"texts": ["...", ...]}')
        if "texts" in body and "records" in body:
            raise RequestError(
                "the body has both 'texts' and 'records': send the texts one way", field="texts"
            )
        if "texts" in body:
            texts = body["texts"]
            if not isinstance(texts, list):
                raise RequestError("texts must be a list of strings", field="texts")
            rows: list[Any] = [{self.text_column: t} for t in texts]
        elif "records" in body:
            rows = body["records"]
            if not isinstance(rows, list):
                raise RequestError(
                    f'records must be a list of {{"{self.text_column}": "..."}}', field="records"
                )
        else:
            raise RequestError('body needs "texts": ["...", ...] (or "records")', field="texts")
        if not rows:
            raise RequestError("no texts in the request", field="texts")
        if len(rows) > MAX_TEXTS:
            raise RequestError(
                f"{len(rows)} texts in one request; send at most {MAX_TEXTS}", field="texts"
            )
        return rows

    def validate(self, rows: list[Any]) -> Records:
        column, out = self.text_column, []
        for n, row in enumerate(rows):
            value = row.get(column) if isinstance(row, dict) else None
            if not isinstance(value, str):
                raise RequestError(
                    f"text {n} must be a string (got {echo(value)})", field=column, row=n
                )
            if not value.strip():
                raise RequestError(f"text {n} is empty", field=column, row=n)
            if len(value) > MAX_TEXT_CHARS:
                raise RequestError(
                    f"text {n} has {len(value):,} characters; at most {MAX_TEXT_CHARS:,} "
                    "(split it)",
                    field=column,
                    row=n,
                )
            out.append({column: value})
        return out

    def logged(self, records: Records, outputs: NDArray[Any]) -> tuple[Records, NDArray[Any]]:
        rows, counts = [], []
        for record, found in zip(records, outputs, strict=True):
            spans = list(found)
            rows.append(
                {
                    "text": record[self.text_column],
                    "entities": json.dumps(
                        [[e["start"], e["end"], e["label"]] for e in spans], ensure_ascii=False
                    ),
                    "labels": "|".join(e["label"] for e in spans),
                }
            )
            counts.append(len(spans))
        return rows, np.asarray(counts, dtype=float)

    def encode(self, outputs: NDArray[Any], labels: list[Any] | None) -> dict[str, Any]:
        return {"predictions": [{"entities": list(found)} for found in outputs]}

    @classmethod
    def openapi_request_body(cls) -> dict[str, Any]:
        return {
            "content": {
                "application/json": json_object(
                    texts={
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "entity recognizers: the texts to find entities in",
                    }
                )
            }
        }


__all__ = ["NerCodec"]
