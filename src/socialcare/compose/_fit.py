"""Fitting text into a length limit: truncation and thread splitting, linear in the input.

Cuts fall on whitespace outside every entity (URL, mention, hashtag, cashtag); a text
with no such place is cut at a grapheme-cluster boundary, still outside entities when
possible. Each part is measured on a window of the input only, so the work is linear.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections.abc import Callable

import attrs

from socialcare.text import MentionOrListMatch, TextConfig, TweetParse, parse_tweet
from socialcare.text._entities import extract_entity_matches

__all__ = [
    "Measure",
    "Spans",
    "config_with_room",
    "dm_measure",
    "fit_cut",
    "split_parts",
    "truncate_text",
    "tweet_measure",
]

Measure = Callable[[str, int], tuple[int, int]]
"""``measure(text, room) -> (length, fits_until)``: the length and how many code points fit."""

_ZWJ = "\u200d"
# ZWJ, variation selectors, skin-tone modifiers and tag characters extend the cluster before.
_EXTENDERS = re.compile(
    "[\u200d\ufe00-\ufe0f\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f\U000e0100-\U000e01ef]"
)
_REGIONAL = re.compile("[\U0001f1e6-\U0001f1ff]")
_JOINING_CATEGORIES = frozenset({"Mn", "Me", "Mc"})


def config_with_room(config: TextConfig, room: int) -> TextConfig:
    """``config`` with ``room`` as its limit (the same object when it already is)."""
    if room == config.max_weighted_tweet_length:
        return config  # the usual case: no hashing of the config at all
    return _evolved(config, max(room, 1))


@functools.lru_cache(maxsize=64)
def _evolved(config: TextConfig, room: int) -> TextConfig:
    return attrs.evolve(config, max_weighted_tweet_length=room)


def tweet_measure(
    config: TextConfig, memo: dict[str, TweetParse] | None = None, memo_room: int = 0
) -> Measure:
    """X's weighted length (every URL 23) under ``config``, as a :data:`Measure`.

    With ``memo``, the parses of texts measured in ``memo_room`` are looked up there first
    and kept there (the caller reuses them instead of parsing the final texts again).
    """

    def measure(text: str, room: int) -> tuple[int, int]:
        if not text:
            return 0, 0
        if memo is not None and room == memo_room:
            parsed = memo.get(text)
            if parsed is None:
                parsed = memo[text] = parse_tweet(text, config=config_with_room(config, room))
        else:
            parsed = parse_tweet(text, config=config_with_room(config, room))
        if parsed.weighted_length <= room:
            return parsed.weighted_length, len(text)
        fits = parsed.valid_range_end + 1 if parsed.valid_range_end > 0 else 0
        return parsed.weighted_length, fits

    return measure


def dm_measure(text: str, room: int) -> tuple[int, int]:
    """Direct messages count characters (code points)."""
    return len(text), min(len(text), max(room, 0))


class Spans:
    """The entities of a text, as sorted, non-overlapping code-point spans."""

    def __init__(self, text: str) -> None:
        # extract_entities' spans, without building its models: a list reference's
        # mention spans "@user" only
        spans = sorted(
            (e.start, e.start + 1 + len(e.username))
            if type(e) is MentionOrListMatch
            else (e.start, e.end)
            for e in extract_entity_matches(text)
        )
        self.starts = [s for s, _ in spans]
        self.ends = [e for _, e in spans]

    def around(self, i: int) -> tuple[int, int] | None:
        """The span that ``i`` falls strictly inside, if any."""
        k = bisect.bisect_right(self.starts, i) - 1
        if k >= 0 and self.starts[k] < i < self.ends[k]:
            return self.starts[k], self.ends[k]
        return None


def _joins_previous(text: str, i: int) -> bool:
    """Whether a cut before ``text[i]`` would split a grapheme cluster (UAX 29, approximated)."""
    ch = text[i]
    prev = text[i - 1]
    if (prev == "\r" and ch == "\n") or prev == _ZWJ or _EXTENDERS.match(ch):
        return True
    if _REGIONAL.match(ch) and _REGIONAL.match(prev):  # inside a flag's pair?
        run = 0
        j = i - 1
        while j >= 0 and _REGIONAL.match(text[j]):
            run += 1
            j -= 1
        return run % 2 == 1
    return unicodedata.category(ch) in _JOINING_CATEGORIES


def grapheme_floor(text: str, i: int, low: int) -> int:
    """The nearest grapheme-cluster boundary at or before ``i`` (not before ``low``)."""
    while low < i < len(text) and _joins_previous(text, i):
        i -= 1
    return i


def grapheme_ceil(text: str, i: int) -> int:
    """The nearest grapheme-cluster boundary at or after ``i``."""
    while 0 < i < len(text) and _joins_previous(text, i):
        i += 1
    return i


def fit_cut(text: str, pos: int, room: int, measure: Measure, spans: Spans) -> int:
    """Where the part of ``text`` starting at ``pos`` ends so that it fits in ``room``.

    Returns ``len(text)`` when the rest fits. Otherwise the end is a whitespace position
    outside every entity; failing that, a grapheme boundary outside entities; failing
    that (one entity longer than the room), a grapheme boundary. Always ``> pos``.
    """
    n = len(text)
    window = max(room, 16) + 1
    while True:
        end = min(n, pos + window)
        span = spans.around(end)
        if span is not None:
            end = span[1]
        _, fits = measure(text[pos:end], room)
        if end == n or fits < end - pos:
            break
        window *= 2
    if end == n and fits == end - pos:
        return n
    limit_at = pos + fits
    first = pos
    while first < limit_at and text[first].isspace():
        first += 1
    c = limit_at
    while c > first:
        if text[c].isspace() and spans.around(c) is None:
            return c
        c -= 1
    c = limit_at
    span = spans.around(c)
    if span is not None and span[0] > first:
        c = span[0]
    c = grapheme_floor(text, c, first)
    if c <= first:  # not even one grapheme fits the room: take one anyway
        c = grapheme_ceil(text, first + 1)
    return c


def _skip_space(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i].isspace():
        i += 1
    return i


_TRAILING = " \t\n\r,;:-\u2013\u2014"


def truncate_text(
    text: str, *, limit: int, measure: Measure, ellipsis: str = "\u2026", suffix: str = ""
) -> str:
    """``text + suffix`` if it fits in ``limit``, else a cut prefix, the ellipsis and ``suffix``.

    See :func:`fit_cut` for where cuts fall.
    """
    whole = text + suffix
    length, _ = measure(whole, limit)
    if length <= limit:
        return whole
    spans = Spans(text)
    room = limit - measure(ellipsis + suffix, limit)[0]
    for _ in range(8):
        if room <= 0:
            break
        c = fit_cut(text, 0, room, measure, spans)
        head = text[:c].rstrip(_TRAILING)
        joint = " " if head and spans.around(len(head) - 1) is not None else ""
        if joint and measure(head + joint + ellipsis + suffix, limit)[0] > limit:
            joint = ""
            head = text[: spans.around(len(head) - 1)[0]].rstrip(_TRAILING)  # type: ignore[index]
        out = head + joint + ellipsis + suffix
        length, _ = measure(out, limit)
        if length <= limit:
            return out
        room -= length - limit
    msg = f"nothing of the text fits in {limit} with {ellipsis + suffix!r} after it"
    raise ValueError(msg)


def split_parts(
    text: str, *, limit: int, measure: Measure, suffix: str = "", numbered: bool = True
) -> list[str]:
    """``text`` split into parts that each fit ``limit`` with their number and ``suffix``.

    Parts are ``"<text> i/n<suffix>"``; a text that fits whole is one part, unnumbered.
    """
    total_length = measure(text + suffix, limit)[0]
    if total_length <= limit:
        return [text + suffix]
    spans = Spans(text)
    # start from the digits the part count will likely need, so one pass usually suffices
    digits = len(str(max(1, 2 * total_length // max(limit // 2, 1))))
    while True:
        widest = f" {'9' * digits}/{'9' * digits}" if numbered else ""
        room = limit - measure(widest + suffix, limit)[0]
        if room <= 0:
            msg = f"no room for text in parts of {limit} with {widest + suffix!r} after it"
            raise ValueError(msg)
        bodies: list[str] = []
        pos = _skip_space(text, 0)
        while pos < len(text):
            c = fit_cut(text, pos, room, measure, spans)
            body = text[pos:c].rstrip()
            if body:
                bodies.append(body)
            pos = _skip_space(text, c)
        if not numbered or len(bodies) < 10**digits:
            break
        digits += 1
    total = len(bodies)
    if not numbered:
        return [b + suffix for b in bodies]
    return [f"{b} {i}/{total}{suffix}" for i, b in enumerate(bodies, start=1)]
