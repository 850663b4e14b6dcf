"""Mentions, lists, replies, hashtags, cashtags and URLs, with twitter-text's rules."""

from __future__ import annotations

import re

from socialcare.text._chars import (
    AT_SIGNS,
    HASH_SIGNS,
    HASHTAG_ALNUM,
    HASHTAG_ALPHA,
    HASHTAG_NON_ALPHA,
    LATIN_ACCENTS,
    PUNCT,
    SPACES,
)
from socialcare.text._types import (
    CashtagMatch,
    HashtagMatch,
    MentionMatch,
    MentionOrListMatch,
    UrlMatch,
)
from socialcare.text._urls import extract_raw_urls
from socialcare.text._validate_url import valid_url

__all__ = [
    "check_text",
    "extract_cashtags",
    "extract_cashtags_with_indices",
    "extract_hashtags",
    "extract_hashtags_with_indices",
    "extract_mentions",
    "extract_mentions_or_lists_with_indices",
    "extract_mentions_with_indices",
    "extract_reply_username",
    "extract_urls",
    "extract_urls_with_indices",
    "is_valid_hashtag",
    "is_valid_list",
    "is_valid_url",
    "is_valid_username",
]

_MENTION = re.compile(
    "(^|[^a-zA-Z0-9_!#$%&*@\\uff20]|(?:^|[^a-zA-Z0-9_+~.-])(?:rt|RT|rT|Rt):?)"
    f"[{AT_SIGNS}]([a-zA-Z0-9_]{{1,20}})(/[a-zA-Z][a-zA-Z0-9_-]{{0,24}})?"
)
# Where a mention's match may start before its at sign: " rt:@" starts 4 before it.
_RT_BACK = 4
_END_MENTION = re.compile(f"[{AT_SIGNS}{LATIN_ACCENTS}]|://")
_REPLY = re.compile(f"[{SPACES}]*[{AT_SIGNS}]([a-zA-Z0-9_]{{1,20}})")
_VALID_LIST = re.compile(f"[{AT_SIGNS}]([a-zA-Z0-9_]{{1,20}})(/[a-zA-Z][a-zA-Z0-9_-]{{0,24}})")

# (?:[non-alpha]*[alpha][alnum]*) accepts the same strings as the official
# (?:[alnum]*[alpha][alnum]*) but cannot backtrack quadratically over long digit runs.
_HASHTAG = re.compile(
    f"(^|\\ufe0e|\\ufe0f|(?![{HASHTAG_ALNUM}]|&).)"
    f"[{HASH_SIGNS}](?!\\ufe0f|\\u20e3)"
    f"([{HASHTAG_NON_ALPHA}]*[{HASHTAG_ALPHA}][{HASHTAG_ALNUM}]*)",
    re.DOTALL,
)
_END_HASHTAG = re.compile(f"[{HASH_SIGNS}]|://")
# JavaScript's \s, which differs from Python's (it has U+FEFF, not U+001C-U+001F).
_JS_SPACE = (
    "\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
)
_CASHTAG = re.compile(
    f"(?:^|(?<=[{SPACES}]))\\$([a-zA-Z]{{1,6}}(?:[._][a-zA-Z]{{1,2}})?)(?=\\Z|[{_JS_SPACE}{PUNCT}])"
)


def _sign_matches(pattern: re.Pattern[str], text: str, signs: str) -> list[re.Match[str]]:
    """``list(pattern.finditer(text))``, trying only the starts where a match can begin.

    For the mention and hashtag patterns: a match holds its sign (one of ``signs``) one
    code point after its start, or at its start (at the start of the text), or up to four
    after it when a retweet prefix (``rt``, ``rt:``) ends right before the sign. So only
    those starts before each sign, and the sign, are tried, in order; the text between
    signs is skipped with ``str.find``. Same matches as ``finditer``, whose attempt at
    every position costs a few times more.
    """
    present = [sign for sign in signs if sign in text]
    out: list[re.Match[str]] = []
    if not present:
        return out
    match = pattern.match
    find = text.find
    n = len(text)
    pos = 0
    while True:
        if len(present) == 1:
            k = find(present[0], pos)
            if k < 0:
                return out
        else:
            k = min([find(sign, pos) % (n + 1) for sign in present])  # not found: n
            if k >= n:
                return out
        lowest = k - _RT_BACK if k and text[k - 1] in ":tT" else k - 1
        for start in range(max(pos, lowest), k + 1):
            m = match(text, start)
            if m is not None:
                out.append(m)
                pos = m.end()
                break
        else:
            pos = k + 1


def check_text(text: object, what: str = "text") -> str:
    """Return ``text`` if it is a ``str``; raise ``TypeError`` naming the wrong type otherwise."""
    if isinstance(text, str):
        return text
    msg = f"{what} must be a str, got {type(text).__name__}"
    raise TypeError(msg)


def extract_urls_with_indices(text: str, *, without_protocol: bool = True) -> list[UrlMatch]:
    """URLs in ``text`` with their code-point spans, in order.

    Args:
        text: the text to scan.
        without_protocol: also find bare domains such as ``example.com`` (twitter-text's
            ``extractUrlsWithoutProtocol``, on by default).

    Returns:
        The URLs, as ``twitter-text``'s ``extractUrlsWithIndices`` finds them.
    """
    check_text(text)
    return [
        UrlMatch(raw.url, raw.start, raw.end)
        for raw in extract_raw_urls(text, without_protocol=without_protocol)
    ]


def extract_urls(text: str, *, without_protocol: bool = True) -> list[str]:
    """URLs in ``text``, in order (see :func:`extract_urls_with_indices`)."""
    check_text(text)
    return [raw.url for raw in extract_raw_urls(text, without_protocol=without_protocol)]


def extract_mentions_or_lists_with_indices(text: str) -> list[MentionOrListMatch]:
    """``@user`` mentions and ``@user/list`` references, in order, with code-point spans."""
    check_text(text)
    if "@" not in text and "\uff20" not in text:
        return []
    out: list[MentionOrListMatch] = []
    for m in _sign_matches(_MENTION, text, "@\uff20"):
        if _END_MENTION.match(text, m.end()) is not None:
            continue
        name, slug = m.group(2), m.group(3)
        start = m.end(1)
        out.append(MentionOrListMatch(name, slug[1:] if slug else None, start, m.end()))
    return out


def extract_mentions_with_indices(text: str) -> list[MentionMatch]:
    """``@user`` mentions (not lists), in order, with code-point spans."""
    return [
        MentionMatch(m.username, m.start, m.end)
        for m in extract_mentions_or_lists_with_indices(text)
        if m.list_slug is None
    ]


def extract_mentions(text: str) -> list[str]:
    """User names mentioned in ``text`` (without ``@``), in order, repeats kept."""
    return [m.username for m in extract_mentions_with_indices(text)]


def extract_reply_username(text: str) -> str | None:
    """The user name a text replies to: a mention that opens it (after spaces only), or None."""
    check_text(text)
    m = _REPLY.match(text)
    if m is None or _END_MENTION.match(text, m.end()) is not None:
        return None
    return m.group(1)


def _hashtags(text: str) -> list[HashtagMatch]:
    if "#" not in text and "\uff03" not in text:
        return []
    out: list[HashtagMatch] = []
    for m in _sign_matches(_HASHTAG, text, "#\uff03"):
        if _END_HASHTAG.match(text, m.end()) is not None:
            continue
        out.append(HashtagMatch(m.group(2), m.end(1), m.end()))
    return out


def extract_hashtags_with_indices(
    text: str, *, check_url_overlap: bool = True
) -> list[HashtagMatch]:
    """``#hashtags`` in ``text``, in order, with code-point spans.

    Args:
        text: the text to scan.
        check_url_overlap: drop hashtags that overlap a URL (``example.com/#anchor``), as
            twitter-text does by default.
    """
    check_text(text)
    tags = _hashtags(text)
    if not tags or not check_url_overlap:
        return tags
    urls = extract_raw_urls(text)
    if not urls:
        return tags
    kept: list[HashtagMatch] = []
    entities: list[tuple[int, int, int, HashtagMatch | None]] = [
        (t.start, 0, t.end, t) for t in tags
    ] + [(u.start, 1, u.end, None) for u in urls]
    entities.sort(key=lambda e: (e[0], e[1]))
    prev_end = -1
    for start, _order, end, tag in entities:
        if prev_end > start:
            continue
        prev_end = end
        if tag is not None:
            kept.append(tag)
    return kept


def extract_hashtags(text: str) -> list[str]:
    """Hashtags in ``text`` (without ``#``), in order."""
    return [t.hashtag for t in extract_hashtags_with_indices(text)]


def extract_cashtags_with_indices(text: str) -> list[CashtagMatch]:
    """``$CASHTAGS`` in ``text``, in order, with code-point spans."""
    check_text(text)
    if "$" not in text:
        return []
    return [CashtagMatch(m.group(1), m.start(), m.end()) for m in _CASHTAG.finditer(text)]


def extract_cashtags(text: str) -> list[str]:
    """Cashtags in ``text`` (without ``$``), in order."""
    return [t.cashtag for t in extract_cashtags_with_indices(text)]


def is_valid_username(text: str) -> bool:
    """Whether ``text`` is exactly one ``@username`` (1-20 letters, digits or ``_``)."""
    check_text(text)
    if not text:
        return False
    found = extract_mentions(text)
    return len(found) == 1 and found[0] == text[1:]


def is_valid_list(text: str) -> bool:
    """Whether ``text`` is exactly one ``@username/list-slug``."""
    check_text(text)
    return _VALID_LIST.fullmatch(text) is not None


def is_valid_hashtag(text: str) -> bool:
    """Whether ``text`` is exactly one ``#hashtag``."""
    check_text(text)
    if not text:
        return False
    found = extract_hashtags(text)
    return len(found) == 1 and found[0] == text[1:]


def is_valid_url(text: str, *, unicode_domains: bool = True, require_protocol: bool = True) -> bool:
    """Whether ``text`` is one well-formed URL (twitter-text's ``isValidUrl``).

    This checks the shape of a single URL (scheme, user info, host, IPv4/IPv6, port, path,
    query, fragment), not whether it would be linked inside a post; for that use
    :func:`extract_urls`.

    Args:
        text: the candidate URL.
        unicode_domains: accept internationalized (non-ASCII) host names.
        require_protocol: require an ``http://`` or ``https://`` scheme.
    """
    check_text(text)
    return valid_url(text, unicode_domains=unicode_domains, require_protocol=require_protocol)
