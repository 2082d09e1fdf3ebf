"""One OpenAPI ``requestBody`` for the predict endpoint, merged from every codec's own.

Why merged: one route serves every deployment, whatever its input kind, so its document
lists every media type any kind accepts; where two kinds share a media type (JSON,
multipart) their object properties are united.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lepton.serve.codecs.base import Codec

BINARY = {"type": "string", "format": "binary"}


def json_object(**properties: dict[str, Any]) -> dict[str, Any]:
    """A media type entry whose body is a JSON object with ``properties``."""
    return {"schema": {"type": "object", "properties": properties}}


def multipart_file() -> dict[str, Any]:
    """A multipart form carrying uploaded ``file`` part(s)."""
    return json_object(file=dict(BINARY))


def merged_request_body(codecs: Iterable[type[Codec]]) -> dict[str, Any]:
    """``{"content": …}`` accepting what any of ``codecs`` accepts."""
    content: dict[str, Any] = {}
    for codec in codecs:
        for kind, media in codec.openapi_request_body()["content"].items():
            known = content.get(kind)
            content[kind] = (
                media if known is None else {"schema": _union(known["schema"], media["schema"])}
            )
    return {"content": content}


def _union(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    if a == b:
        return a
    if a.get("type") == b.get("type") == "object":
        properties = dict(a.get("properties", {}))
        for name, schema in b.get("properties", {}).items():
            properties[name] = _union(properties[name], schema) if name in properties else schema
        return {**a, **b, "properties": properties}
    return {"anyOf": [a, b]}
