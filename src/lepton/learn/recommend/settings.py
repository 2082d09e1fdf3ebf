"""The recommend kind's options (CLI flags / ``lepton.fit`` keywords), checked once."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from lepton.errors import DataError


@dataclass(frozen=True)
class RecommendSettings:
    user_column: str
    item_column: str
    rating_column: str | None = None
    time_column: str | None = None
    k: int = 10  # the cut-off of the ranking metrics and the default answer size
    # interactions per user held out for validation (the latest ones); 0: chosen from the
    # data (5 when the median user has 20 or more, else 1: a steadier score where affordable)
    holdout: int = 0
    families: tuple[str, ...] = ()

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> RecommendSettings:
        user, item = options.get("user_column"), options.get("item_column")
        if not user or not item:
            missing = "--user-column" if not user else "--item-column"
            raise DataError(
                f"recommend needs {missing}: name the column of user ids and of item ids",
                field="user_column" if not user else "item_column",
            )
        k = int(options.get("k") or 10)
        if k < 1:
            raise DataError(f"k must be at least 1 (got {k})", field="k")
        holdout = int(options.get("holdout") or 0)
        if holdout < 0:
            raise DataError(f"holdout must be at least 1 (got {holdout})", field="holdout")
        families = options.get("families") or ()
        if isinstance(families, str):
            families = [f.strip() for f in families.split(",") if f.strip()]
        return cls(
            str(user),
            str(item),
            options.get("rating_column"),
            options.get("time_column"),
            k,
            holdout,
            tuple(families),
        )

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["families"] = list(self.families)
        return values

    @property
    def columns(self) -> list[str]:
        named = [self.user_column, self.item_column, self.rating_column, self.time_column]
        return [c for c in named if c]
