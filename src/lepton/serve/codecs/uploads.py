"""Uploaded files, as image and audio models take them: multipart ``file`` parts or base64.

One reader for every kind whose input is a file (BentoML's ``File`` descriptor): the
request either carries one or more multipart ``file`` parts, or a JSON object whose
``key`` holds base64 strings (``data:`` URLs allowed). Each file comes back as
``{"field", "data"}``, ``field`` naming where it came from for the 4xx that may follow;
an empty file is a 422, one over ``max_file_bytes`` a 413.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

from lepton.serve.codecs.body import (
    JSON,
    parse_json,
    read_body,
    refuse_declared_oversize,
    require_media_type,
)
from lepton.serve.echo import clip
from lepton.serve.validation import PayloadTooLarge, RequestError

MULTIPART = "multipart/form-data"


@dataclass(frozen=True)
class UploadLimits:
    key: str  # the JSON field of base64 strings ("images", "audio")
    what: str  # one file, in messages ("image", "audio file")
    max_files: int
    max_file_bytes: int
    max_body_bytes: int


async def read_uploads(request: Request, limits: UploadLimits) -> list[dict[str, Any]]:
    """The request's files as ``{"field", "data"}`` rows, or a 4xx naming the field."""
    refuse_declared_oversize(request, limits.max_body_bytes)
    kind = require_media_type(
        request,
        (*JSON, MULTIPART),
        f"multipart 'file' parts or JSON {{\"{limits.key}\": [base64]}}",
    )
    if kind == MULTIPART:
        return await _parts(request, limits)
    parsed = parse_json(await read_body(request, limits.max_body_bytes))
    files = parsed.get(limits.key) if isinstance(parsed, dict) else None
    if not isinstance(files, list):
        raise RequestError(f'send {{"{limits.key}": ["<base64>", …]}}', field=limits.key)
    rows = []
    for i, text in enumerate(files):
        field = f"{limits.key}[{i}]"
        if not isinstance(text, str):
            raise RequestError(f"each {limits.what} must be a base64 string", field=field, row=i)
        if text.startswith("data:") and "," in text:
            text = text.split(",", 1)[1]  # a data: URL
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise RequestError(f"not valid base64: {clip(str(exc))}", field=field, row=i) from None
        rows.append({"field": field, "data": sized(data, field, i, limits)})
    return rows


async def _parts(request: Request, limits: UploadLimits) -> list[dict[str, Any]]:
    most = limits.max_files + 1
    form = await request.form(max_files=most, max_fields=most)
    parts = form.getlist("file")
    if not parts:
        raise RequestError("multipart upload needs one or more 'file' parts", field="file")
    rows = []
    for i, part in enumerate(parts):
        field = f"file[{i}]" if len(parts) > 1 else "file"
        if not isinstance(part, UploadFile):
            raise RequestError("a 'file' part must be an uploaded file", field=field, row=i)
        rows.append({"field": field, "data": sized(await part.read(), field, i, limits)})
    return rows


def sized(data: bytes, field: str, row: int, limits: UploadLimits) -> bytes:
    if not data:
        raise RequestError(f"the {limits.what} is empty (0 bytes)", field=field, row=row)
    if len(data) > limits.max_file_bytes:
        raise PayloadTooLarge(
            f"{limits.what} is {len(data):,} bytes; the limit is {limits.max_file_bytes:,}",
            field=field,
            row=row,
        )
    return data


def check_count(rows: list[Any], limits: UploadLimits) -> None:
    if not rows:
        raise RequestError(f"no {limits.what}s to predict: send at least one", field="file")
    if len(rows) > limits.max_files:
        raise PayloadTooLarge(
            f"{len(rows)} {limits.what}s in one request; the limit is {limits.max_files}",
            field="file",
        )
