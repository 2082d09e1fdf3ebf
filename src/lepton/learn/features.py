"""Turn a DataFrame into the arrays every model family starts from.

One encoder is fitted per AutoML run on the training rows. It keeps numeric
columns as floats (NaN = missing) and maps categoricals to integer codes
(-1 = missing or unseen), so each family can then build what it needs: trees
take codes natively, linear models and k-NN take one-hot and scaled numbers,
the MLP takes codes into embeddings.

Text columns are kept as strings (``Encoded.text``) for the text families, and give
every family a few numbers: characters and words per text and, when the run embeds
text, the leading principal components of the MiniLM sentence embedding (fitted on the
training rows, no labels). The full embeddings ride along in ``Encoded.emb``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.errors import DataError
from lepton.learn import text as textlib
from lepton.runtime.columns import DATETIME_PARTS, booleans, date_parts

MAX_CATEGORIES = 254  # more distinct values than this share an "other" code
USABLE_KINDS = ("numeric", "boolean", "categorical", "datetime")

TEXT_PCA_COMPONENTS = 16  # embedding components per text column handed to every family

F32 = NDArray[np.float32]
I32 = NDArray[np.int32]


@dataclass
class Encoded:
    """Model-ready arrays for a batch of rows."""

    num: F32  # (n, n_num) floats, NaN = missing
    cat: I32  # (n, n_cat) codes, -1 = missing/unseen
    cardinalities: list[int]
    text: NDArray[np.object_] | None = None  # (n, n_text) strings, "" = missing
    emb: F32 | None = None  # (n, 384 * n_text) sentence embeddings, when the run embeds

    def __len__(self) -> int:
        return int(self.num.shape[0])

    def take(self, rows: NDArray[np.int64]) -> Encoded:
        text = None if self.text is None else self.text[rows]
        emb = None if self.emb is None else self.emb[rows]
        return Encoded(self.num[rows], self.cat[rows], self.cardinalities, text, emb)


@dataclass
class FeatureEncoder:
    """Learns column roles and category vocabularies; ``transform`` is cheap and stateless."""

    kinds: dict[str, str]
    embed_text: bool = False  # add MiniLM embeddings of text columns (see lepton.learn.text)
    numeric_: list[str] = field(default_factory=list)
    boolean_: list[str] = field(default_factory=list)
    datetime_: list[str] = field(default_factory=list)
    categorical_: dict[str, list[Any]] = field(default_factory=dict)
    dropped_: dict[str, str] = field(default_factory=dict)
    num_names_: list[str] = field(default_factory=list)
    text_: list[str] = field(default_factory=list)
    text_pca_: dict[str, Any] = field(default_factory=dict)

    def __setstate__(self, state: dict[str, Any]) -> None:
        # encoders pickled before text support lack the text fields
        self.__dict__.update({"embed_text": False, "text_": [], "text_pca_": {}, **state})

    def fit(self, frame: pd.DataFrame) -> FeatureEncoder:
        for column in frame.columns:
            kind = self.kinds.get(str(column), "categorical")
            values = frame[column]
            if values.isna().all():
                self.dropped_[column] = "all values missing"
            elif values.nunique(dropna=True) < 2 and not values.isna().any():
                self.dropped_[column] = "constant"
            elif kind == "text":
                texts = textlib.as_texts(values)
                if textlib.is_blank(texts):
                    self.dropped_[column] = "every text is empty"
                    continue
                textlib.check_texts(str(column), texts)
                self.text_.append(column)
            elif kind not in USABLE_KINDS:
                self.dropped_[column] = {
                    "text": "free text (text models come with the text task)",
                    "id": "identifier: unique per row, carries no signal",
                    "image_path": "image path (image models come with the image task)",
                }.get(kind, f"unsupported kind {kind}")
            elif kind == "numeric":
                self.numeric_.append(column)
            elif kind == "boolean":
                self.boolean_.append(column)
            elif kind == "datetime":
                self.datetime_.append(column)
            else:
                counts = values.dropna().astype(str).value_counts()
                self.categorical_[column] = list(counts.index[:MAX_CATEGORIES])
        self.num_names_ = (
            list(self.numeric_)
            + list(self.boolean_)
            + [f"{c}.{part}" for c in self.datetime_ for part in DATETIME_PARTS]
        )
        self._fit_text(frame)
        if not self.num_names_ and not self.categorical_:
            reasons = "; ".join(f"{c}: {r}" for c, r in self.dropped_.items())
            raise DataError(f"no usable feature columns ({reasons})")
        return self

    def _fit_text(self, frame: pd.DataFrame) -> None:
        """Text statistics (and embedding components) join the numeric block, per column."""
        for column in self.text_:
            self.num_names_ += [f"{column}.chars", f"{column}.words"]
            if self.embed_text:
                from sklearn.decomposition import PCA

                vectors = textlib.embed(textlib.as_texts(frame[column]))
                k = max(1, min(TEXT_PCA_COMPONENTS, len(vectors) - 1, vectors.shape[1]))
                self.text_pca_[column] = PCA(n_components=k, random_state=0).fit(vectors)
                self.num_names_ += [f"{column}.emb{i}" for i in range(k)]

    @property
    def input_columns(self) -> list[str]:
        return self.numeric_ + self.boolean_ + self.datetime_ + list(self.categorical_) + self.text_

    @property
    def feature_names(self) -> list[str]:
        return self.num_names_ + list(self.categorical_)

    def transform(self, frame: pd.DataFrame) -> Encoded:
        missing = [c for c in self.input_columns if c not in frame.columns]
        if missing:
            raise DataError(f"input is missing column(s): {', '.join(map(str, missing))}")
        n = len(frame)
        parts: list[F32] = []
        if self.numeric_:
            block = frame[self.numeric_].apply(pd.to_numeric, errors="coerce")
            parts.append(block.to_numpy(dtype=np.float32, na_value=np.nan).reshape(n, -1))
        for column in self.boolean_:
            parts.append(booleans(frame[column]).reshape(n, 1))
        for column in self.datetime_:
            parts.append(date_parts(frame[column]))
        texts: list[NDArray[np.object_]] = []
        vectors: list[F32] = []
        for column in self.text_:
            texts.append(textlib.as_texts(frame[column]))
            parts.append(textlib.text_stats(texts[-1]))
            if self.embed_text:
                vectors.append(textlib.embed(texts[-1]))
                pca = self.text_pca_[column]
                parts.append(pca.transform(vectors[-1]).astype(np.float32))
        num = np.hstack(parts) if parts else np.zeros((n, 0), dtype=np.float32)
        cat = np.full((n, len(self.categorical_)), -1, dtype=np.int32)
        for j, (column, vocabulary) in enumerate(self.categorical_.items()):
            lookup = pd.Index(vocabulary)
            values = frame[column].astype("string").astype(object)
            codes = lookup.get_indexer(values.where(values.notna(), None))
            cat[:, j] = codes
        return Encoded(
            num,
            cat,
            [len(v) for v in self.categorical_.values()],
            np.column_stack(texts) if texts else None,
            np.hstack(vectors) if vectors else None,
        )

    def describe_drops(self) -> list[str]:
        return [f"dropped column {c!r}: {why}" for c, why in self.dropped_.items()]
