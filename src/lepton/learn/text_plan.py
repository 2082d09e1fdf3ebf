"""Which families an AutoML run searches when the table has (or lacks) text, and whether to embed.

Embedding with MiniLM costs ~10-40 ms a text on a small CPU, paid once per run before
the search. When that alone would take more than ``EMBED_BUDGET_SHARE`` of the budget
the run skips embeddings (and the embedding family) and says so, instead of spending
the whole budget on them; the TF-IDF family still runs. The estimate is timed on a
sample and inflated by ``ESTIMATE_SAFETY``: on a shared machine the load can double
while the run embeds (a 300 s rotten_tomatoes run once spent ~250 s embedding and had
no time left for TF-IDF, which is the stronger family there).
"""

from __future__ import annotations

import pandas as pd

from lepton.errors import DataError
from lepton.learn import text as textlib
from lepton.learn.families import family_names
from lepton.learn.features import USABLE_KINDS

EMBED_BUDGET_SHARE = 0.35
ESTIMATE_SAFETY = 1.5


def plan_text(
    features: pd.DataFrame,
    kinds: dict[str, str],
    families: list[str],
    *,
    explicit: bool,
    time_limit: float,
    notes: list[str],
) -> tuple[list[str], bool]:
    """(families to search, whether the encoder embeds text)."""
    text_families = family_names(inputs="text")
    text_columns = [
        c
        for c in features.columns
        if kinds.get(str(c)) == "text" and not textlib.is_blank(textlib.as_texts(features[c]))
    ]
    asked_text = [f for f in families if f in text_families]
    if not text_columns:
        if explicit and asked_text and len(asked_text) == len(families):
            raise DataError(
                f"famil(ies) {asked_text} need a non-empty text column; this table has none"
            )
        return [f for f in families if f not in text_families], False
    tabular = any(kinds.get(str(c)) in USABLE_KINDS for c in features.columns)
    if not explicit and not tabular:
        families = [f for f in families if f in text_families]  # text only: text models
    embed = "text_embedding" in families or (
        tabular and any(f not in text_families for f in families)
    )
    if embed:
        seconds = ESTIMATE_SAFETY * sum(
            textlib.estimate_embed_seconds(textlib.as_texts(features[c])) for c in text_columns
        )
        if seconds > EMBED_BUDGET_SHARE * time_limit:
            notes.append(
                f"skipped sentence embeddings: embedding the texts would take ~{seconds:.0f} s, "
                f"over {EMBED_BUDGET_SHARE:.0%} of the {time_limit:g} s budget (raise --time-limit)"
            )
            families = [f for f in families if f != "text_embedding"]
            embed = False
    if not families:
        raise DataError("no model family left to train on this table; raise --time-limit")
    return families, embed
