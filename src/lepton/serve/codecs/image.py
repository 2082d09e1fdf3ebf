"""Images: multipart ``file`` parts or JSON ``{"images": [base64, …]}`` → model records.

Each version converts the raw bytes with ITS package's recorded preprocessing, through
``lepton.runtime.images`` — the code training used — so a canary with a
different input size still gets what it was trained on. The prediction log gets the
image's size and pixel statistics, never its bytes.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

from lepton.runtime.images import ImageError, Preprocessing, convert, decode, pixel_stats
from lepton.runtime.manifest import PackageManifest
from lepton.runtime.onnx_image import image_input
from lepton.serve.codecs.base import Codec, Records
from lepton.serve.codecs.body import (
    JSON,
    MAX_BODY_BYTES,
    parse_json,
    read_body,
    refuse_declared_oversize,
    require_media_type,
)
from lepton.serve.codecs.openapi import json_object, multipart_file
from lepton.serve.echo import clip
from lepton.serve.validation import PayloadTooLarge, RequestError

MAX_IMAGES = 256
MAX_IMAGE_BYTES = 8 * 1024 * 1024
LOG_PREFIX = "image_"
MULTIPART = "multipart/form-data"


class ImageCodec(Codec):
    """Reads, decodes, converts and resizes uploaded images for one model version."""

    offload = True  # decoding a large photo takes milliseconds: keep it off the event loop

    @classmethod
    def for_manifest(
        cls, manifest: PackageManifest, *, reject_unknown_categories: bool
    ) -> ImageCodec:
        column, preprocessing = image_input(manifest)
        return cls(column, preprocessing)

    def __init__(
        self,
        column: str,
        preprocessing: Preprocessing,
        *,
        max_images: int = MAX_IMAGES,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.column = column
        self.preprocessing = preprocessing
        self.max_images = max_images
        self.max_body_bytes = max_body_bytes

    async def read(self, request: Request) -> list[Any]:
        """The uploaded images as ``{"field", "data"}`` rows, or a 4xx naming the field."""
        refuse_declared_oversize(request, self.max_body_bytes)
        kind = require_media_type(
            request, (*JSON, MULTIPART), "multipart 'file' parts or JSON {\"images\": [base64]}"
        )
        if kind == MULTIPART:
            return await self._parts(request)
        parsed = parse_json(await read_body(request, self.max_body_bytes))
        images = parsed.get("images") if isinstance(parsed, dict) else None
        if not isinstance(images, list):
            raise RequestError('send {"images": ["<base64>", …]}', field="images")
        rows = []
        for i, text in enumerate(images):
            field = f"images[{i}]"
            if not isinstance(text, str):
                raise RequestError("each image must be a base64 string", field=field, row=i)
            if text.startswith("data:") and "," in text:
                text = text.split(",", 1)[1]  # a data: URL
            try:
                data = base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise RequestError(
                    f"not valid base64: {clip(str(exc))}", field=field, row=i
                ) from None
            rows.append({"field": field, "data": _sized(data, field, i)})
        return rows

    async def _parts(self, request: Request) -> list[Any]:
        limit = self.max_images + 1
        form = await request.form(max_files=limit, max_fields=limit)
        parts = form.getlist("file")
        if not parts:
            raise RequestError("multipart upload needs one or more 'file' parts", field="file")
        rows = []
        for i, part in enumerate(parts):
            field = f"file[{i}]" if len(parts) > 1 else "file"
            if not isinstance(part, UploadFile):
                raise RequestError("a 'file' part must be an uploaded file", field=field, row=i)
            rows.append({"field": field, "data": _sized(await part.read(), field, i)})
        return rows

    def validate(self, rows: list[Any]) -> Records:
        """``rows``: ``{"field": name, "data": bytes}`` per image → records with uint8 pixels."""
        if not rows:
            raise RequestError("no images to predict: send at least one", field="file")
        if len(rows) > self.max_images:
            raise PayloadTooLarge(
                f"{len(rows)} images in one request; the limit is {self.max_images}",
                field="file",
            )
        pre = self.preprocessing
        out = []
        for i, row in enumerate(rows):
            field = str(row["field"])
            try:
                with decode(row["data"], field=field) as image:
                    width, height = image.width, image.height
                    pixels = convert(image, pre.size, pre.mode, field=field)
            except ImageError as exc:
                error = PayloadTooLarge if exc.http_status == 413 else RequestError
                raise error(exc.message, field=field, row=i) from None
            record: dict[str, Any] = {self.column: pixels, "width": width, "height": height}
            record.update(pixel_stats(pixels))
            out.append(record)
        return out

    def loggable(self, records: Records) -> Records:
        """What the prediction log keeps of each image: size and pixel statistics."""
        return [{f"{LOG_PREFIX}{k}": v for k, v in r.items() if k != self.column} for r in records]

    @classmethod
    def openapi_request_body(cls) -> dict[str, Any]:
        return {
            "content": {
                "application/json": json_object(
                    images={
                        "type": "array",
                        "items": {"type": "string", "format": "byte"},
                        "description": "image models: base64 image files",
                    }
                ),
                "multipart/form-data": multipart_file(),
            }
        }


def _sized(data: bytes, field: str, row: int) -> bytes:
    if not data:
        raise RequestError("the image is empty (0 bytes)", field=field, row=row)
    if len(data) > MAX_IMAGE_BYTES:
        raise PayloadTooLarge(
            f"image is {len(data):,} bytes; the limit is {MAX_IMAGE_BYTES:,}", field=field, row=row
        )
    return data
