"""Interactions as a sparse user x item matrix, and the per-user holdout validation split.

Why a time-ordered holdout: a recommender is used on what users do next, so each user's
latest interactions (by the time column) are held out. Without a time column the held-out
interactions are drawn at random per user with a fixed seed (documented in the run notes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from lepton.errors import DataError
from lepton.learn.recommend.settings import RecommendSettings


@dataclass
class Interactions:
    """One row per interaction, ids coded 0..n-1; ``users``/``items`` map codes to ids."""

    users: np.ndarray  # the id of each user code (strings)
    items: np.ndarray  # the id of each item code (strings)
    user_codes: np.ndarray
    item_codes: np.ndarray
    weights: np.ndarray  # the interaction strength (rating, or 1)
    order: np.ndarray  # the interaction's time rank (or a seeded random rank)
    notes: list[str] = field(default_factory=list)

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

    def matrix(self, mask: np.ndarray | None = None) -> sp.csr_matrix:
        """The users x items CSR matrix (duplicates summed) of all or the masked rows."""
        rows, cols, vals = self.user_codes, self.item_codes, self.weights
        if mask is not None:
            rows, cols, vals = rows[mask], cols[mask], vals[mask]
        m = sp.csr_matrix(
            (vals.astype(np.float32), (rows, cols)), shape=(self.n_users, self.n_items)
        )
        m.sum_duplicates()
        return m

    def holdout(self, per_user: int) -> tuple[np.ndarray, dict[int, np.ndarray]]:
        """(train mask, user → held-out item codes): each user's latest ``per_user`` items.

        Users with fewer than ``per_user + 1`` distinct interactions keep everything in
        training (nothing to learn them from otherwise)."""
        frame = pd.DataFrame(
            {"u": self.user_codes, "i": self.item_codes, "o": self.order}
        ).reset_index()
        frame = frame.sort_values(["u", "o"], kind="mergesort")
        rank = frame.groupby("u").cumcount(ascending=False)
        size = frame.groupby("u")["i"].transform("size")
        held = (rank < per_user) & (size > per_user)
        train = np.ones(len(self.user_codes), dtype=bool)
        train[frame.loc[held, "index"].to_numpy()] = False
        test: dict[int, np.ndarray] = {}
        picked = frame[held]
        for user, items in picked.groupby("u")["i"]:
            test[int(str(user))] = np.unique(items.to_numpy())
        # an item the user also has in training is not a thing to recommend them next
        known = self.matrix(train)
        for user in list(test):
            seen = set(known.indices[known.indptr[user] : known.indptr[user + 1]].tolist())
            fresh = np.array([i for i in test[user] if i not in seen], dtype=np.int64)
            if len(fresh):
                test[user] = fresh
            else:
                del test[user]
        return train, test


def prepare(frame: pd.DataFrame, settings: RecommendSettings, seed: int = 0) -> Interactions:
    """Check the columns and code the ids; a clear error names the column at fault."""
    for column in settings.columns:
        if column not in frame.columns:
            raise DataError(
                f"column {column!r} not found; columns: {', '.join(map(str, frame.columns))}",
                field=column,
            )
    notes: list[str] = []
    user, item = frame[settings.user_column], frame[settings.item_column]
    keep = user.notna() & item.notna()
    if settings.rating_column:
        raw = frame[settings.rating_column]
        ratings = pd.to_numeric(raw, errors="coerce")
        bad = ratings.isna() & raw.notna()
        if bad.any():
            example = raw[bad].iloc[0]
            raise DataError(
                f"rating column {settings.rating_column!r} must be numeric; "
                f"got {example!r} in {int(bad.sum())} row(s)",
                field=settings.rating_column,
            )
        keep &= ratings.notna() & (ratings > 0)
        weights = ratings.to_numpy(dtype=float)
        dropped = int((ratings <= 0).sum())
        if dropped:
            notes.append(f"dropped {dropped} interactions with a rating of 0 or less")
    else:
        weights = np.ones(len(frame))
    if (~keep).sum() and int((user.isna() | item.isna()).sum()):
        notes.append(f"dropped {int((user.isna() | item.isna()).sum())} rows with no user or item")
    if settings.time_column:
        raw_time = frame[settings.time_column]
        times = (
            raw_time.astype("int64")
            if pd.api.types.is_numeric_dtype(raw_time)
            else pd.to_datetime(raw_time, errors="coerce")
        )
        if pd.Series(times).isna().any():
            raise DataError(
                f"time column {settings.time_column!r} has values that are not times",
                field=settings.time_column,
            )
        order = pd.Series(times).rank(method="first").to_numpy()
    else:
        order = np.random.default_rng(seed).permutation(len(frame)).astype(float)
    kept = keep.to_numpy()
    if not kept.any():
        raise DataError(
            f"no interactions: every row lacks {settings.user_column!r} or "
            f"{settings.item_column!r}",
            field=settings.user_column,
        )
    user_ids = user[kept].astype(str).to_numpy()
    item_ids = item[kept].astype(str).to_numpy()
    users, user_codes = np.unique(user_ids, return_inverse=True)
    items, item_codes = np.unique(item_ids, return_inverse=True)
    if len(items) < 2:
        raise DataError(
            f"item column {settings.item_column!r} has a single item ({items[0]!r}): "
            "nothing to rank",
            field=settings.item_column,
        )
    return Interactions(
        users.astype(str),
        items.astype(str),
        user_codes.astype(np.int64),
        item_codes.astype(np.int64),
        weights[kept],
        order[kept],
        notes,
    )
