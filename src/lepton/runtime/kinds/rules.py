"""Association rules: a long (transaction, item) table in, "what goes in this basket next" out.

Chosen by task, never by columns: any table with an id and a category could be
baskets. ``--task rules --transaction-column T --item-column I`` mines FP-growth rules
(support, confidence, lift, conviction), keeps the useful ones, and serves them on
``POST /v1/deployments/{name}/predict`` with ``{"records": [{"items": [...]}]}``: per
basket the ranked next items and the rules that fired. Monitored by item-share and
basket-size drift, and by hit rate when the item actually added comes back as feedback.
"""

from __future__ import annotations

from typing import ClassVar

from lepton.runtime.kinds.registry import ModelKind, register_kind


class RulesKind(ModelKind):
    name = "rules"
    priority = 30
    tasks: ClassVar[frozenset[str]] = frozenset({"rules"})
    # lepton.learn.rules.settings.RulesSettings' fields (item_column: same name and meaning
    # as the recommend kind's)
    options: ClassVar[frozenset[str]] = frozenset(
        {"transaction_column", "item_column", "min_support", "min_confidence", "max_rules"}
    )
    needs_target = False
    input_kinds: ClassVar[frozenset[str]] = frozenset({"categorical"})
    output_shape = "per basket: a score (best rule's confidence) per suggestable item"
    feature_importance = False  # one input, the basket; nothing to permute
    trainer = "lepton.learn.rules.automl:fit_rules"
    evaluator = "lepton.learn.rules.evaluation:evaluate_rules"
    codec = "lepton.serve.codecs.rules:RulesCodec"
    onnx_predictor = "lepton.runtime.rules:NoOnnxRules"
    variants = "lepton.optimize.rules:RulesBuilder"
    input_checks = "lepton.monitor.rules:rules_checks"
    live_performance = "lepton.monitor.rules:rules_performance"
    report_sections = "lepton.monitor.rules:rules_sections"
    summary = "lepton.learn.rules.model:top_rules_summary"
    prediction_drift = False  # the answers are per-item scores; item-share drift covers it

    def claims(self, column_kinds: object) -> bool:
        return False  # chosen by task, never by columns


register_kind(RulesKind())
