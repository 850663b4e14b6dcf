"""Small text helpers shared by models, queries and sinks.

- :func:`clip`: a bounded ``repr`` of an offending value for error messages, so a
  2 MB key never makes a 2 MB error.
- :func:`valid_unicode`: a string with every lone surrogate replaced by U+FFFD, so
  that it always encodes as UTF-8 (what the models do at their boundary).
- :func:`first_surrogate`: where a string stops being valid Unicode.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["CLIP_LENGTH", "clip", "first_surrogate", "valid_unicode"]

CLIP_LENGTH: Final = 80
"""How many characters of an offending value error messages show at most."""

_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def clip(value: object, limit: int = CLIP_LENGTH) -> str:
    """``repr(value)``, cut to about ``limit`` characters with the full length noted.

    Strings and bytes are cut before ``repr`` so a huge value costs nothing;
    other objects are cut after::

        clip("x" * 2_000_000)  # "'xxxx…xxx'… (2000000 chars)"
    """
    if isinstance(value, str | bytes) and len(value) > limit:
        unit = "chars" if isinstance(value, str) else "bytes"
        return f"{value[:limit]!r}… ({len(value)} {unit})"
    text = repr(value)
    if len(text) > limit:
        return f"{text[:limit]}… ({len(text)} chars of repr)"
    return text


def valid_unicode(text: str) -> str:
    r"""``text`` with each lone surrogate replaced by U+FFFD (fast when there is none).

    A surrogate pair spelled as two code points (``"\ud83d\ude00"``) becomes the
    character it encodes, as a UTF-16 decoder would read it. The result always
    encodes as UTF-8.
    """
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def first_surrogate(text: str) -> int | None:
    """Index of the first surrogate code point in ``text``, or ``None`` if there is none."""
    if text.isascii():
        return None
    found = _SURROGATE.search(text)
    return None if found is None else found.start()
