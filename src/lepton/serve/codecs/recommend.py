"""Recommendations: ``{"records": [{"user": "u1", "k": 10}, {"item": "i3", "k": 5}]}``.

A record names a user (their top-k unseen items; an unknown user gets the most popular
items, marked ``"fallback": "popularity"``) or an item (its k most similar items). A
single ``{"user": …}`` / ``{"item": …}`` object is one record. Answers go out on
``/recommend``; the log keeps one row per record: who asked, what was served.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from lepton.runtime.manifest import PackageManifest
from lepton.serve.codecs.base import Codec, Records
from lepton.serve.codecs.body import (
    JSON,
    MAX_BODY_BYTES,
    parse_json,
    read_body,
    refuse_declared_oversize,
    require_media_type,
)
from lepton.serve.codecs.openapi import json_object
from lepton.serve.echo import clip, echo
from lepton.serve.validation import PayloadTooLarge, RequestError

MAX_RECORDS = 1000
MAX_K = 1000
FIELDS = ("user", "item", "k")


class RecommendCodec(Codec):
    """Recommendation requests, checked against one version's settings (its default k)."""

    endpoint = "recommend"

    @classmethod
    def for_manifest(
        cls, manifest: PackageManifest, *, reject_unknown_categories: bool
    ) -> RecommendCodec:
        settings = dict(manifest.extra.get("recommend") or {})
        if not settings.get("user_column"):
            raise RequestError("package records no recommend settings", field="model")
        return cls(k=int(settings.get("k") or 10))

    def __init__(self, *, k: int = 10, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.k = k
        self.max_body_bytes = max_body_bytes

    async def read(self, request: Request) -> list[Any]:
        refuse_declared_oversize(request, self.max_body_bytes)
        require_media_type(request, JSON, 'JSON {"records": [{"user": …}]}')
        body = parse_json(await read_body(request, self.max_body_bytes))
        if isinstance(body, dict) and "records" in body:
            others = [k for k in body if k != "records"]
            if others:
                raise RequestError(
                    f"the body has 'records' and {echo(others[0])}: put every field in a record",
                    field=clip(str(others[0])),
                )
            rows = body["records"]
            if not isinstance(rows, list) or not rows:
                raise RequestError('"records" must be a non-empty list', field="records")
            return list(rows)
        if isinstance(body, dict):
            return [body]
        raise RequestError('send {"records": [{"user": "u1", "k": 10}]}', field="body")

    def validate(self, rows: list[Any]) -> Records:
        if len(rows) > MAX_RECORDS:
            raise PayloadTooLarge(
                f"{len(rows)} records in one request; the limit is {MAX_RECORDS}", field="records"
            )
        out = []
        for i, row in enumerate(rows):
            where = f"records[{i}]"
            if not isinstance(row, dict):
                raise RequestError("each record is an object", field=where, row=i)
            unknown = [k for k in row if k not in FIELDS]
            if unknown:
                raise RequestError(
                    f"unknown field(s) {echo(unknown)}; a record has user or item, and k",
                    field=clip(f"{where}.{unknown[0]}"),
                    row=i,
                )
            user, item = row.get("user"), row.get("item")
            if (user is None) == (item is None):
                raise RequestError(
                    'a record names exactly one of "user" or "item"', field=f"{where}.user", row=i
                )
            for name, value in (("user", user), ("item", item)):
                if value is not None and (
                    isinstance(value, bool) or not isinstance(value, str | int)
                ):
                    raise RequestError(
                        f"{name} is an id (string or integer), got {echo(value)}",
                        field=f"{where}.{name}",
                        row=i,
                    )
            k = row.get("k", self.k)
            if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
                raise RequestError(
                    f"k must be a whole number in 1..{MAX_K}, got {echo(k)}",
                    field=f"{where}.k",
                    row=i,
                )
            out.append(
                {
                    "user": None if user is None else str(user),
                    "item": None if item is None else str(item),
                    "k": k,
                }
            )
        return out

    def encode(self, outputs: Any, labels: list[Any] | None) -> dict[str, Any]:
        """Answer objects as they are (the model's ``predict_records`` output)."""
        return {"predictions": list(outputs)}

    def log_rows(self, records: Records, answers: Records) -> Records:
        """One logged row per record: the user or item asked about and what was served."""
        return [
            {
                "user": record["user"],
                "item": record["item"],
                "served": " ".join(i["item"] for i in answer["items"]),
                "fallback": answer.get("fallback") or "",
            }
            for record, answer in zip(records, answers, strict=True)
        ]

    @classmethod
    def openapi_request_body(cls) -> dict[str, Any]:
        record = {
            "type": "object",
            "properties": {
                "user": {"type": "string", "description": "top-k unseen items for this user"},
                "item": {"type": "string", "description": "the k items most like this one"},
                "k": {"type": "integer", "description": "how many items (default: trained k)"},
            },
        }
        return {
            "content": {
                "application/json": json_object(
                    records={"type": "array", "items": record, "description": "one per answer"}
                )
            }
        }
