"""Clustering: rows in, a cluster id and a distance per row out; no target.

Never inferred from columns (any table could be clustered): a dataset becomes this kind
when the user asks for ``--task clustering``. It takes the table's columns (through the
tabular encoder), answers on ``POST /v1/deployments/{name}/predict`` with each record's
cluster and distance, and is monitored by the shift of live cluster shares against the
training shares (PSI), alongside the tables' input drift. The HTML report adds the
cluster projection, the contrasts heat map and the profile table.
"""

from __future__ import annotations

from typing import ClassVar

from lepton.runtime.kinds.registry import ModelKind, register_kind
from lepton.runtime.kinds.tabular import TABLE_COLUMNS


class ClusteringKind(ModelKind):
    name = "clustering"
    priority = 25
    tasks: ClassVar[frozenset[str]] = frozenset({"clustering"})
    options: ClassVar[frozenset[str]] = frozenset({"k", "families"})
    needs_target = False
    input_kinds: ClassVar[frozenset[str]] = TABLE_COLUMNS
    output_shape = "per row: closeness (n, k) to each cluster (minus a distance); argmax = cluster"
    feature_importance = False  # no target to lose accuracy on; the profile says what matters
    trainer = "lepton.learn.clustering.automl:fit_clustering"
    evaluator = "lepton.learn.clustering.evaluation:evaluate_clustering"
    codec = "lepton.serve.codecs.clustering:ClusteringCodec"
    onnx_predictor = "lepton.runtime.onnx_table:OnnxPredictor"
    variants = "lepton.optimize.clustering:ClusteringBuilder"
    input_checks = "lepton.monitor.inputs:table_checks"
    output_shift = "lepton.monitor.clustering:logged_share_shift"
    summary = "lepton.cli.clustering:profile_table"
    report_sections = "lepton.monitor.clustering_report:clustering_sections"
    prediction_drift = False  # the share shift against training is the kind's own check

    def claims(self, column_kinds: object) -> bool:
        return False  # chosen by task, never by columns


register_kind(ClusteringKind())
