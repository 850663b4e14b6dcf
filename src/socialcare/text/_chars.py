"""Character classes of the twitter-text grammar, as regex class bodies and sets.

Indices everywhere in ``socialcare.text`` are Python string indices (code points).
"""

from __future__ import annotations

from socialcare.text._unicode_data import DECIMAL_DIGITS, LETTERS_AND_MARKS

__all__ = [
    "AT_SIGNS",
    "DIRECTIONAL_MARKERS",
    "HASHTAG_ALNUM",
    "HASHTAG_ALPHA",
    "HASHTAG_NON_ALPHA",
    "HASH_SIGNS",
    "INVALID_CHARS",
    "LATIN_ACCENTS",
    "PUNCT",
    "SPACES",
    "class_body",
]


def class_body(ranges: tuple[tuple[int, int], ...]) -> str:
    """A regex character-class body (no brackets) for inclusive code-point ranges."""
    parts: list[str] = []
    for start, end in ranges:
        if start == end:
            parts.append(_escape(start))
        else:
            parts.append(f"{_escape(start)}-{_escape(end)}")
    return "".join(parts)


_BMP_MAX = 0xFFFF


def _escape(cp: int) -> str:
    return f"\\U{cp:08x}" if cp > _BMP_MAX else f"\\u{cp:04x}"


INVALID_CHARS = "\\ufffe\\ufeff\\uffff"
"""Characters that make a post invalid (noncharacters and the BOM)."""

DIRECTIONAL_MARKERS = "\\u202a-\\u202e\\u061c\\u200e\\u200f\\u2066-\\u2069"
"""Bidirectional formatting characters."""

SPACES = (
    "\\u0009-\\u000d\\u0020\\u0085\\u00a0\\u1680\\u180e\\u2000-\\u200a"
    "\\u2028\\u2029\\u202f\\u205f\\u3000"
)
"""Whitespace as twitter-text defines it."""

PUNCT = r"!'#%&()*+,\\\-./:;<=>?@\[\]^_{|}~$"
"""ASCII punctuation that cannot appear in a domain label (note: not ``"`` nor a backtick)."""

LATIN_ACCENTS = (
    "\\u00c0-\\u00d6\\u00d8-\\u00f6\\u00f8-\\u00ff\\u0100-\\u024f\\u0253\\u0254\\u0256\\u0257"
    "\\u0259\\u025b\\u0263\\u0268\\u026f\\u0272\\u0289\\u028b\\u02bb\\u0300-\\u036f\\u1e00-\\u1eff"
)
"""Accented Latin letters and combining marks allowed in URL paths and ASCII domains."""

AT_SIGNS = "@\\uff20"
HASH_SIGNS = "#\\uff03"

_HASHTAG_SPECIAL = (
    "_\\u200c\\u200d\\ua67e\\u05be\\u05f3\\u05f4\\uff5e\\u301c\\u309b\\u309c\\u30a0\\u30fb"
    "\\u3003\\u0f0b\\u0f0c\\u00b7"
)

HASHTAG_ALPHA = class_body(LETTERS_AND_MARKS)
"""Letters and marks: a hashtag needs at least one."""

HASHTAG_NON_ALPHA = class_body(DECIMAL_DIGITS) + _HASHTAG_SPECIAL
"""Hashtag characters that are not letters: digits and a few joiners and punctuation."""

HASHTAG_ALNUM = HASHTAG_ALPHA + HASHTAG_NON_ALPHA
"""Every character a hashtag may contain."""
