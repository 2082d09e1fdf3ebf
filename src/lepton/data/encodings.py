"""Telling UTF-16 and UTF-32 text from UTF-8, so a file is read right or gets the right hint.

Why: Excel and PowerShell save "Unicode" text as UTF-16; decoding it as UTF-8 failed with
the hint ``--encoding latin-1``, which would only have produced NUL-riddled columns. A
byte-order mark says the encoding outright; without one, ASCII-range text in UTF-16/32
shows as NUL bytes at regular positions.
"""

from __future__ import annotations

import codecs

SAMPLE_BYTES = 4096
_BOMS = (  # UTF-32 first: its little-endian mark starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def bom_encoding(raw: bytes) -> str | None:
    """The codec a byte-order mark names (it consumes the mark), or None without one."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return name
    return None


def wide_encoding_hint(raw: bytes) -> str | None:
    """``utf-16-le`` / ``utf-16-be`` / ``utf-32-le`` / ``utf-32-be`` when NUL bytes show it.

    Text in those encodings has a NUL in the same byte positions of (nearly) every
    character; UTF-8 and single-byte text has (nearly) none.
    """
    sample = raw[:SAMPLE_BYTES]
    if len(sample) < 4 or sample.count(0) < len(sample) // 4:
        return None
    quarter = [_nul_share(sample[i::4]) for i in range(4)]
    if all(q > 0.9 for q in quarter[1:]) and quarter[0] < 0.5:
        return "utf-32-le"
    if all(q > 0.9 for q in quarter[:3]) and quarter[3] < 0.5:
        return "utf-32-be"
    even, odd = _nul_share(sample[0::2]), _nul_share(sample[1::2])
    if odd > 0.5 and even < 0.2:
        return "utf-16-le"
    if even > 0.5 and odd < 0.2:
        return "utf-16-be"
    return None


def _nul_share(part: bytes) -> float:
    return part.count(0) / len(part) if part else 0.0
