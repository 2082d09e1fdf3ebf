"""What serving and the CLI ask of a recommender, without importing ``lepton.learn``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from lepton.errors import LeptonError

NO_ONNX = (
    "a recommender is a lookup (top-k over learned factors or item-item weights, minus "
    "each user's known items, with a popularity fallback): there is no per-row function "
    "to export to ONNX; it is served natively"
)


@runtime_checkable
class Recommending(Protocol):
    """A model that recommends: ``lepton.learn.recommend.model.RecommendModel``."""

    def recommend_many(self, users: list[Any], k: int | None = None) -> list[dict[str, Any]]: ...

    def similar(self, item: Any, k: int | None = None) -> dict[str, Any]: ...


def recommender_of(predictor: Any) -> Recommending | None:
    """The recommending model behind a loaded predictor, or None."""
    for candidate in (predictor, getattr(predictor, "model", None)):
        if candidate is not None and isinstance(candidate, Recommending):
            return candidate
    return None


class NoOnnxRecommender:
    """The recommend kind's ONNX runner: there is none, and it says why."""

    @classmethod
    def load(cls, folder: str | Path, *, threads: int = 1) -> NoOnnxRecommender:
        raise LeptonError(f"{folder}: {NO_ONNX}")
