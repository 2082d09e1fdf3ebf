"""How an error message shows what the client sent: bounded, so errors stay small.

Why: a 4xx that repeats its input in full turns a 1 MB bad value into a 1 MB error body
(and a 1 MB log line); the client already has the value, it only needs to see which.
"""

from __future__ import annotations

from typing import Any

ECHO_CHARS = 200
"""The most characters of a client's value an error message repeats."""

MESSAGE_CHARS = 1_000
"""The longest error message sent (a last bound, whatever the message quotes)."""


def clip(text: str, limit: int = ECHO_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…({len(text):,} chars)"


def echo(value: Any, limit: int = ECHO_CHARS) -> str:
    """``repr(value)`` for an error message, cut to ``limit`` characters."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}…({len(value):,} chars)"  # no repr of the whole string
    return clip(repr(value), limit)
