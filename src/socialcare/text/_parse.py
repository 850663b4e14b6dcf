"""``parse_tweet``: the weighted length and validity of a post, as X counts them."""

from __future__ import annotations

import re
import unicodedata

import attrs

from socialcare.text._chars import class_body
from socialcare.text._config import V3, TextConfig
from socialcare.text._emoji import emoji_firsts, find_emoji
from socialcare.text._extract import check_text
from socialcare.text._urls import RawUrl, extract_raw_urls, utf16_len

__all__ = [
    "TweetParse",
    "parse_or_weigh",
    "parse_tweet",
    "parse_with_urls",
    "weighted_length",
    "whole_weights",
]

_INVALID = re.compile("[\\ufffe\\ufeff\\uffff]")
_INVALID_CPS = (0xFFFE, 0xFEFF, 0xFFFF)
_INVALID_CHARS = "\ufffe\ufeff\uffff"
_CHUNK = 32  # characters weighed at once where the text stops fitting
# Emoji that can start with a base-weight (light) character under V2/V3 ranges: the
# copyright and registered signs (keycaps need U+20E3, which is heavy there).
_LIGHT_EMOJI_STARTS = "#*0123456789\u00a9\u00ae"
_LIGHT_EMOJI = re.compile("[\u00a9\u00ae]")
_MEMO_SIZE = 4096
_BMP_MAX = 0xFFFF


@attrs.frozen
class TweetParse:
    """The result of :func:`parse_tweet`.

    Ranges are inclusive code-point indices into the text as given (twitter-text's
    JavaScript reports UTF-16 indices; Python strings index code points, so these slice
    directly: ``text[p.valid_range_start : p.valid_range_end + 1]`` is the part that fits).

    Attributes:
        weighted_length: the length X counts (URLs 23, most emoji, CJK and other scripts 2).
        valid: whether X would accept the text: not empty, within the limit, and free of
            the invalid characters U+FFFE, U+FEFF and U+FFFF.
        permillage: ``weighted_length`` in thousandths of the limit (may exceed 1000).
        valid_range_start: always 0.
        valid_range_end: index of the last character that still fits (0 if none does).
        display_range_start: always 0.
        display_range_end: index of the last character (0 for an empty text).
    """

    weighted_length: int
    valid: bool
    permillage: int
    valid_range_start: int
    valid_range_end: int
    display_range_start: int
    display_range_end: int


class _Plan:
    """Per-configuration precomputation: weight classes as regexes, the ASCII weight."""

    __slots__ = (
        "ascii_weight",
        "base",
        "classes",
        "config",
        "emoji",
        "emoji_needs_heavy",
        "invalid_is_heavy",
        "limit",
        "memo",
        "others_heavier",
        "permille_divisor",
        "scale",
        "url_weight",
        "whole",
    )

    def __init__(self, config: TextConfig) -> None:
        self.config = config
        self.limit = config.max_weighted_tweet_length * config.scale
        self.scale = config.scale
        # every weight a whole number of characters (v1 to v3): lengths then add up across
        # whitespace, which no entity holds
        self.whole = config.default_weight % config.scale == 0 and all(
            r.weight % config.scale == 0 for r in config.ranges
        )
        self.memo: dict[str, int] = {}
        self.permille_divisor = config.scale * config.max_weighted_tweet_length
        self.url_weight = config.transformed_url_length * config.scale
        self.emoji = config.emoji_parsing_enabled
        ascii_weights = {config.weight_of(cp) for cp in range(128)}
        self.ascii_weight = ascii_weights.pop() if len(ascii_weights) == 1 else None
        # Disjoint code-point classes per weight (earlier ranges win); the default weight's
        # class is the complement of all ranges.
        taken: list[tuple[int, int]] = []
        by_weight: dict[int, list[tuple[int, int]]] = {}
        for r in config.ranges:
            for piece in _subtract((max(r.start, 0), min(r.end, 0x10FFFF)), taken):
                by_weight.setdefault(r.weight, []).append(piece)
            taken.append((r.start, r.end))
        by_weight.setdefault(config.default_weight, []).extend(_subtract((0, 0x10FFFF), taken))
        # Count the rarer classes against the weight of "a" (usually the most common one).
        self.base = config.weight_of(ord("a"))
        classes: list[tuple[int, re.Pattern[str] | None, re.Pattern[str] | None]] = []
        for weight, pieces in by_weight.items():
            if weight == self.base or not pieces:
                continue
            # BMP and astral parts apart: a BMP-only class is a bitmap to the regex engine.
            bmp = [(a, min(b, _BMP_MAX)) for a, b in sorted(pieces) if a <= _BMP_MAX]
            astral = [(max(a, _BMP_MAX + 1), b) for a, b in sorted(pieces) if b > _BMP_MAX]
            classes.append(
                (
                    weight - self.base,
                    re.compile(f"[{class_body(tuple(bmp))}]+") if bmp else None,
                    re.compile(f"[{class_body(tuple(astral))}]+") if astral else None,
                )
            )
        self.classes = tuple(classes)
        self.others_heavier = all(delta > 0 for delta, _, _ in classes)
        # Shortcuts for texts made only of base-weight characters (see parse_tweet).
        self.invalid_is_heavy = all(config.weight_of(cp) != self.base for cp in _INVALID_CPS)
        # True when every emoji holds a heavier character, except those starting with a
        # character of _LIGHT_EMOJI (searched for) or keycaps (which hold U+20E3).
        self.emoji_needs_heavy = config.weight_of(0x20E3) != self.base and all(
            config.weight_of(ord(first)) != self.base or first in _LIGHT_EMOJI_STARTS
            for first in emoji_firsts()
        )

    def entity_weight(self, s: str) -> int:
        """``base_weight`` of a URL's or emoji's text, memoised (the same emoji recur)."""
        known = self.memo.get(s)
        if known is None:
            known = self.base_weight(s)
            if len(self.memo) >= _MEMO_SIZE:
                self.memo.clear()
            self.memo[s] = known
        return known

    def base_weight(self, s: str) -> int:
        """Sum of the plain weights of the code points of ``s``."""
        if self.ascii_weight is not None and s.isascii():
            return self.ascii_weight * len(s)
        total = self.base * len(s)
        for delta, bmp, astral in self.classes:
            if bmp is not None:
                total += delta * sum(map(len, bmp.findall(s)))
            if astral is not None:
                total += delta * sum(map(len, astral.findall(s)))
        return total


def _subtract(span: tuple[int, int], taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
    pieces = [span] if span[0] <= span[1] else []
    for a, b in taken:
        nxt: list[tuple[int, int]] = []
        for s, e in pieces:
            if b < s or a > e:
                nxt.append((s, e))
                continue
            if s < a:
                nxt.append((s, a - 1))
            if b < e:
                nxt.append((b + 1, e))
        pieces = nxt
    return pieces


_PLANS: dict[TextConfig, _Plan] = {}
_PLANS_BY_ID: dict[int, tuple[TextConfig, _Plan]] = {}
_MAX_REMEMBERED = 64


def _plan(config: TextConfig) -> _Plan:
    entry = _PLANS_BY_ID.get(id(config))  # inlined in parse_or_weigh, the hot path
    if entry is not None and entry[0] is config:
        return entry[1]
    try:
        plan = _PLANS[config]
    except (KeyError, TypeError):  # TypeError: an unhashable non-config
        _check_config(config)
        if len(_PLANS) >= _MAX_REMEMBERED:  # configurations built on the fly: stay bounded
            _PLANS.clear()
        plan = _PLANS[config] = _Plan(config)
    # Configurations are usually module constants: remember them by identity too (hashing
    # a TextConfig costs more than the rest of a short parse).
    if len(_PLANS_BY_ID) < _MAX_REMEMBERED:
        _PLANS_BY_ID[id(config)] = (config, plan)
    return plan


def _check_config(config: object) -> None:
    if not isinstance(config, TextConfig):
        msg = f"config must be a TextConfig, got {type(config).__name__}"
        raise TypeError(msg)


def parse_tweet(text: str, *, config: TextConfig = V3) -> TweetParse:
    """Weigh ``text`` as X does and tell whether it can be posted.

    The text is NFC-normalized first. Every URL counts ``transformed_url_length`` (23)
    whatever its length; with ``config.emoji_parsing_enabled`` (v3, the default) every
    emoji sequence counts as one ``default_weight`` (2); every other code point weighs what
    its range says (1 for Latin, most punctuation and the like, 2 for the rest).

    Args:
        text: the post's text.
        config: the rules to apply: ``V3`` (default), ``V2``, ``V1`` or a custom one.

    Returns:
        The weighted length, validity and ranges.

    Raises:
        TypeError: ``text`` is not a ``str`` or ``config`` is not a ``TextConfig``.

    Example:
        >>> parse_tweet("Hi http://test.co").weighted_length
        26
    """
    return parse_or_weigh(text, config, False, True)[0]  # type: ignore[return-value]  # noqa: FBT003


def parse_with_urls(text: str, config: TextConfig = V3) -> tuple[TweetParse, list[RawUrl] | None]:
    """:func:`parse_tweet` and the URLs it found, when their spans index ``text`` itself.

    The URLs are ``extract_raw_urls(text)`` (what ``extract_urls_with_indices`` reports);
    ``None`` when ``text`` is not NFC (the parse found them in its normalized form).
    Private: the composer measures a draft and finds its links in one pass.
    """
    return parse_or_weigh(text, config, False, True)  # type: ignore[return-value]  # noqa: FBT003


def whole_weights(config: TextConfig) -> bool:
    """Whether every weight of ``config`` is a whole number of characters (as in v1 to v3)."""
    return _plan(config).whole


def weighted_length(text: str, config: TextConfig = V3) -> int:
    """``parse_tweet(text, config=config).weighted_length``, without building the parse."""
    weighed = parse_or_weigh(text, config, False, False)[0]  # noqa: FBT003
    return weighed if type(weighed) is int else weighed.weighted_length  # type: ignore[union-attr]


def parse_or_weigh(  # noqa: C901 - one function on purpose: the hot path, flags positional
    text: str, config: TextConfig, nfc: bool, build: bool
) -> tuple[int | TweetParse, list[RawUrl] | None]:
    """The parse behind :func:`parse_tweet`, with the URLs it found; or only the weight.

    ``build``: return a :class:`TweetParse` (``parse_with_urls``). Otherwise return the
    weighted length when ``text`` is valid but for its length (not empty, no U+FFFE,
    U+FEFF or U+FFFF): compared with the limit it says whether the text fits, and where a
    too long text stops fitting is not looked for. A text that is not valid so (or whose
    length is not a whole number of characters) still gets its :class:`TweetParse`.

    The URLs are ``extract_raw_urls(text)``; ``None`` when ``text`` is not NFC (they were
    found in its normalized form). ``nfc``: the caller vouches that ``text`` is NFC.
    Private: the composer weighs a draft and finds its links in one call.
    """
    if type(text) is not str:
        check_text(text)
    entry = _PLANS_BY_ID.get(id(config))  # _plan(config), without the call
    plan = entry[1] if entry is not None and entry[0] is config else _plan(config)
    n = len(text)
    if text.isascii() and plan.ascii_weight is not None:
        urls = extract_raw_urls(text) if "." in text else []
        if urls:
            covered = sum(len(u.url) for u in urls)
            total = (n - covered) * plan.ascii_weight + len(urls) * plan.url_weight
        else:
            total = n * plan.ascii_weight
        if 0 < total <= plan.limit:
            # The common case, built directly: valid, everything fits.
            return (_fits(plan, total, n) if build else total // plan.scale), urls
        if not build and total % plan.scale == 0 and total:  # too long: the length will do
            return total // plan.scale, urls
        return _slow(plan, text, text, urls=urls, emoji=[], total=total, invalid_at=-1), urls
    norm = (
        text
        if nfc or unicodedata.is_normalized("NFC", text)
        else unicodedata.normalize("NFC", text)
    )
    urls = extract_raw_urls(norm) if "." in norm else []
    own = urls if norm is text else None
    total = plan.base_weight(norm)
    # Texts whose every character weighs the base weight (Latin with typographic quotes,
    # accents...) skip the emoji and invalid-character scans when those need a heavier one.
    plain = plan.others_heavier and total == plan.base * len(norm)
    emoji = (
        find_emoji(norm)
        if plan.emoji and not (plain and plan.emoji_needs_heavy and not _LIGHT_EMOJI.search(norm))
        else []
    )
    if urls or emoji:
        for start, length, weight in _entities(urls, emoji, plan, norm):
            total += weight - plan.entity_weight(norm[start : start + length])
    bad = None if plain and plan.invalid_is_heavy else _INVALID.search(norm)
    if bad is None and total > 0:
        if total <= plan.limit:
            return (_fits(plan, total, n) if build else total // plan.scale), own
        if not build and total % plan.scale == 0:  # too long: the length will do
            return total // plan.scale, own
    invalid_at = bad.start() if bad else -1
    parsed = _slow(plan, text, norm, urls=urls, emoji=emoji, total=total, invalid_at=invalid_at)
    return parsed, own


def _url_units(url: RawUrl, norm: str, plan: _Plan) -> tuple[int, int]:
    """How many code points the official walk skips for a URL, and the weight it counts.

    It skips ``url.length`` UTF-16 units from the start. That is the URL's span, except for
    a protocol-less URL whose reported string is shorter than its span (see ``RawUrl``);
    then the skip is converted to code points, and if it ends inside an astral character
    the official walk counts that character's second half on its own, which is added here.
    """
    length = len(url.url)
    if url.end - url.start == length:
        return length, plan.url_weight
    units = utf16_len(url.url)
    i = url.start
    while units > 0 and i < len(norm):
        units -= 2 if norm[i] > "\uffff" else 1
        i += 1
    weight = plan.url_weight
    if units < 0:
        low_half = 0xDC00 + ((ord(norm[i - 1]) - 0x10000) & 0x3FF)
        weight += plan.config.weight_of(low_half)
    return i - url.start, weight


def _entities(
    urls: list[RawUrl], emoji: list[tuple[int, int]], plan: _Plan, norm: str
) -> list[tuple[int, int, int]]:
    """The URLs and emoji the official left-to-right walk counts as units: (start, length, weight).

    A URL wins over an emoji starting at the same index; anything starting inside an
    entity already taken is not an entity.
    """
    items = [(u.start, 0, *_url_units(u, norm, plan)) for u in urls]
    items += [(start, 1, length, plan.config.default_weight) for start, length in emoji]
    items.sort()
    out: list[tuple[int, int, int]] = []
    cursor = 0
    for start, _kind, length, weight in items:
        if start >= cursor:
            out.append((start, length, weight))
            cursor = start + length
    return out


def _slow(
    plan: _Plan,
    text: str,
    norm: str,
    *,
    urls: list[RawUrl],
    emoji: list[tuple[int, int]],
    total: int,
    invalid_at: int,
) -> TweetParse:
    """Walk the text to find where it stops fitting (too long, or an invalid character).

    The runs between entities are weighed a chunk at a time (see ``_walk_run``).
    """
    limit = plan.limit
    running = 0
    last = 0
    i = 0
    n = len(norm)
    for start, length, weight in [*_entities(urls, emoji, plan, norm), (n, 0, 0)]:
        if i < start:
            i, running, last = _walk_run(plan, norm, i, start, running, last, invalid_at)
            if i < start:  # stopped inside the run
                break
        if start >= n:
            break
        running += weight
        j = start + length - 1
        if (invalid_at >= 0 and j >= invalid_at and norm[j] in _INVALID_CHARS) or running > limit:
            break
        last = j
        i = j + 1
    valid = invalid_at < 0 and 0 < total <= limit
    if norm is not text:
        last = _original_index(text, last)
    return _result(plan, total, last, len(text), valid=valid)


def _walk_run(  # noqa: PLR0917
    plan: _Plan, norm: str, i: int, end: int, running: int, last: int, invalid_at: int
) -> tuple[int, int, int]:
    """Walk ``norm[i:end]`` (no entity): ``(i, running, last)`` where it stops, or at ``end``.

    The run, or failing that each chunk of it, that fits is weighed at once; the chunk where
    the text stops fitting, or one reaching the first invalid character, is walked character
    by character.
    """
    limit = plan.limit
    weight_of = plan.config.weight_of
    step = end - i  # the whole run first: it usually fits
    while i < end:
        chunk = min(i + step, end)
        run = plan.base_weight(norm[i:chunk])
        if running + run <= limit and not (0 <= invalid_at < chunk):
            running += run
            last = chunk - 1
            i = chunk
            continue
        if chunk - i > _CHUNK:
            step = _CHUNK
            continue
        while i < chunk:
            running += weight_of(ord(norm[i]))
            if (invalid_at >= 0 and i >= invalid_at and norm[i] in _INVALID_CHARS) or (
                running > limit
            ):
                return i, running, last
            last = i
            i += 1
    return i, running, last


def _original_index(text: str, index: int) -> int:
    """Index in ``text`` of the last character whose NFC form ends at or before ``index``.

    twitter-text adds the overall length change of normalization instead, which is off when
    the change happens after the cut (or, in UTF-16, when astral characters precede it);
    this maps exactly. NFC never shrinks text more than fourfold, which bounds the search.
    """
    target = index + 1
    lo, hi = 0, min(len(text), 4 * target + 16)
    while lo < hi:  # largest k with len(NFC(text[:k])) <= target
        mid = (lo + hi + 1) // 2
        if len(unicodedata.normalize("NFC", text[:mid])) <= target:
            lo = mid
        else:
            hi = mid - 1
    return lo - 1


def _fits(plan: _Plan, total: int, n: int) -> TweetParse:
    """The common result, built directly: valid, the whole text fits."""
    end = n - 1
    valid = True
    return TweetParse(
        total // plan.scale, valid, total * 1000 // plan.permille_divisor, 0, end, 0, end
    )


def _result(plan: _Plan, total: int, valid_end: int, n: int, *, valid: bool = True) -> TweetParse:
    scale = plan.config.scale
    return TweetParse(
        weighted_length=total // scale,
        valid=valid,
        permillage=total * 1000 // (scale * plan.config.max_weighted_tweet_length),
        valid_range_start=0,
        valid_range_end=min(max(valid_end, 0), max(n - 1, 0)),
        display_range_start=0,
        display_range_end=max(n - 1, 0),
    )
