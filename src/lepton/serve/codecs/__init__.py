"""Codecs: how each kind of model input is read, validated, logged and answered.

Which codec a loaded version gets is its kind's declaration (``lepton.runtime.kinds``);
the rest of the server only talks to the ``Codec`` interface.
"""

from __future__ import annotations

from typing import Any

from lepton.runtime.kinds import all_kinds, get_kind
from lepton.runtime.manifest import PackageManifest
from lepton.serve.codecs.base import Codec
from lepton.serve.codecs.openapi import merged_request_body


def codec_for(manifest: PackageManifest, *, reject_unknown_categories: bool) -> Codec:
    """The codec the package's kind declares, built from its input schema."""
    codec: type[Codec] = get_kind(manifest.kind).entry("codec")
    return codec.for_manifest(manifest, reject_unknown_categories=reject_unknown_categories)


def registered_codecs() -> list[type[Codec]]:
    """Every kind's codec class, once each, in the registry's order."""
    seen: dict[str, type[Codec]] = {}
    for kind in all_kinds():
        seen.setdefault(kind.codec, kind.entry("codec"))
    return list(seen.values())


def openapi_request_body(endpoint: str = "predict") -> dict[str, Any]:
    """An endpoint's ``requestBody``: what any kind of deployment answering there accepts."""
    return merged_request_body(c for c in registered_codecs() if c.endpoint == endpoint)


__all__ = ["Codec", "codec_for", "openapi_request_body", "registered_codecs"]
