"""Tables of numbers, categories, booleans and dates: the fallback kind.

Trained by the tabular AutoML search (gradient-boosted trees, forests, linear, k-NN, MLP;
cross-validation, Optuna, ensembling), exported as one ONNX graph, served from JSON
records / CSV / Parquet, monitored with per-column drift and data-quality checks.
"""

from __future__ import annotations

from typing import ClassVar

from lepton.runtime.kinds.registry import ModelKind, register_kind

TABLE_COLUMNS = frozenset({"numeric", "boolean", "datetime", "categorical"})


class TabularKind(ModelKind):
    name = "tabular"
    priority = 0
    input_kinds: ClassVar[frozenset[str]] = TABLE_COLUMNS
    trainer = "lepton.learn.automl:fit_tabular"
    codec = "lepton.serve.codecs.tabular:TabularCodec"
    onnx_predictor = "lepton.runtime.onnx_table:OnnxPredictor"
    variants = "lepton.optimize.tabular:TabularBuilder"
    input_checks = "lepton.monitor.inputs:table_checks"
    # claims no column kind: it is the registry's fallback for tables no other kind claims


register_kind(TabularKind())
