"""Reading a request body within the server's limits, shared by every codec.

Why here and not in each codec: the size limits and the 4xx they answer with must be the
same whatever the model's input kind, and the declared ``Content-Length`` is checked
before a byte is read, so an oversized upload is refused without buffering it.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from lepton.serve.echo import echo
from lepton.serve.validation import PayloadTooLarge, RequestError, UnsupportedMediaType

MAX_BODY_BYTES = 16 * 1024 * 1024
JSON = ("application/json",)


def media_type(request: Request) -> str:
    """The request's content type without parameters (JSON when none is given)."""
    return request.headers.get("content-type", "application/json").split(";")[0].strip()


def require_media_type(request: Request, accepted: tuple[str, ...], wanted: str) -> str:
    """The request's media type, or a 415 saying what this endpoint reads (``wanted``)."""
    kind = media_type(request)
    if kind.lower() not in accepted:
        raise UnsupportedMediaType(
            f"this endpoint takes {wanted}, not {echo(kind)}", field="content-type"
        )
    return kind.lower()


def refuse_declared_oversize(request: Request, limit: int) -> None:
    """A 413 before reading, when the client already says the body is too large."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(
            f"request body is {int(declared)} bytes; the limit is {limit}", field="body"
        )


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or a 413 when it is larger than ``limit``."""
    body = await request.body()
    if len(body) > limit:
        raise PayloadTooLarge(f"request body exceeds {limit} bytes", field="body")
    return body


def parse_json(body: bytes) -> Any:
    """The parsed body, or a 422 naming ``body`` when it is not JSON."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise RequestError(f"body is not valid JSON: {exc}", field="body") from exc


async def read_json_object(request: Request, limit: int, wanted: str) -> dict[str, Any]:
    """A JSON object body within ``limit``, or the 4xx saying what to send (``wanted``,
    e.g. ``{"texts": [...]}``): the read of every codec that takes one object."""
    refuse_declared_oversize(request, limit)
    require_media_type(request, JSON, f"JSON {wanted}")
    body = parse_json(await read_body(request, limit))
    if not isinstance(body, dict):
        raise RequestError(f"body must be {wanted}", field="body")
    return body
