"""Model optimization: ONNX export, quantization, pruning, measured and chosen.

``optimize(project, ref)`` builds a model version's variants, measures them next to
the native pipeline and marks the best one under an accuracy budget;
``load_serving_predictor(project, ref)`` is what the server loads.
"""

from __future__ import annotations

from lepton.optimize.choose import OBJECTIVES
from lepton.optimize.driver import optimize_model
from lepton.optimize.export import ExportError, export_model, verify
from lepton.optimize.pipeline import OptimizeOutcome, optimize, variant_model_name
from lepton.optimize.result import OptimizeResult
from lepton.runtime.loader import load_serving_predictor

__all__ = [
    "OBJECTIVES",
    "ExportError",
    "OptimizeOutcome",
    "OptimizeResult",
    "export_model",
    "load_serving_predictor",
    "optimize",
    "optimize_model",
    "variant_model_name",
    "verify",
]
