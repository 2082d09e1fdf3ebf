"""Images: multipart ``file`` parts or JSON ``{"images": [base64, …]}`` → model records.

Each version converts the raw bytes with ITS package's recorded preprocessing, through
``lepton.runtime.images`` — the code training used — so a canary with a
different input size still gets what it was trained on. The prediction log gets the
image's size and pixel statistics, never its bytes.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from lepton.runtime.images import ImageError, Preprocessing, convert, decode, pixel_stats
from lepton.runtime.manifest import PackageManifest
from lepton.runtime.onnx_image import image_input
from lepton.serve.codecs.base import Codec, Records
from lepton.serve.codecs.body import MAX_BODY_BYTES
from lepton.serve.codecs.openapi import json_object, multipart_file
from lepton.serve.codecs.uploads import UploadLimits, check_count, read_uploads
from lepton.serve.validation import PayloadTooLarge, RequestError

MAX_IMAGES = 256
MAX_IMAGE_BYTES = 8 * 1024 * 1024
LOG_PREFIX = "image_"


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
        self.limits = UploadLimits("images", "image", max_images, MAX_IMAGE_BYTES, max_body_bytes)

    async def read(self, request: Request) -> list[Any]:
        """The uploaded images as ``{"field", "data"}`` rows, or a 4xx naming the field."""
        return await read_uploads(request, self.limits)

    def validate(self, rows: list[Any]) -> Records:
        """``rows``: ``{"field": name, "data": bytes}`` per image → records with uint8 pixels."""
        check_count(rows, self.limits)
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
