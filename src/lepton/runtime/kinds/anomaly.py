"""Anomaly detection: rows in, an anomaly score in [0, 1] and a 0/1 flag per row out.

Chosen by ``--task anomaly``, never by columns. No target is needed: an optional
``--target`` names a two-valued label column used only to choose the detector (by
cross-validated ROC-AUC) and to evaluate; it is never a feature. Packages take the
table's feature columns, answer on ``POST /v1/deployments/{name}/predict`` with
``score`` and ``is_anomaly`` per record, and are monitored by the live anomaly rate
against the training rate (and precision/recall/AUC once feedback labels arrive).
"""

from __future__ import annotations

from typing import ClassVar

from lepton.runtime.kinds.registry import ModelKind, register_kind
from lepton.runtime.kinds.tabular import TABLE_COLUMNS


class AnomalyKind(ModelKind):
    name = "anomaly"
    priority = 30
    tasks: ClassVar[frozenset[str]] = frozenset({"anomaly"})
    options: ClassVar[frozenset[str]] = frozenset({"contamination"})
    needs_target = False
    input_kinds: ClassVar[frozenset[str]] = TABLE_COLUMNS
    output_shape = "per row: the anomaly score in [0, 1] and the 0/1 flag"
    feature_importance = False  # permutation importance needs a supervised metric
    trainer = "lepton.learn.anomaly.automl:fit_anomaly"
    evaluator = "lepton.learn.anomaly.evaluation:evaluate_anomaly"
    codec = "lepton.serve.codecs.anomaly:AnomalyCodec"
    onnx_predictor = "lepton.runtime.onnx_table:OnnxPredictor"
    variants = "lepton.optimize.anomaly:AnomalyBuilder"
    input_checks = "lepton.monitor.inputs:table_checks"
    live_performance = "lepton.monitor.anomaly:anomaly_performance"
    live_outputs = "lepton.monitor.anomaly:anomaly_rate"
    retrainer = "lepton.monitor.retrain:retrain_labelled"
    prediction_drift = True  # the live score distribution against the training scores

    def claims(self, column_kinds: object) -> bool:
        return False  # chosen by task, never by columns


register_kind(AnomalyKind())
