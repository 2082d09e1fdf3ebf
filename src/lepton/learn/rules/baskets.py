"""Baskets from a long ``(transaction, item)`` table, as a sparse one-hot matrix.

Why sparse: 100k baskets over thousands of items is a dense boolean frame of hundreds
of MB; a CSR matrix holds only the items bought. mlxtend's fpgrowth takes a pandas
frame with sparse columns and reads it back as CSR.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from lepton.errors import DataError


@dataclass
class Baskets:
    """One row per transaction; ``matrix[t, i]`` is True when item ``items[i]`` is in it."""

    ids: list[str]
    items: list[str]
    matrix: sp.csr_matrix

    def __len__(self) -> int:
        return len(self.ids)

    def lists(self) -> list[list[str]]:
        items = np.asarray(self.items, dtype=object)
        m = self.matrix
        return [list(items[m.indices[m.indptr[r] : m.indptr[r + 1]]]) for r in range(m.shape[0])]

    def sizes(self) -> np.ndarray:
        return np.diff(self.matrix.indptr)

    def take(self, rows: np.ndarray) -> Baskets:
        return Baskets([self.ids[r] for r in rows], self.items, self.matrix[rows])

    def frame(self) -> pd.DataFrame:
        """The sparse one-hot frame mlxtend's fpgrowth reads (bool, item names as columns)."""
        matrix = self.matrix.astype(bool).tocsc()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # pandas on a bool fill value
            frame: pd.DataFrame = pd.DataFrame.sparse.from_spmatrix(  # type: ignore[attr-defined]
                matrix, columns=self.items
            )
        return frame


def build_baskets(frame: pd.DataFrame, transaction_column: str, item_column: str) -> Baskets:
    """Group the table's rows into baskets, or a DataError naming the column at fault."""
    for column, flag in (
        (transaction_column, "--transaction-column"),
        (item_column, "--item-column"),
    ):
        if column not in frame.columns:
            raise DataError(
                f"{flag} {column!r} is not a column; columns: {', '.join(map(str, frame.columns))}",
                field=column,
            )
    pairs = frame[[transaction_column, item_column]].dropna()
    if pairs.empty:
        raise DataError(
            f"no rows with both {transaction_column!r} and {item_column!r}: the baskets are empty",
            field=item_column,
        )
    transactions = pairs[transaction_column].astype(str)
    items = pairs[item_column].astype(str).str.strip()
    keep = items != ""
    transactions, items = transactions[keep], items[keep]
    t_codes, t_names = pd.factorize(transactions, sort=False)
    i_codes, i_names = pd.factorize(items, sort=True)
    data = np.ones(len(t_codes), dtype=np.int8)
    matrix = sp.csr_matrix((data, (t_codes, i_codes)), shape=(len(t_names), len(i_names)))
    matrix.sum_duplicates()
    matrix.data[:] = 1
    baskets = Baskets([str(t) for t in t_names], [str(i) for i in i_names], matrix)
    sizes = baskets.sizes()
    if len(baskets) < 2 or int((sizes >= 2).sum()) < 2:
        raise DataError(
            f"every transaction in {transaction_column!r} holds a single item of {item_column!r}: "
            "rules need baskets of two or more items (is the transaction column the basket id?)",
            field=transaction_column,
        )
    return baskets
