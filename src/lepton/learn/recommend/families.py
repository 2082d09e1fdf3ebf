"""The recommender families: one class each, with one fit / scores / similar API.

Every family learns from a users x items CSR matrix and keeps what it learned as plain
arrays (``arrays()`` / ``from_arrays``), which a package stores as ``.npz`` files: no
pickled library objects. ``scores`` ranks every item for some users; the caller masks
the items a user already has.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from lepton.errors import LeptonError

Arrays = dict[str, np.ndarray]


def _binary(matrix: sp.csr_matrix) -> sp.csr_matrix:
    out = matrix.copy().astype(np.float32)
    out.data[:] = 1.0
    return out


class Recommender(ABC):
    """A fitted (or fittable) recommender family with its hyperparameters."""

    name: ClassVar[str]
    grid: ClassVar[list[dict[str, Any]]] = [{}]  # the configurations the search tries, in order

    def __init__(self, **params: Any) -> None:
        self.params = params

    def _input(self, matrix: sp.csr_matrix) -> sp.csr_matrix:
        return _binary(matrix) if self.params.get("binary", True) else matrix.astype(np.float32)

    @abstractmethod
    def fit(self, matrix: sp.csr_matrix, seed: int = 0) -> Recommender:
        """Learn from the users x items interactions."""

    @abstractmethod
    def scores(self, users: np.ndarray, rows: sp.csr_matrix) -> np.ndarray:
        """(len(users), n_items) scores for users (codes) whose interactions are ``rows``."""

    @abstractmethod
    def item_vectors(self) -> np.ndarray | sp.csr_matrix:
        """What item similarity is measured on (factors or the item-item weights)."""

    def similar(self, item: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` items most like ``item`` (cosine on the family's item vectors)."""
        vectors = self.item_vectors()
        if sp.issparse(vectors):
            dense = np.asarray(vectors[item].todense()).ravel()
            sims = dense.astype(float)
        else:
            v = np.asarray(vectors, dtype=float)
            norms = np.linalg.norm(v, axis=1) + 1e-12
            sims = (v @ v[item]) / (norms * norms[item])
        sims[item] = -np.inf
        return top_k(sims[None, :], k)

    @abstractmethod
    def arrays(self) -> Arrays:
        """What the fitted family is, as named numpy arrays."""

    @abstractmethod
    def load(self, arrays: Arrays) -> Recommender:
        """Restore a fitted family from ``arrays()``'s output."""


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The best ``k`` columns of each row of ``scores``, best first (ties: lower index)."""
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    chosen = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -chosen), axis=1)
    idx = np.take_along_axis(part, order, axis=1)
    return idx, np.take_along_axis(scores, idx, axis=1)


class Popularity(Recommender):
    """Items by how many users have them: the baseline and the cold-start answer."""

    name = "popularity"

    def fit(self, matrix: sp.csr_matrix, seed: int = 0) -> Popularity:
        self.counts = np.asarray(_binary(matrix).sum(axis=0)).ravel().astype(np.float64)
        self.cooc = None
        return self

    def scores(self, users: np.ndarray, rows: sp.csr_matrix) -> np.ndarray:
        return np.tile(self.counts, (len(users), 1))

    def item_vectors(self) -> np.ndarray:
        return self.counts[:, None]

    def similar(self, item: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        sims = self.counts.copy()
        sims[item] = -np.inf
        return top_k(sims[None, :], k)

    def arrays(self) -> Arrays:
        return {"counts": self.counts}

    def load(self, arrays: Arrays) -> Popularity:
        self.counts = arrays["counts"]
        return self


class ItemKNN(Recommender):
    """Item-item cosine on the user-item matrix, shrunk towards 0 for rare co-occurrences
    (``c_ij / (|i||j| + shrink)``), keeping each item's ``neighbours`` closest items."""

    name = "item_knn"
    grid: ClassVar[list[dict[str, Any]]] = [
        {"neighbours": n, "shrink": s} for n in (50, 200) for s in (10.0, 50.0, 0.0)
    ]

    def fit(self, matrix: sp.csr_matrix, seed: int = 0) -> ItemKNN:
        x = self._input(matrix).tocsc()
        gram = (x.T @ x).tocsr().astype(np.float64)
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=0)).ravel())
        gram.setdiag(0.0)
        gram.eliminate_zeros()
        coo = gram.tocoo()
        shrink = float(self.params.get("shrink", 10.0))
        values = coo.data / (norms[coo.row] * norms[coo.col] + shrink + 1e-12)
        sims = sp.csr_matrix((values, (coo.row, coo.col)), shape=gram.shape)
        self.similarity = _keep_top(sims, int(self.params.get("neighbours", 100)))
        return self

    def scores(self, users: np.ndarray, rows: sp.csr_matrix) -> np.ndarray:
        return np.asarray((self._input(rows) @ self.similarity).todense())

    def item_vectors(self) -> sp.csr_matrix:
        return self.similarity.T.tocsr()

    def arrays(self) -> Arrays:
        s = self.similarity
        return {
            "data": s.data,
            "indices": s.indices,
            "indptr": s.indptr,
            "shape": np.array(s.shape),
        }

    def load(self, arrays: Arrays) -> ItemKNN:
        shape = tuple(int(v) for v in arrays["shape"])
        self.similarity = sp.csr_matrix(
            (arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape
        )
        return self


def _keep_top(matrix: sp.csr_matrix, n: int) -> sp.csr_matrix:
    """Each column's ``n`` largest entries (an item's neighbours are its column j: i → j)."""
    csc = matrix.tocsc()
    rows, cols, vals = [], [], []
    for j in range(csc.shape[1]):
        start, end = csc.indptr[j], csc.indptr[j + 1]
        data, idx = csc.data[start:end], csc.indices[start:end]
        if len(data) > n:
            keep = np.argpartition(-data, n - 1)[:n]
            data, idx = data[keep], idx[keep]
        rows.append(idx)
        cols.append(np.full(len(idx), j))
        vals.append(data)
    if not rows:
        return matrix
    return sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=matrix.shape
    )


class EASE(Recommender):
    """Embarrassingly Shallow Autoencoder (Steck 2019): the closed-form item-item ridge
    regression with a zero diagonal; strong on catalogues of up to a few thousand items."""

    name = "ease"
    max_items: ClassVar[int] = 8000  # the item-item inverse is dense: n_items² memory
    grid: ClassVar[list[dict[str, Any]]] = [{"l2": v} for v in (250.0, 50.0, 1000.0, 3000.0)]

    def fit(self, matrix: sp.csr_matrix, seed: int = 0) -> EASE:
        if matrix.shape[1] > self.max_items:
            raise LeptonError(f"ease handles at most {self.max_items} items")
        x = self._input(matrix)
        gram = np.asarray((x.T @ x).todense(), dtype=np.float64)
        gram[np.diag_indices_from(gram)] += float(self.params.get("l2", 250.0))
        p = np.linalg.inv(gram)
        b = -p / np.diag(p)[None, :]
        b[np.diag_indices_from(b)] = 0.0
        self.weights = b.astype(np.float32)
        return self

    def scores(self, users: np.ndarray, rows: sp.csr_matrix) -> np.ndarray:
        return np.asarray(self._input(rows) @ self.weights)

    def item_vectors(self) -> np.ndarray:
        return self.weights.T

    def arrays(self) -> Arrays:
        return {"weights": self.weights}

    def load(self, arrays: Arrays) -> EASE:
        self.weights = arrays["weights"]
        return self


class ALS(Recommender):
    """Implicit-feedback matrix factorisation (``implicit``'s alternating least squares)."""

    name = "als"
    grid: ClassVar[list[dict[str, Any]]] = [
        {"factors": f, "regularization": r, "iterations": 15, "alpha": a}
        for f, r, a in (
            (64, 0.05, 1.0),
            (32, 0.1, 1.0),
            (128, 0.1, 1.0),
            (64, 1.0, 10.0),
            (32, 0.01, 10.0),
        )
    ]

    def fit(self, matrix: sp.csr_matrix, seed: int = 0) -> ALS:
        from implicit.cpu.als import AlternatingLeastSquares  # type: ignore[import-untyped]
        from threadpoolctl import threadpool_limits

        # implicit runs its own threads; a BLAS pool inside each of them oversubscribes the
        # cores (implicit warns and slows down several-fold), so BLAS gets one thread here
        with threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(
                factors=int(self.params.get("factors", 64)),
                regularization=float(self.params.get("regularization", 0.05)),
                alpha=float(self.params.get("alpha", 1.0)),
                iterations=int(self.params.get("iterations", 15)),
                random_state=seed,
                num_threads=0,
            )
            model.fit(self._input(matrix).tocsr(), show_progress=False)
        self.user_factors = np.asarray(model.user_factors, dtype=np.float32)
        self.item_factors = np.asarray(model.item_factors, dtype=np.float32)
        return self

    def scores(self, users: np.ndarray, rows: sp.csr_matrix) -> np.ndarray:
        return np.asarray(self.user_factors[users] @ self.item_factors.T)

    def item_vectors(self) -> np.ndarray:
        return self.item_factors

    def arrays(self) -> Arrays:
        return {"user_factors": self.user_factors, "item_factors": self.item_factors}

    def load(self, arrays: Arrays) -> ALS:
        self.user_factors, self.item_factors = arrays["user_factors"], arrays["item_factors"]
        return self


FAMILIES: dict[str, type[Recommender]] = {cls.name: cls for cls in (Popularity, ItemKNN, EASE, ALS)}


def family_names() -> list[str]:
    """Every family, cheapest first (the order the search runs them in)."""
    return list(FAMILIES)


def make_family(name: str, **params: Any) -> Recommender:
    if name not in FAMILIES:
        raise LeptonError(f"unknown recommender family {name!r}; known: {', '.join(FAMILIES)}")
    return FAMILIES[name](**params)
