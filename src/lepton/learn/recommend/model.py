"""The trained recommender a recommend package holds, and what serving asks of it.

It keeps the chosen family, the popularity counts (the cold-start answer for users it
has never seen) and each user's known items (excluded from their recommendations). Its
arrays are written as ``native/recommend.npz`` (no pickle inside: ``allow_pickle=False``);
the package's pickle only holds the ids-free settings and names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from lepton.errors import DataError, LeptonError, NotFoundError
from lepton.learn.recommend.families import Popularity, Recommender, make_family, top_k
from lepton.learn.recommend.settings import RecommendSettings
from lepton.runtime.manifest import ColumnSpec, MemberSpec

ARRAYS = "recommend.npz"
MAX_K = 1000
FALLBACK = "popularity"


class _ItemIds:
    """The ``LabelCodec`` of a recommender: item ids ↔ item codes."""

    def __init__(self, items: np.ndarray) -> None:
        self.items = items

    def encode(self, y: pd.Series) -> NDArray[Any]:
        where = {v: i for i, v in enumerate(self.items.tolist())}
        return np.array([where.get(str(v), -1) for v in y], dtype=np.int64)

    def decode(self, codes: NDArray[np.int64]) -> NDArray[Any]:
        return self.items[np.asarray(codes, dtype=np.int64)]


class RecommendModel:
    """Top-k items for a user (known items excluded), similar items for an item."""

    kind = "recommend"
    task = "recommend"
    temperature = 1.0
    _family_name: str  # set while unpickling (then read_arrays restores the family)
    _family_params: dict[str, Any]

    def __init__(
        self,
        settings: RecommendSettings,
        family: Recommender,
        popularity: Popularity,
        users: np.ndarray,
        items: np.ndarray,
        known: sp.csr_matrix,
        details: dict[str, Any],
    ) -> None:
        self.settings = settings
        self.family = family
        self.popularity = popularity
        self.users = users
        self.items = items
        self.known = known
        self.details = details
        self.target_name = settings.item_column  # what is recommended
        self._index()

    def _index(self) -> None:
        self._user_code = {u: i for i, u in enumerate(self.users.tolist())}
        self._item_code = {v: i for i, v in enumerate(self.items.tolist())}

    @property
    def target(self) -> _ItemIds:
        return _ItemIds(self.items)

    @property
    def dropped_columns(self) -> dict[str, str]:
        return {}

    # -- the recommending API --------------------------------------------------------------
    def recommend(self, user: Any, k: int | None = None) -> dict[str, Any]:
        """``{"user", "items": [{"item", "score"}], "fallback"}``; unknown users get the
        most popular items and ``"fallback": "popularity"``."""
        return self.recommend_many([user], k)[0]

    def recommend_many(self, users: list[Any], k: int | None = None) -> list[dict[str, Any]]:
        size = self._k(k)
        codes = [self._user_code.get(str(u), -1) for u in users]
        known = [c for c in codes if c >= 0]
        picked: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        if known:
            idx, vals = self.top_codes(np.array(known, dtype=np.int64), size)
            picked = {c: (idx[j], vals[j]) for j, c in enumerate(known)}
        out = []
        cold: tuple[np.ndarray, np.ndarray] | None = None
        for user, code in zip(users, codes, strict=True):
            if code < 0:
                if cold is None:
                    cold = top_k(self.popularity.counts[None, :].astype(float), size)
                idx, vals, fallback = cold[0][0], cold[1][0], FALLBACK
            else:
                (idx, vals), fallback = picked[code], None
            out.append(
                {
                    "user": str(user),
                    "items": self._items(idx, vals),
                    "fallback": fallback,
                }
            )
        return out

    def similar(self, item: Any, k: int | None = None) -> dict[str, Any]:
        code = self._item_code.get(str(item))
        if code is None:
            raise NotFoundError(f"item {item!r} is not in the training data", field="item")
        idx, vals = self.family.similar(code, self._k(k))
        return {"item": str(item), "items": self._items(idx[0], vals[0])}

    def top_codes(
        self, users: np.ndarray, k: int, batch: int = 512
    ) -> tuple[np.ndarray, np.ndarray]:
        """Item codes and scores of each known user's top ``k`` unseen items."""
        idx_parts, val_parts = [], []
        for start in range(0, len(users), batch):
            chunk = users[start : start + batch]
            rows = self.known[chunk]
            scores = self.family.scores(chunk, rows).astype(np.float64)
            # ties (and users the family cannot tell apart) broken by popularity
            scores = scores + 1e-9 * self.popularity.counts / (self.popularity.counts.max() + 1)
            r, c = rows.nonzero()
            scores[r, c] = -np.inf
            idx, vals = top_k(scores, k)
            idx_parts.append(idx)
            val_parts.append(vals)
        return np.concatenate(idx_parts), np.concatenate(val_parts)

    def _k(self, k: int | None) -> int:
        size = self.settings.k if k is None else int(k)
        if not 1 <= size <= MAX_K:
            raise DataError(f"k must be between 1 and {MAX_K} (got {size})", field="k")
        return min(size, len(self.items))

    def _items(self, idx: np.ndarray, vals: np.ndarray) -> list[dict[str, Any]]:
        return [
            {"item": str(self.items[i]), "score": round(float(v), 6)}
            for i, v in zip(idx.tolist(), vals.tolist(), strict=True)
            if np.isfinite(v)
        ]

    # -- arrays on disk (lepton.runtime.package's array hook) --------------------------------
    def write_arrays(self, folder: Path) -> None:
        arrays = {f"family.{k}": v for k, v in self.family.arrays().items()}
        arrays.update({f"popularity.{k}": v for k, v in self.popularity.arrays().items()})
        arrays.update(
            users=self.users.astype(str),
            items=self.items.astype(str),
            known_data=self.known.data,
            known_indices=self.known.indices,
            known_indptr=self.known.indptr,
        )
        np.savez_compressed(folder / ARRAYS, **arrays)  # type: ignore[arg-type]

    def read_arrays(self, folder: Path) -> None:
        path = folder / ARRAYS
        if not path.is_file():
            raise LeptonError(f"recommend package {folder.parent} has no native/{ARRAYS}")
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        self.users, self.items = arrays["users"], arrays["items"]
        self.known = sp.csr_matrix(
            (arrays["known_data"], arrays["known_indices"], arrays["known_indptr"]),
            shape=(len(self.users), len(self.items)),
        )
        self.family = make_family(self._family_name, **self._family_params).load(
            {k.split(".", 1)[1]: v for k, v in arrays.items() if k.startswith("family.")}
        )
        self.popularity = Popularity().load(
            {k.split(".", 1)[1]: v for k, v in arrays.items() if k.startswith("popularity.")}
        )
        self._index()

    def __getstate__(self) -> dict[str, Any]:
        """Only names and settings go into the pickle; the arrays go to the ``.npz``."""
        return {
            "settings": self.settings,
            "details": self.details,
            "_family_name": self.family.name,
            "_family_params": self.family.params,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.target_name = (
            self.settings.item_column
        )  # read_arrays fills in the rest (load_native calls it)

    # -- the package contract (lepton.runtime.package.NativeModel) ---------------------------
    @property
    def input_columns(self) -> list[str]:
        return [self.settings.user_column]

    @property
    def labels(self) -> list[Any]:
        return []

    def predict_records(self, records: list[dict[str, Any]]) -> NDArray[Any]:
        """One answer object per ``{"user": …, "k": …}`` or ``{"item": …, "k": …}`` record."""
        out = []
        for record in records:
            if record.get("item") is not None:
                out.append(self.similar(record["item"], record.get("k")))
            else:
                out.append(self.recommend(record.get("user"), record.get("k")))
        return np.array(out, dtype=object)

    def predict_raw(self, frame: pd.DataFrame) -> NDArray[Any]:
        return self.predict_records(self._records(frame))

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        """Each row's user's top-k items, space-separated (``lepton predict``'s column)."""
        users = self._records(frame)
        answers = self.recommend_many([r["user"] for r in users])
        return pd.Series(
            [" ".join(i["item"] for i in a["items"]) for a in answers],
            index=frame.index,
            name=self.target_name,
        )

    def predict_proba(self, frame: pd.DataFrame) -> pd.DataFrame:
        """No probabilities: a recommender ranks items (an empty frame, one row per input)."""
        return pd.DataFrame(index=frame.index)

    def _records(self, frame: pd.DataFrame) -> list[dict[str, Any]]:
        column = self.settings.user_column
        if column not in frame.columns:
            raise DataError(f"rows need the user column {column!r}", field=column)
        return [{"user": u} for u in frame[column].astype(str)]

    def input_schema(self, frame: pd.DataFrame | None = None) -> tuple[ColumnSpec, ...]:
        s = self.settings
        columns = [
            ColumnSpec(s.user_column, "categorical", nullable=False),
            ColumnSpec(s.item_column, "categorical", nullable=False),
        ]
        if s.rating_column:
            columns.append(ColumnSpec(s.rating_column, "numeric"))
        if s.time_column:
            columns.append(ColumnSpec(s.time_column, "datetime"))
        return tuple(columns)

    def ensemble_specs(self) -> tuple[MemberSpec, ...]:
        return (MemberSpec(self.family.name, self.family.name, 1.0, dict(self.family.params), 1),)

    def manifest_extra(self) -> dict[str, Any]:
        return {
            "recommend": {
                **self.settings.to_dict(),
                "family": self.family.name,
                "params": dict(self.family.params),
                "n_users": len(self.users),
                "n_items": len(self.items),
                "fallback": FALLBACK,
                "validation": self.details.get("validation", {}),
            }
        }
