"""Which kind's ``VariantBuilder`` optimizes a model — decided here and nowhere else,
so the model-kinds registry can replace this one function.
"""

from __future__ import annotations

from typing import Any

from lepton.optimize.protocol import VariantBuilder


def builder_for(model: Any) -> VariantBuilder[Any, Any]:
    """Image CNNs get the image builder; every other model the tabular one."""
    from lepton.learn.vision.model import ImageModel

    if isinstance(model, ImageModel):
        from lepton.optimize.images import ImageBuilder

        return ImageBuilder()
    from lepton.optimize.tabular import TabularBuilder

    return TabularBuilder()
