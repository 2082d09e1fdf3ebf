"""One small example dataset per model kind, for the kinds conformance suite.

A new kind registers in ``lepton.runtime.kinds``; ``test_kinds`` then fails until its
example is added here, so no kind ships without passing the suite.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lepton.data.catalog import DataCatalog
from tests.images.conftest import pattern_images, write_folder
from tests.text.conftest import make_reviews


@dataclass
class KindExample:
    """A registered train and test dataset, and raw request rows for the kind's codec."""

    train_ref: str
    test_ref: str  # rows the lifecycle asks the model with
    families: list[str] | None  # a fast subset for the suite; None: the kind's own choice
    request_rows: Callable[[pd.DataFrame], list[Any]]
    time_limit: float = 8.0
    task: str | None = None  # a task that names its kind (forecast); None: inferred
    options: dict[str, Any] | None = None  # the kind's own training options
    inputs: Callable[[pd.DataFrame], pd.DataFrame] | None = None  # test rows → model input
    held_out: bool = True  # whether the test rows are held-out labelled data to score

    def features(self, test: pd.DataFrame, target: str) -> pd.DataFrame:
        """What the model is asked with: the rows without the target, unless the kind says."""
        return self.inputs(test) if self.inputs else test.drop(columns=[target])


def _records(frame: pd.DataFrame) -> list[Any]:
    return list(frame.drop(columns=[c for c in ("y", "label") if c in frame]).to_dict("records"))


def _table(catalog: DataCatalog, root: Path) -> KindExample:
    rng = np.random.default_rng(3)
    n = 240
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    color = rng.choice(["red", "green", "blue"], size=n)
    flag = rng.random(n) < 0.5
    logit = 1.5 * x1 - x2 + np.where(color == "red", 1.0, -0.5) + 0.5 * flag
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    frame = pd.DataFrame({"x1": x1, "x2": x2, "color": color, "flag": flag, "y": y})
    train = catalog.add_frame(frame.iloc[:180], name="kind-table", target="y")[0]
    test = catalog.add_frame(frame.iloc[180:], name="kind-table-test", target="y")[0]
    return KindExample(train.ref, test.ref, ["lightgbm", "linear"], _records)


def _text(catalog: DataCatalog, root: Path) -> KindExample:
    train = catalog.add_frame(make_reviews(150, seed=2), name="kind-text", target="label")[0]
    test = catalog.add_frame(make_reviews(40, seed=4), name="kind-text-test", target="label")[0]
    return KindExample(train.ref, test.ref, ["text_tfidf"], _records)


def _image_rows(frame: pd.DataFrame) -> list[Any]:
    """What the image codec reads from an upload: one file's bytes per image."""
    return [
        {"field": f"file[{i}]", "data": Path(path).read_bytes()}
        for i, path in enumerate(frame["image"])
    ]


def _image(catalog: DataCatalog, root: Path) -> KindExample:
    images, labels = pattern_images(90, seed=5)
    train = catalog.add(write_folder(root / "train", images[:60], labels[:60]), name="kind-img")[0]
    test = catalog.add(write_folder(root / "test", images[60:], labels[60:]), name="kind-img-test")[
        0
    ]
    return KindExample(train.ref, test.ref, None, _image_rows, time_limit=6.0)


def _forecast_request(history: pd.DataFrame) -> list[Any]:
    """A /forecast body: the recent history of two stores (JSON-ready timestamps)."""
    rows = history.assign(day=history["day"].dt.strftime("%Y-%m-%d")).to_dict("records")
    return [{"history": rows, "horizon": 5}]


def _forecast(catalog: DataCatalog, root: Path) -> KindExample:
    rng = np.random.default_rng(6)
    days = pd.date_range("2024-01-01", periods=70, freq="D")
    parts = []
    for store, level in (("a", 10.0), ("b", 40.0)):
        weekly = 0.2 * level * np.sin(2 * np.pi * np.arange(70) / 7)
        noise = rng.normal(0, 0.02 * level, 70)
        parts.append(pd.DataFrame({"store": store, "day": days, "sales": level + weekly + noise}))
    frame = pd.concat(parts, ignore_index=True)
    train = catalog.add_frame(frame, name="kind-forecast", target="sales")[0]
    history = frame.groupby("store").tail(30).reset_index(drop=True)  # recent history sent
    test = catalog.add_frame(history, name="kind-forecast-history", target="sales")[0]
    return KindExample(
        train.ref,
        test.ref,
        ["seasonal_naive", "gbm_global"],
        _forecast_request,
        time_limit=15.0,
        task="forecast",
        options={"time_column": "day", "horizon": 5, "id_column": "store"},
        inputs=lambda rows: rows,  # a forecaster is asked with history, target included
        held_out=False,  # recent history of the training series, not future actuals
    )


def _blobs(seed: int, n: int) -> pd.DataFrame:
    """Three groups in two numbers and a category (their segment), for clustering."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, size=n)
    centers = np.array([[0.0, 0.0], [5.0, 5.0], [0.0, 6.0]])
    xy = centers[group] + rng.normal(0, 0.6, size=(n, 2))
    segment = np.array(["a", "b", "c"])[group]
    return pd.DataFrame({"x1": xy[:, 0], "x2": xy[:, 1], "segment": segment})


def _clustering(catalog: DataCatalog, root: Path) -> KindExample:
    train = catalog.add_frame(_blobs(7, 180), name="kind-cluster")[0]
    test = catalog.add_frame(_blobs(8, 40), name="kind-cluster-test")[0]
    return KindExample(
        train.ref,
        test.ref,
        ["kmeans"],
        _records,
        time_limit=8.0,
        task="clustering",
        inputs=lambda rows: rows,  # no target: the rows are the input
        held_out=False,  # no labels to score held-out rows against
    )


EXAMPLES: dict[str, Callable[[DataCatalog, Path], KindExample]] = {
    "tabular": _table,
    "text": _text,
    "image": _image,
    "forecast": _forecast,
    "clustering": _clustering,
}


def _rules_request(rows: pd.DataFrame) -> list[Any]:
    """One basket per row of the long table: the items of that row's transaction."""
    baskets = rows.groupby("transaction")["item"].apply(lambda s: list(dict.fromkeys(s)))
    return [{"items": baskets[t]} for t in rows["transaction"]]


def _rules(catalog: DataCatalog, root: Path) -> KindExample:
    from lepton.learn.rules.synthetic import quest_baskets

    frame = quest_baskets(600, n_items=80, n_patterns=20, mean_size=5.0, seed=7)
    cut = frame["transaction"].isin(pd.unique(frame["transaction"])[:480])
    train = catalog.add_frame(frame[cut], name="kind-rules")[0]
    test = catalog.add_frame(frame[~cut], name="kind-rules-test")[0]
    return KindExample(
        train.ref,
        test.ref,
        None,
        _rules_request,
        time_limit=6.0,
        task="rules",
        options={"transaction_column": "transaction", "item_column": "item"},
        inputs=lambda rows: rows,  # asked with baskets: no target column to drop
    )


EXAMPLES["rules"] = _rules


def _anomaly(catalog: DataCatalog, root: Path) -> KindExample:
    from tests.anomaly.conftest import planted

    frame = planted(200, seed=11).drop(columns="is_fraud")
    train = catalog.add_frame(frame.iloc[:160], name="kind-anomaly")[0]
    test = catalog.add_frame(frame.iloc[160:], name="kind-anomaly-test")[0]
    return KindExample(
        train.ref,
        test.ref,
        None,
        _records,
        time_limit=15.0,
        task="anomaly",
        inputs=lambda rows: rows,  # no target column: every column is a feature
        held_out=False,  # unlabelled rows
    )


EXAMPLES["anomaly"] = _anomaly


def _recommend_request(rows: pd.DataFrame) -> list[Any]:
    """A /recommend body's records: one per test user."""
    return [{"user": str(u), "k": 5} for u in rows["user"]]


def _recommend(catalog: DataCatalog, root: Path) -> KindExample:
    rng = np.random.default_rng(7)
    rows = []
    for u in range(40):  # even users like items a*, odd users b*
        group = "ab"[u % 2]
        for t, i in enumerate(rng.choice(10, size=6, replace=False)):
            rows.append({"user": f"u{u}", "item": f"{group}{i}", "ts": t})
    frame = pd.DataFrame(rows)
    train = catalog.add_frame(frame, name="kind-recommend")[0]
    users = pd.DataFrame({"user": [f"u{u}" for u in range(0, 40, 4)] + ["stranger"]})
    test = catalog.add_frame(users, name="kind-recommend-users")[0]
    return KindExample(
        train.ref,
        test.ref,
        ["popularity", "item_knn"],
        _recommend_request,
        task="recommend",
        options={"user_column": "user", "item_column": "item", "time_column": "ts", "k": 5},
        inputs=lambda rows: rows,  # users to recommend for (no target column)
        held_out=False,  # users to ask about, not later interactions to score
    )


EXAMPLES["recommend"] = _recommend


def _ner(catalog: DataCatalog, root: Path) -> KindExample:
    from lepton.learn.ner.synthetic import ticket_texts

    train = catalog.add_frame(ticket_texts(160, seed=4), name="kind-ner")[0]
    test = catalog.add_frame(ticket_texts(30, seed=5), name="kind-ner-test")[0]
    return KindExample(
        train.ref,
        test.ref,
        None,
        lambda rows: [{"text": t} for t in rows["text"]],
        time_limit=20.0,
        task="ner",
        inputs=lambda rows: rows[["text"]],
    )


EXAMPLES["ner"] = _ner


def _speech(catalog: DataCatalog, root: Path) -> KindExample:
    from tests.speech.conftest import SENTENCES, clip_folder

    train = catalog.add(clip_folder(root / "train", SENTENCES[:4]), name="kind-speech")[0]
    test = catalog.add(clip_folder(root / "test", SENTENCES[4:6]), name="kind-speech-test")[0]
    return KindExample(
        train.ref,
        test.ref,
        None,
        lambda rows: [
            {"field": f"file[{i}]", "data": Path(p).read_bytes()}
            for i, p in enumerate(rows["audio"])
        ],
        time_limit=20.0,
        inputs=lambda rows: rows[["audio"]],
    )


EXAMPLES["speech"] = _speech
