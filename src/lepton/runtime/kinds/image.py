"""Image classification: pixels in, one CNN, class probabilities out.

Claims datasets with an image-path column (a class/file.png folder or an .npz) and
packages with an ``image`` input. The input column carries the preprocessing recipe
(size, mode, mean/std) that training, export and the server share.
"""

from __future__ import annotations

from typing import ClassVar

from lepton.runtime.kinds.registry import ModelKind, register_kind


class ImageKind(ModelKind):
    name = "image"
    priority = 20
    claims_columns: ClassVar[frozenset[str]] = frozenset({"image", "image_path"})
    input_kinds: ClassVar[frozenset[str]] = frozenset({"image"})
    default_target = "label"  # an image folder's class folders are its labels
    feature_importance = False  # pixels have no columns to permute
    trainer = "lepton.learn.vision.automl:fit_images"
    codec = "lepton.serve.codecs.image:ImageCodec"
    onnx_predictor = "lepton.runtime.onnx_image:OnnxImagePredictor"
    variants = "lepton.optimize.images:ImageBuilder"
    input_checks = "lepton.monitor.inputs:image_checks"


register_kind(ImageKind())
