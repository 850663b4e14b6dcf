"""Emoji sequence detection (longest known sequence at each position)."""

from __future__ import annotations

import re

from socialcare.text._chars import class_body
from socialcare.text._emoji_data import EMOJI_SEQUENCES

__all__ = ["find_emoji"]

_KEYCAP_BASES = "#*0123456789"


def _tables() -> tuple[tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]], dict[str, int]]:
    longest: dict[str, int] = {}
    for seq in EMOJI_SEQUENCES:
        longest[seq[0]] = max(longest.get(seq[0], 0), len(seq))
    firsts = sorted(ord(c) for c in longest if c not in _KEYCAP_BASES and c <= "\uffff")
    ranges: list[tuple[int, int]] = []
    for cp in firsts:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    # Python's regex engine tests a BMP-only class with a bitmap, but a class holding astral
    # ranges one range at a time; so BMP starts get a class of their own, any astral
    # character is a candidate (the set lookup then decides), and keycaps (an ASCII base
    # then U+20E3) are looked for only in texts that hold U+20E3.
    bmp = f"[{class_body(tuple(ranges))}]"
    astral = "[\\U00010000-\\U0010ffff]"
    keycap = "[#*0-9](?=\\ufe0f?\\u20e3)"
    patterns = (
        re.compile(bmp),
        re.compile(f"{bmp}|{astral}"),
        re.compile(f"{bmp}|{astral}|{keycap}"),
    )
    return patterns, longest


_PATTERNS, _LONGEST = _tables()
_ASTRAL = re.compile("[\\U00010000-\\U0010ffff]")


def emoji_firsts() -> frozenset[str]:
    """Every character an emoji sequence can start with."""
    return frozenset(_LONGEST)


def find_emoji(text: str) -> list[tuple[int, int]]:
    """``(start, length)`` of each emoji sequence in ``text``, left to right, longest first."""
    out: list[tuple[int, int]] = []
    n = len(text)
    if "\u20e3" in text:
        search = _PATTERNS[2].search
    elif _ASTRAL.search(text) is not None:
        search = _PATTERNS[1].search
    else:
        search = _PATTERNS[0].search
    pos = 0
    while True:
        m = search(text, pos)
        if m is None:
            return out
        i = m.start()
        pos = i + 1
        for length in range(min(_LONGEST.get(text[i], 0), n - i), 0, -1):
            if text[i : i + length] in EMOJI_SEQUENCES:
                out.append((i, length))
                pos = i + length
                break
