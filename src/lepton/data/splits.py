"""Train/test splits that are reproducible from a seed: random, stratified, group, time."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.data.schema import unknown_column_message
from lepton.errors import DataError
from lepton.runtime.columns import parse_timestamps

METHODS = ("random", "stratified", "group", "time")


def split_indices(
    frame: pd.DataFrame,
    *,
    method: str = "random",
    test_size: float = 0.2,
    seed: int = 0,
    column: str | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Row positions of (train, test). ``column``: the label (stratified), group or time column."""
    if method not in METHODS:
        raise DataError(f"unknown split method {method!r}; choose one of: {', '.join(METHODS)}")
    if not 0 < test_size < 1:
        raise DataError(f"test size must be between 0 and 1, not {test_size}")
    n = len(frame)
    if n < 2:
        raise DataError("need at least 2 rows to split")
    if method != "random":
        if column is None:
            what = {"stratified": "label", "group": "group", "time": "time"}[method]
            raise DataError(f"a {method} split needs the {what} column")
        if column not in frame.columns:
            raise DataError(unknown_column_message(column, [str(c) for c in frame.columns]))
    rng = np.random.default_rng(seed)
    if method == "random":
        order = rng.permutation(n)
        n_test = max(1, round(test_size * n))
        return np.sort(order[n_test:]), np.sort(order[:n_test])
    assert column is not None
    if method == "stratified":
        return _stratified(frame[column], test_size, rng)
    if method == "group":
        return _grouped(frame[column], test_size, rng)
    times = (
        parse_timestamps(frame[column])
        if not pd.api.types.is_numeric_dtype(frame[column])
        else frame[column]
    )
    order = np.argsort(times.to_numpy(), kind="stable")
    n_test = max(1, round(test_size * n))
    return np.sort(order[: n - n_test]), np.sort(order[n - n_test :])


def _stratified(
    labels: pd.Series, test_size: float, rng: np.random.Generator
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    codes = labels.astype(str).fillna("<missing>").to_numpy()
    test: list[NDArray[np.int64]] = []
    for value in np.unique(codes):
        members = np.flatnonzero(codes == value)
        rng.shuffle(members)
        n_test = round(test_size * len(members)) if len(members) > 1 else 0
        test.append(members[: max(n_test, 1 if len(members) > 1 else 0)])
    test_idx = np.sort(np.concatenate(test))
    train_idx = np.setdiff1d(np.arange(len(labels)), test_idx)
    return train_idx, test_idx


def _grouped(
    groups: pd.Series, test_size: float, rng: np.random.Generator
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    codes, uniques = pd.factorize(groups.astype(str))
    if len(uniques) < 2:
        raise DataError("a group split needs at least 2 distinct groups")
    sizes = np.bincount(codes)
    order = rng.permutation(len(uniques))
    chosen: list[int] = []
    total = 0
    for group in order:
        if total >= test_size * len(codes) or len(chosen) == len(uniques) - 1:
            break
        chosen.append(int(group))
        total += int(sizes[group])
    mask = np.isin(codes, chosen)
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def split_frame(frame: pd.DataFrame, **kwargs: object) -> tuple[pd.DataFrame, pd.DataFrame]:
    train, test = split_indices(frame, **kwargs)  # type: ignore[arg-type]
    return frame.iloc[train].reset_index(drop=True), frame.iloc[test].reset_index(drop=True)
