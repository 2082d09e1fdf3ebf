"""The model runtime: the package contract, the predictors and the serving loader.

It sits below ``lepton.learn`` and ``lepton.optimize`` so the server can load and run
any package — native pickle or ONNX graph, table, text or image — without importing the
training or optimization toolchains. Submodules import their heavy libraries
(onnxruntime, Pillow) only when a predictor is built.
"""

from __future__ import annotations

from lepton.runtime.manifest import (
    FORMAT,
    MANIFEST,
    NATIVE,
    ONNX,
    ColumnSpec,
    MemberSpec,
    OutputSpec,
    PackageManifest,
    VariantSpec,
    read_manifest,
    write_manifest,
)
from lepton.runtime.native import NativePredictor
from lepton.runtime.package import NativeModel, load_native, write_package
from lepton.runtime.predictor import Predictor

__all__ = [
    "FORMAT",
    "MANIFEST",
    "NATIVE",
    "ONNX",
    "ColumnSpec",
    "MemberSpec",
    "NativeModel",
    "NativePredictor",
    "OutputSpec",
    "PackageManifest",
    "Predictor",
    "VariantSpec",
    "load_native",
    "read_manifest",
    "write_manifest",
    "write_package",
]
