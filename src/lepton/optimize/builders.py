"""Which ``VariantBuilder`` optimizes a package: the one its kind names in the registry."""

from __future__ import annotations

from typing import Any

from lepton.optimize.protocol import VariantBuilder
from lepton.runtime.kinds import get_kind
from lepton.runtime.manifest import PackageManifest


def builder_for(manifest: PackageManifest) -> VariantBuilder[Any, Any]:
    """The variant builder the package's kind declares (``lepton.runtime.kinds``)."""
    builder: VariantBuilder[Any, Any] = get_kind(manifest.kind).entry("variants")()
    return builder
