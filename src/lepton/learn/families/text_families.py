"""Text families: TF-IDF n-grams + a linear model, and MiniLM sentence embeddings + a head.

Both read the text columns from ``Encoded.text`` / ``Encoded.emb`` and put the table's
other columns next to them through the same ``DenseEncoder`` the linear family uses
(imputed, scaled numbers incl. text length and embedding components; one-hot
categories), so a table with text and other columns is one model, not two.

TF-IDF vocabularies are fitted on the training fold only, so out-of-fold scores stay
honest. Embeddings are computed once per AutoML run by the encoder (cached by text
hash); a trial only fits the head on them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from lepton.errors import DataError
from lepton.learn.families.base import (
    DenseEncoder,
    FitResult,
    FloatArray,
    TaskInfo,
    estimator_outputs,
)
from lepton.learn.families.registry import FamilySpec
from lepton.learn.features import Encoded

if TYPE_CHECKING:
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer

CHAR_RANGES = {"2-5": (2, 5), "1-4": (1, 4), "3-6": (3, 6)}
MAX_FEATURES = (50_000, 100_000, 200_000)


def _texts(data: Encoded) -> NDArray[np.object_]:
    if data.text is None or data.text.shape[1] == 0:
        raise DataError("this family needs a text column; the table has none")
    return data.text


def _dense(encoder: DenseEncoder, data: Encoded) -> NDArray[np.float32]:
    return encoder.transform(data)


@dataclass
class TfidfModel:
    """Per text column a word and a char TF-IDF, then the dense tabular block, then a linear model."""

    vectorizers: list[tuple[TfidfVectorizer, TfidfVectorizer]]
    encoder: DenseEncoder
    estimator: Any
    info: TaskInfo
    nb_ratio: NDArray[np.float32] | None = None  # NB log-count ratios scaling the n-grams

    def ngrams(self, data: Encoded) -> sp.csr_matrix:
        import scipy.sparse as sp

        texts = _texts(data)
        blocks: list[Any] = []
        for j, (words, chars) in enumerate(self.vectorizers):
            column = texts[:, j]
            blocks += [words.transform(column), chars.transform(column)]
        return sp.hstack(blocks, format="csr")

    def matrix(self, data: Encoded) -> sp.csr_matrix:
        import scipy.sparse as sp

        grams = self.ngrams(data)
        if self.nb_ratio is not None:
            grams = sp.csr_matrix(grams.multiply(self.nb_ratio))
        dense = sp.csr_matrix(_dense(self.encoder, data))
        return sp.hstack([grams, dense], format="csr")

    def predict(self, data: Encoded) -> FloatArray:
        matrix = self.matrix(data)
        return estimator_outputs(self.estimator, matrix, self.info)


class TfidfTextFamily:
    """Word 1-2-grams + char n-grams, sublinear tf: the strong classic text baseline.

    For binary tasks the n-gram columns may be scaled by naive-Bayes log-count ratios
    before the logistic regression (NB-LR, Wang & Manning 2012), which is consistently
    a point or two better on short sentiment-like texts; the search decides.
    """

    name = "text_tfidf"

    def default_params(self, info: TaskInfo, n_rows: int) -> dict[str, Any]:
        base: dict[str, Any] = {"word_max_n": 2, "char_range": "2-5", "max_features": 100_000}
        if info.task == "binary":
            return {**base, "C": 16.0, "nb": True}
        return {**base, "C": 4.0} if info.is_classification else {**base, "alpha": 1.0}

    def portfolio(self, info: TaskInfo, n_rows: int) -> list[dict[str, Any]]:
        default = self.default_params(info, n_rows)
        if info.task != "binary":
            return [default]
        return [default, {**default, "C": 4.0, "nb": False}]

    def suggest(self, trial: Any, info: TaskInfo, n_rows: int) -> dict[str, Any]:
        params: dict[str, Any] = {
            "word_max_n": trial.suggest_int("word_max_n", 1, 3),
            "char_range": trial.suggest_categorical("char_range", list(CHAR_RANGES)),
            "max_features": trial.suggest_categorical("max_features", list(MAX_FEATURES)),
        }
        if info.task == "binary":
            params["nb"] = trial.suggest_categorical("nb", [True, False])
        if info.is_classification:
            params["C"] = trial.suggest_float("C", 0.1, 100.0, log=True)
        else:
            params["alpha"] = trial.suggest_float("alpha", 0.01, 30.0, log=True)
        return params

    def fit(
        self,
        train: Encoded,
        y: NDArray[Any],
        valid: Encoded,
        y_valid: NDArray[Any],
        params: dict[str, Any],
        info: TaskInfo,
        deadline: float,
    ) -> FitResult:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression, Ridge

        texts = _texts(train)
        vectorizers = []
        for j in range(texts.shape[1]):
            words = TfidfVectorizer(
                ngram_range=(1, int(params["word_max_n"])),
                sublinear_tf=True,
                min_df=1 if len(texts) < 2_000 else 2,
                max_features=int(params["max_features"]),
                dtype=np.float32,
            )
            chars = TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=CHAR_RANGES[str(params["char_range"])],
                sublinear_tf=True,
                min_df=1 if len(texts) < 2_000 else 2,
                max_features=int(params["max_features"]),
                dtype=np.float32,
            )
            words.fit(texts[:, j])
            chars.fit(texts[:, j])
            vectorizers.append((words, chars))
        model = TfidfModel(vectorizers, DenseEncoder().fit(train), None, info)
        if params.get("nb") and info.task == "binary":
            model.nb_ratio = _nb_ratio(model.ngrams(train), y)
        matrix = model.matrix(train)
        if info.is_classification:
            model.estimator = LogisticRegression(C=float(params["C"]), max_iter=1000)
        else:
            model.estimator = Ridge(alpha=float(params["alpha"]))
        model.estimator.fit(matrix, y)
        return FitResult(model, stopped_by_deadline=time.monotonic() > deadline)


@dataclass
class EmbeddingModel:
    """Standardised [sentence embeddings, dense tabular block] into a logistic/MLP/ridge head."""

    encoder: DenseEncoder
    mean: NDArray[np.float32]
    scale: NDArray[np.float32]
    estimator: Any
    info: TaskInfo

    def matrix(self, data: Encoded) -> NDArray[np.float32]:
        if data.emb is None:
            raise DataError("the embedding family needs text embeddings; the encoder made none")
        raw = np.hstack([data.emb, _dense(self.encoder, data)])
        return ((raw - self.mean) / self.scale).astype(np.float32)

    def predict(self, data: Encoded) -> FloatArray:
        matrix = self.matrix(data)
        return estimator_outputs(self.estimator, matrix, self.info)


class EmbeddingTextFamily:
    """all-MiniLM-L6-v2 sentence embeddings (frozen) with a trained head."""

    name = "text_embedding"

    def default_params(self, info: TaskInfo, n_rows: int) -> dict[str, Any]:
        return {"head": "linear", "C": 0.5, "alpha": 1.0, "hidden": 256}

    def portfolio(self, info: TaskInfo, n_rows: int) -> list[dict[str, Any]]:
        """The linear head first (fast, strong on frozen embeddings), then a small MLP."""
        default = self.default_params(info, n_rows)
        return [default, {**default, "head": "mlp", "alpha": 1e-3}]

    def suggest(self, trial: Any, info: TaskInfo, n_rows: int) -> dict[str, Any]:
        head = trial.suggest_categorical("head", ["linear", "mlp"])
        params: dict[str, Any] = {"head": head, "C": 0.5, "alpha": 1.0, "hidden": 256}
        if head == "linear":
            params["C"] = trial.suggest_float("C", 0.01, 10.0, log=True)
            params["alpha"] = trial.suggest_float("alpha", 0.1, 100.0, log=True)
        else:
            params["hidden"] = trial.suggest_categorical("hidden", [128, 256, 512])
            params["alpha"] = trial.suggest_float("alpha", 1e-5, 1e-1, log=True)
        return params

    def fit(
        self,
        train: Encoded,
        y: NDArray[Any],
        valid: Encoded,
        y_valid: NDArray[Any],
        params: dict[str, Any],
        info: TaskInfo,
        deadline: float,
    ) -> FitResult:
        from sklearn.linear_model import LogisticRegression, Ridge
        from sklearn.neural_network import MLPClassifier, MLPRegressor

        if train.emb is None:
            raise DataError("the embedding family needs text embeddings; the encoder made none")
        encoder = DenseEncoder().fit(train)
        raw = np.hstack([train.emb, encoder.transform(train)])
        mean = raw.mean(axis=0).astype(np.float32)
        std = raw.std(axis=0)
        scale = np.where(std > 0, std, 1.0).astype(np.float32)
        model = EmbeddingModel(encoder, mean, scale, None, info)
        matrix = model.matrix(train)
        mlp = params["head"] == "mlp"
        if info.is_classification:
            model.estimator = (
                _mlp(MLPClassifier, params, info)
                if mlp
                else LogisticRegression(C=float(params["C"]), max_iter=2000)
            )
        else:
            model.estimator = (
                _mlp(MLPRegressor, params, info) if mlp else Ridge(alpha=float(params["alpha"]))
            )
        model.estimator.fit(matrix, y)
        return FitResult(model, stopped_by_deadline=time.monotonic() > deadline)


def _nb_ratio(grams: sp.csr_matrix, y: NDArray[Any]) -> NDArray[np.float32]:
    """log((p / |p|) / (q / |q|)) with add-one smoothing: how much each n-gram favours class 1."""
    positive = np.asarray(grams[y == 1].sum(axis=0)).ravel() + 1.0
    negative = np.asarray(grams[y == 0].sum(axis=0)).ravel() + 1.0
    ratio = np.log(positive / positive.sum()) - np.log(negative / negative.sum())
    return np.asarray(ratio, dtype=np.float32)


def _mlp(cls: Any, params: dict[str, Any], info: TaskInfo) -> Any:
    return cls(
        hidden_layer_sizes=(int(params["hidden"]),),
        alpha=float(params["alpha"]),
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=5,
        max_iter=200,
        random_state=info.seed,
    )


FAMILIES = (
    FamilySpec(
        "text_tfidf",
        TfidfTextFamily,
        inputs="text",
        default=0,
        no_export_reason=(
            "scikit-learn TF-IDF with char_wb n-grams has no exact ONNX counterpart (skl2onnx "
            "has no char_wb analyzer and its tokenizer is not verified to split text alike)"
        ),
        interruptible=False,
    ),
    FamilySpec(
        "text_embedding",
        EmbeddingTextFamily,
        inputs="text",
        default=1,
        no_export_reason=(
            "its input, the MiniLM sentence embedding, is computed by the encoder outside "
            "the serving graph"
        ),
        interruptible=False,
    ),
)
