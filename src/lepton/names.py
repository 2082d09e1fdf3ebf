"""Validation of names that users choose.

Names end up in file paths, object-store keys and URLs, so they are checked
once, here, against a strict pattern: nothing a user types can escape its folder.
"""

from __future__ import annotations

import re

from lepton.errors import InvalidNameError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def validate_name(name: str, *, kind: str = "name") -> str:
    """Return ``name`` unchanged if it is safe to use as a single path segment."""
    if not isinstance(name, str) or not name:
        raise InvalidNameError(f"{kind} must not be empty")
    if "/" in name or "\\" in name or ".." in name or not _NAME.match(name):
        raise InvalidNameError(
            f"invalid {kind} {name!r}: use 1-128 letters, digits, '_', '-' or '.', "
            "starting with a letter or digit, with no '/' or '..'"
        )
    return name


def parse_ref(ref: str, *, kind: str = "name") -> tuple[str, str | None]:
    """Split ``NAME[@VERSION|@alias]`` into its parts, validating the name."""
    name, sep, version = ref.partition("@")
    validate_name(name, kind=kind)
    if sep and not version:
        raise InvalidNameError(f"{ref!r}: nothing after '@'; use NAME@VERSION or NAME@alias")
    return name, (version or None)
