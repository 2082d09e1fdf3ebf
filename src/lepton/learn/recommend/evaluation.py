"""Score a recommender on later interactions (``--test``): the items each user went on to
have, against the top-k it recommends them (items known from training excluded)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lepton.errors import DataError
from lepton.learn.recommend.metrics import ranking_report
from lepton.learn.recommend.model import RecommendModel


def evaluate_recommend(
    model: RecommendModel, frame: pd.DataFrame, k: int | None = None
) -> dict[str, Any]:
    """Precision, recall, NDCG at k and coverage over the test users the model knows."""
    s = model.settings
    size = k or s.k
    for column in (s.user_column, s.item_column):
        if column not in frame.columns:
            raise DataError(f"test data has no column {column!r}", field=column)
    user_code, item_code = model._user_code, model._item_code
    users = frame[s.user_column].astype(str).map(user_code)
    items = frame[s.item_column].astype(str).map(item_code)
    pairs = pd.DataFrame({"u": users, "i": items}).dropna().astype(np.int64)
    if pairs.empty:
        raise DataError("test data holds no (user, item) pair the model knows", field=s.user_column)
    known = model.known
    relevant: dict[int, np.ndarray] = {}
    for user, group in pairs.groupby("u")["i"]:
        code = int(str(user))
        seen = set(known.indices[known.indptr[code] : known.indptr[code + 1]].tolist())
        fresh = np.array(sorted(set(group.tolist()) - seen), dtype=np.int64)
        if len(fresh):
            relevant[code] = fresh
    if not relevant:
        raise DataError("every test interaction is already in the training data")
    codes = np.array(sorted(relevant), dtype=np.int64)
    idx, _ = model.top_codes(codes, size)
    recommended = {int(c): idx[j] for j, c in enumerate(codes)}
    return {
        "n_rows": len(pairs),
        "n_users": len(relevant),
        "k": size,
        "metrics": ranking_report(recommended, relevant, len(model.items), size),
    }
