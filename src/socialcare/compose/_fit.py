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
from socialcare.text._parse import _INVALID, parse_with_urls, weighted_length, whole_weights
from socialcare.text._urls import RawUrl

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
    # Looked up by the config's identity first: hashing a TextConfig (its ranges) costs
    # more than parsing a short text, and fitting asks for a few rooms again and again.
    known = _ROOMS.get((id(config), room))
    if known is not None and known[0] is config:
        return known[1]
    evolved = _evolved(config, max(room, 1))
    if len(_ROOMS) >= _ROOMS_SIZE:
        _ROOMS.clear()
    _ROOMS[id(config), room] = (config, evolved)  # the config is kept: its id stays its own
    return evolved


_ROOMS: dict[tuple[int, int], tuple[TextConfig, TextConfig]] = {}
_ROOMS_SIZE = 256


@functools.lru_cache(maxsize=64)
def _evolved(config: TextConfig, room: int) -> TextConfig:
    return attrs.evolve(config, max_weighted_tweet_length=room)


def tweet_measure(
    config: TextConfig,
    memo: dict[str, TweetParse] | None = None,
    memo_room: int = 0,
    urls: dict[str, list[RawUrl] | None] | None = None,
) -> Measure:
    """X's weighted length (every URL 23) under ``config``, as a :data:`Measure`.

    With ``memo``, the parses of texts measured in ``memo_room`` (but the few short ones
    asked for again and again, remembered apart) are looked up there first and kept there
    (the caller reuses them instead of parsing the final texts again), and
    with ``urls`` too, their URLs as :func:`~socialcare.text._parse.parse_with_urls` found
    them.
    """
    return _TweetMeasure(config, memo, memo_room, urls)


class _TweetMeasure:
    """:func:`tweet_measure`'s measure.

    ``additive``: whether lengths add up across whitespace (every weight a whole number of
    characters, as in v1 to v3). No URL, mention, hashtag, cashtag or emoji sequence holds
    whitespace, and NFC never joins across it, so then the length of ``a + b`` is that of
    ``a`` plus that of ``b`` when ``b`` starts with whitespace.
    """

    __slots__ = ("additive", "config", "memo", "memo_room", "urls")

    def __init__(
        self,
        config: TextConfig,
        memo: dict[str, TweetParse] | None,
        memo_room: int,
        urls: dict[str, list[RawUrl] | None] | None,
    ) -> None:
        self.config = config
        self.memo = memo
        self.memo_room = memo_room
        self.urls = urls
        self.additive = whole_weights(config)

    def length(self, text: str) -> int:
        """The length of ``text`` (no limit involved, nothing kept)."""
        return weighted_length(text, self.config) if text else 0

    def __call__(self, text: str, room: int) -> tuple[int, int]:
        if not text:
            return 0, 0
        memo = self.memo
        if len(text) <= _SHORT:  # an ellipsis, a signature, a part number: asked again
            key = (id(self.config), room, text)
            known = _SHORT_PARSES.get(key)
            if known is None or known[0] is not self.config:
                if len(_SHORT_PARSES) >= _SHORT_PARSES_SIZE:
                    _SHORT_PARSES.clear()
                known = (self.config, parse_tweet(text, config=config_with_room(self.config, room)))
                _SHORT_PARSES[key] = known
            parsed = known[1]
        elif memo is not None and room == self.memo_room:
            remembered = memo.get(text)
            if remembered is None:
                parsed, found = parse_with_urls(text, config_with_room(self.config, room))
                memo[text] = parsed
                if self.urls is not None:
                    self.urls[text] = found
            else:
                parsed = remembered
        else:
            parsed = parse_tweet(text, config=config_with_room(self.config, room))
        if parsed.weighted_length <= room:
            return parsed.weighted_length, len(text)
        fits = parsed.valid_range_end + 1 if parsed.valid_range_end > 0 else 0
        return parsed.weighted_length, fits


_SHORT = 24
_SHORT_PARSES: dict[tuple[int, int, str], tuple[TextConfig, TweetParse]] = {}
_SHORT_PARSES_SIZE = 512


def dm_measure(text: str, room: int) -> tuple[int, int]:
    """Direct messages count characters (code points)."""
    return len(text), min(len(text), max(room, 0))


class Spans:
    """The entities of a text (URL, mention, hashtag, cashtag) around given positions.

    An entity never holds whitespace, and whether a word holds one depends only on the
    word and the character before it. So the spans around a position are those of its
    word, found when first asked for and kept: a fit looks at a few words near its cut,
    never extracts the whole text, and looks at each word of a long text once.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._words: list[int] = []  # starts of the words looked at, sorted
        self._found: list[tuple[int, int, list[tuple[int, int]]]] = []  # (start, end, spans)

    def around(self, i: int) -> tuple[int, int] | None:
        """The span that ``i`` falls strictly inside, if any."""
        text = self.text
        if i <= 0 or i >= len(text) or text[i].isspace() or text[i - 1].isspace():
            return None  # an entity holds no whitespace
        k = bisect.bisect_right(self._words, i) - 1
        if k >= 0 and self._found[k][0] <= i < self._found[k][1]:
            spans = self._found[k][2]
        else:
            spans = self._word_spans(i)
        for start, end in spans:
            if start < i < end:
                return start, end
        return None

    def _word_spans(self, i: int) -> list[tuple[int, int]]:
        """Find and keep the entity spans of the word holding ``text[i]``."""
        text = self.text
        start = _word_start(text, i)
        found = _SPACE.search(text, i)
        end = found.start() if found is not None else len(text)
        # the character before the word (whitespace) decides as it does in the whole text
        base = start - 1 if start > 0 else 0
        spans = sorted(
            (base + e.start, base + e.start + 1 + len(e.username))
            if type(e) is MentionOrListMatch
            else (base + e.start, base + e.end)
            for e in extract_entity_matches(text[base:end])
        )
        k = bisect.bisect_left(self._words, start)
        self._words.insert(k, start)
        self._found.insert(k, (start, end, spans))
        return spans


_SPACE = re.compile(r"\s")
_LAST_SPACE = re.compile(r"\s\S*\Z")


def _word_start(text: str, i: int) -> int:
    """Where the word holding ``text[i]`` starts: after the last whitespace before ``i``."""
    step = 32
    high = i
    while high > 0:
        low = max(0, high - step)
        found = _LAST_SPACE.search(text, low, high)
        if found is not None:
            return found.start() + 1
        high = low
        step *= 2
    return 0


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


_MAX_TAIL_WORDS = 16


def _cut_near_end(text: str, pos: int, room: int, total: int, measure: Measure) -> int | None:
    """:func:`fit_cut`'s whitespace cut for a text ``total`` long, found from its end.

    The last whitespace position ``c`` (after the first non-space character) with
    ``length(text[pos:c]) <= room`` is where the forward walk stops: lengths add up across
    whitespace (see ``_TweetMeasure``), so ``length(text[pos:c])`` is ``total`` minus the
    length of ``text[c:]``, weighed a word at a time from the end. ``None`` (use the
    forward walk) when lengths may not add up, the text holds a character that stops the
    walk early (U+FFFE, U+FEFF, U+FFFF), or the cut is more than a few words back.
    """
    if measure is dm_measure:
        length: Callable[[str], int] = len
    elif type(measure) is _TweetMeasure and measure.additive:
        if _INVALID.search(text, pos) is not None:
            return None
        length = measure.length
    else:
        return None
    first = _skip_space(text, pos)
    need = total - room
    tail = 0
    words = 0
    end = len(text)
    c = end - 1
    lowest = max(first, end - 4 * room - 64)  # never look further back than a window would
    while c > lowest:
        if text[c].isspace():
            tail += length(text[c:end])
            if tail >= need:
                return c
            end = c
            words += 1
            if words >= _MAX_TAIL_WORDS:
                return None
        c -= 1
    return None


def fit_cut(  # noqa: PLR0917
    text: str, pos: int, room: int, measure: Measure, spans: Spans, total: int | None = None
) -> int:
    """Where the part of ``text`` starting at ``pos`` ends so that it fits in ``room``.

    Returns ``len(text)`` when the rest fits. Otherwise the end is a whitespace position
    outside every entity; failing that, a grapheme boundary outside entities; failing
    that (one entity longer than the room), a grapheme boundary. Always ``> pos``.

    ``total``: the length of ``text[pos:]``, when known. A text a little over the room is
    then cut by weighing its last words instead of the whole part (see :func:`_cut_near_end`).
    """
    if total is not None and total > room:
        c = _cut_near_end(text, pos, room, total, measure)
        if c is not None:
            return c
    limit_at = _fitting_end(text, pos, room, measure, spans)
    if limit_at is None:
        return len(text)
    first = pos
    while first < limit_at and text[first].isspace():
        first += 1
    c = limit_at
    while c > first:
        if text[c].isspace():  # whitespace is never inside an entity
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


def _fitting_end(text: str, pos: int, room: int, measure: Measure, spans: Spans) -> int | None:
    """How far ``text[pos:]`` fits in ``room``, measured on growing windows (``None``: all)."""
    n = len(text)
    window = max(room, 16) + 1
    while True:
        # never end the window inside an emoji sequence or other cluster (a half sequence
        # weighs more than the whole) nor inside an entity
        end = grapheme_ceil(text, min(n, pos + window))
        span = spans.around(end)
        if span is not None:
            end = span[1]
        _, fits = measure(text[pos:end], room)
        if end == n or fits < end - pos:
            break
        window *= 2
    if end == n and fits == end - pos:
        return None
    return pos + fits


def _skip_space(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i].isspace():
        i += 1
    return i


_TRAILING = " \t\n\r,;:-\u2013\u2014"


def _length_before(length: int, suffix: str, limit: int, measure: Measure) -> int | None:
    """The length of a text from that of ``text + suffix`` (``None``: not known that way)."""
    if not suffix:
        return length
    if suffix[0].isspace():  # lengths add up across whitespace (see _TweetMeasure)
        return length - measure(suffix, limit)[0]
    return None


def truncate_text(
    text: str,
    *,
    limit: int,
    measure: Measure,
    ellipsis: str = "\u2026",
    suffix: str = "",
    length: int | None = None,
) -> str:
    """``text + suffix`` if it fits in ``limit``, else a cut prefix, the ellipsis and ``suffix``.

    See :func:`fit_cut` for where cuts fall. ``length``: that of ``text + suffix``, when known.
    """
    whole = text + suffix
    if length is None:
        length, _ = measure(whole, limit)
    if length <= limit:
        return whole
    spans = Spans(text)
    room = limit - measure(ellipsis + suffix, limit)[0]
    total = _length_before(length, suffix, limit, measure)
    for _ in range(8):
        if room <= 0:
            break
        c = fit_cut(text, 0, room, measure, spans, total)
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
    text: str,
    *,
    limit: int,
    measure: Measure,
    suffix: str = "",
    numbered: bool = True,
    length: int | None = None,
) -> list[str]:
    """``text`` split into parts that each fit ``limit`` with their number and ``suffix``.

    Parts are ``"<text> i/n<suffix>"``; a text that fits whole is one part, unnumbered.
    ``length``: that of ``text + suffix``, when known.
    """
    total_length = measure(text + suffix, limit)[0] if length is None else length
    if total_length <= limit:
        return [text + suffix]
    spans = Spans(text)
    total = _length_before(total_length, suffix, limit, measure)
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
            c = fit_cut(text, pos, room, measure, spans, total if pos == 0 else None)
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
