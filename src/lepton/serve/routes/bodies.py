"""JSON bodies of the management routes, read by the handler after the key check.

Why not FastAPI's body parameters: FastAPI parses and validates a declared body before
the handler (and its dependencies) run, so a caller without a key would learn from a
422 what the route expects before being told 401. Reading the body here, after
``KeyChecker.require``, keeps auth first on every route; the same pydantic models still
give the OpenAPI ``requestBody`` (``json_request_body``).
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from lepton.serve.codecs.body import (
    JSON,
    MAX_BODY_BYTES,
    parse_json,
    read_body,
    refuse_declared_oversize,
    require_media_type,
)
from lepton.serve.validation import RequestError

M = TypeVar("M", bound=BaseModel)


async def read_model(request: Request, model: type[M]) -> M:
    """The body as ``model``, or a 413/415/422 naming the field."""
    found = await read_optional_model(request, model)
    if found is None:
        raise RequestError(f"send a JSON body: {model.__name__}", field="body")
    return found


async def read_optional_model(request: Request, model: type[M]) -> M | None:
    """The body as ``model``; ``None`` when there is no body at all."""
    refuse_declared_oversize(request, MAX_BODY_BYTES)
    raw = await read_body(request, MAX_BODY_BYTES)
    if not raw.strip():
        return None
    require_media_type(request, JSON, "a JSON body")
    try:
        return model.model_validate(parse_json(raw))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise RequestError(str(first["msg"]), field=_field(first["loc"])) from None


def json_request_body(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` for ``model`` as JSON (nested models inlined)."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})
    return {
        "required": required,
        "content": {"application/json": {"schema": _inline(schema, definitions)}},
    }


def _field(loc: tuple[int | str, ...]) -> str:
    """Pydantic's error location as a field path: ``feedback[0].label``."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def _inline(node: Any, definitions: dict[str, Any]) -> Any:
    """``node`` with every ``#/$defs/…`` reference replaced by its (non-recursive) model."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(definitions[ref.removeprefix("#/$defs/")], definitions)
        return {k: _inline(v, definitions) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, definitions) for v in node]
    return node
