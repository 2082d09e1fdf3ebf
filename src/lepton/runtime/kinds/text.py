"""Tables with a free-text column: the tabular pipeline plus text features and text drift.

Why its own kind: text columns change what serving accepts (JSON strings, length limits),
what export can do (no faithful ONNX tokenizer: the optimizer refuses with the reason and
the native pipeline serves) and what monitoring checks (length, vocabulary and
embedding drift). Training, codec, ONNX runner and variants are the tabular kind's.
"""

from __future__ import annotations

from typing import ClassVar

from lepton.runtime.kinds.registry import register_kind
from lepton.runtime.kinds.tabular import TABLE_COLUMNS, TabularKind


class TextKind(TabularKind):
    name = "text"
    priority = 10
    claims_columns: ClassVar[frozenset[str]] = frozenset({"text"})
    input_kinds: ClassVar[frozenset[str]] = TABLE_COLUMNS | {"text"}
    input_checks = "lepton.monitor.inputs:text_checks"


register_kind(TextKind())
