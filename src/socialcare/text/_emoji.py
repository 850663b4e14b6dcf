"""Emoji sequence detection (longest known sequence at each position)."""

from __future__ import annotations

import re

from socialcare.text._chars import class_body
from socialcare.text._emoji_data import EMOJI_SEQUENCES

__all__ = ["find_emoji"]

_KEYCAP_BASES = "#*0123456789"


def _tables() -> tuple[re.Pattern[str], dict[str, int]]:
    longest: dict[str, int] = {}
    for seq in EMOJI_SEQUENCES:
        longest[seq[0]] = max(longest.get(seq[0], 0), len(seq))
    # Python's regex engine tests a BMP-only class with a bitmap but an astral range list
    # one range at a time; so BMP starts get a class, and any astral character is a
    # candidate (the set lookup then decides).
    firsts = sorted(ord(c) for c in longest if c not in _KEYCAP_BASES and c <= "\uffff")
    ranges: list[tuple[int, int]] = []
    for cp in firsts:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    # Keycap bases are ordinary ASCII; only a following U+20E3 makes them a candidate.
    start = re.compile(
        f"[{class_body(tuple(ranges))}]|[\\U00010000-\\U0010ffff]|[#*0-9](?=\\ufe0f?\\u20e3)"
    )
    return start, longest


_START, _LONGEST = _tables()


def find_emoji(text: str) -> list[tuple[int, int]]:
    """``(start, length)`` of each emoji sequence in ``text``, left to right, longest first."""
    out: list[tuple[int, int]] = []
    n = len(text)
    search = _START.search
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
