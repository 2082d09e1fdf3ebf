"""Recommendation: user-item interactions in, top-k items per user out.

Never inferred from columns: a dataset becomes this kind with ``--task recommend
--user-column U --item-column I`` (plus ``--rating-column``, ``--time-column``). Its
packages answer on ``POST /v1/deployments/{name}/recommend`` (top-k for a user with the
known items excluded, similar items for an item, the popularity fallback for unknown
users, marked as such), and are monitored by the hit rate of what was served against
the clicks or purchases sent back as feedback.
"""

from __future__ import annotations

from typing import ClassVar

from lepton.runtime.kinds.registry import ModelKind, register_kind
from lepton.runtime.kinds.tabular import TABLE_COLUMNS


class RecommendKind(ModelKind):
    name = "recommend"
    priority = 30
    tasks: ClassVar[frozenset[str]] = frozenset({"recommend"})
    # lepton.learn.recommend.settings.RecommendSettings' fields
    options: ClassVar[frozenset[str]] = frozenset(
        {"user_column", "item_column", "rating_column", "time_column", "k", "holdout", "families"}
    )
    needs_target = False
    input_kinds: ClassVar[frozenset[str]] = TABLE_COLUMNS
    output_shape = "per request: the top-k items with their scores (and a fallback marker)"
    feature_importance = False  # ids in, ranked ids out: nothing to permute
    trainer = "lepton.learn.recommend.automl:fit_recommend"
    evaluator = "lepton.learn.recommend.evaluation:evaluate_recommend"
    codec = "lepton.serve.codecs.recommend:RecommendCodec"
    onnx_predictor = "lepton.runtime.recommending:NoOnnxRecommender"
    variants = "lepton.optimize.recommend:RecommendBuilder"
    input_checks = "lepton.monitor.recommending:recommend_checks"
    live_performance = "lepton.monitor.recommending:recommend_performance"
    retrainer = "lepton.monitor.retrain:retrain_labelled"
    prediction_drift = False

    def claims(self, column_kinds: object) -> bool:
        return False  # chosen by task, never by columns


register_kind(RecommendKind())
