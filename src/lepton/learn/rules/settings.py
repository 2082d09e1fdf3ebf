"""The rules kind's options (the CLI flags ``--transaction-column`` … ``--max-rules``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from lepton.errors import DataError

DEFAULT_MIN_CONFIDENCE = 0.1  # low: the recommender ranks by confidence anyway
DEFAULT_MAX_RULES = 1000
DEFAULT_MAX_LEN = 4  # itemsets of more items are rare and make the mining explode


@dataclass(frozen=True)
class RulesSettings:
    transaction_column: str
    item_column: str
    min_support: float | None = None  # None: chosen automatically
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    max_rules: int = DEFAULT_MAX_RULES
    max_len: int = DEFAULT_MAX_LEN
    top_k: int = 5  # hit rate@k of the held-out evaluation

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> RulesSettings:
        for name in ("transaction_column", "item_column"):
            if not options.get(name):
                flag = "--" + name.replace("_", "-")
                raise DataError(f"--task rules needs {flag} COLUMN", field=name)
        settings = cls(
            str(options["transaction_column"]),
            str(options["item_column"]),
            None if options.get("min_support") is None else float(options["min_support"]),
            float(options.get("min_confidence") or DEFAULT_MIN_CONFIDENCE),
            int(options.get("max_rules") or DEFAULT_MAX_RULES),
            int(options.get("max_len") or DEFAULT_MAX_LEN),
        )
        if settings.min_support is not None and not 0 < settings.min_support <= 1:
            raise DataError("--min-support must be in (0, 1]", field="min_support")
        if not 0 <= settings.min_confidence <= 1:
            raise DataError("--min-confidence must be in [0, 1]", field="min_confidence")
        return settings

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
