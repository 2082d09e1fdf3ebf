"""Word error rate, on text normalised the way listeners would not count as an error.

Whisper writes "Mr. Dashwood", "ill-disposed" and "7"; a transcript says "mister
dashwood", "ill disposed" and "seven". Scoring raw strings would charge the engine for
spelling, so both sides are lower-cased, stripped of punctuation, hyphens split, common
titles expanded and whole numbers spelt out before the word-level edit distance.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

ABBREVIATIONS = {"mr": "mister", "mrs": "missus", "dr": "doctor", "st": "saint", "ok": "okay"}
ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_NUMBER = re.compile(r"\d+")
_NOT_WORD = re.compile(r"[^a-z0-9' ]+")


def spell(number: int) -> str:
    """Whole numbers below a million in words (ASR transcripts spell them)."""
    if number < 20:
        return ONES[number]
    if number < 100:
        tens, ones = divmod(number, 10)
        return TENS[tens] + (f" {ONES[ones]}" if ones else "")
    if number < 1000:
        hundreds, rest = divmod(number, 100)
        return f"{ONES[hundreds]} hundred" + (f" {spell(rest)}" if rest else "")
    if number < 1_000_000:
        thousands, rest = divmod(number, 1000)
        return f"{spell(thousands)} thousand" + (f" {spell(rest)}" if rest else "")
    return " ".join(ONES[int(d)] for d in str(number))  # a phone or account number


def normalise(text: str) -> list[str]:
    text = text.lower().replace("-", " ").replace("\u2019", "'")
    text = _NUMBER.sub(lambda m: f" {spell(int(m.group()))} ", text)
    words = _NOT_WORD.sub(" ", text).split()
    return [ABBREVIATIONS.get(w.strip("'"), w.strip("'")) for w in words if w.strip("'")]


def edit_distance(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Levenshtein distance over words (substitutions, insertions, deletions)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i]
        for j, hyp in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1]


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(errors, reference words) of one clip, after normalising both."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    return edit_distance(ref, hyp), len(ref)


def corpus_wer(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Errors over all clips divided by reference words over all clips (not a mean of rates)."""
    errors = words = 0
    for ref, hyp in zip(references, hypotheses, strict=True):
        e, n = word_errors(ref, hyp)
        errors, words = errors + e, words + n
    return errors / words if words else float("nan")
