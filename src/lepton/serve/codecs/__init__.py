"""Codecs: how each kind of model input is read, validated, logged and answered.

``codec_for`` is the ONE place that decides which kind a loaded version takes, and
``CODECS`` the one list of kinds the predict endpoint documents; the rest of the server
only talks to the ``Codec`` interface (the kinds registry will provide both).
"""

from __future__ import annotations

from typing import Any

from lepton.serve.codecs.base import Codec
from lepton.serve.codecs.image import ImageCodec
from lepton.serve.codecs.openapi import merged_request_body
from lepton.serve.codecs.tabular import TabularCodec

CODECS: tuple[type[Codec], ...] = (TabularCodec, ImageCodec)


def codec_for(schema: list[dict[str, Any]], *, reject_unknown_categories: bool) -> Codec:
    """The codec for a version with input ``schema``: images if any column is one, else a table."""
    if any(c.get("kind") == "image" for c in schema):
        return ImageCodec(schema)
    return TabularCodec(schema, reject_unknown_categories=reject_unknown_categories)


def openapi_request_body() -> dict[str, Any]:
    """The predict endpoint's ``requestBody``: what any kind of deployment accepts."""
    return merged_request_body(CODECS)


__all__ = ["CODECS", "Codec", "ImageCodec", "TabularCodec", "codec_for", "openapi_request_body"]
