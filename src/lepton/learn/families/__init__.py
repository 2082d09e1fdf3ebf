"""Model families AutoML searches over, by name."""

from __future__ import annotations

from lepton.learn.families.base import Family, FitResult, TaskInfo

FAMILY_NAMES = (
    "lightgbm",
    "catboost",
    "xgboost",
    "mlp",
    "extra_trees",
    "random_forest",
    "linear",
    "knn",
    "text_tfidf",
    "text_embedding",
)
TEXT_FAMILIES = ("text_tfidf", "text_embedding")  # need a text column (lepton.learn.text)


def get_family(name: str) -> Family:
    """Import a family lazily: a worker only pays for the libraries it uses."""
    if name == "lightgbm":
        from lepton.learn.families.lightgbm_family import LightGBMFamily

        return LightGBMFamily()
    if name == "xgboost":
        from lepton.learn.families.xgboost_family import XGBoostFamily

        return XGBoostFamily()
    if name == "catboost":
        from lepton.learn.families.catboost_family import CatBoostFamily

        return CatBoostFamily()
    if name == "mlp":
        from lepton.learn.families.mlp_family import MLPFamily

        return MLPFamily()
    if name in TEXT_FAMILIES:
        from lepton.learn.families import text_families as tx

        return tx.TfidfTextFamily() if name == "text_tfidf" else tx.EmbeddingTextFamily()
    from lepton.learn.families import sklearn_families as sk

    by_name: dict[str, Family] = {
        "linear": sk.LinearFamily(),
        "random_forest": sk.RandomForestFamily(),
        "extra_trees": sk.ExtraTreesFamily(),
        "knn": sk.KNNFamily(),
    }
    if name not in by_name:
        from lepton.errors import LeptonError

        raise LeptonError(f"unknown model family {name!r}; choose from {', '.join(FAMILY_NAMES)}")
    return by_name[name]


__all__ = ["FAMILY_NAMES", "TEXT_FAMILIES", "Family", "FitResult", "TaskInfo", "get_family"]
