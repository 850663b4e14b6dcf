"""Top-level-domain matching with twitter-text's precedence and lookahead rules."""

from __future__ import annotations

import re

from socialcare.text._tld_data import COUNTRY_TLDS, GENERIC_TLDS

__all__ = ["tld_end"]

_NO_TLD = -1
# A TLD must not run on into one of these (the official lookahead is [^0-9a-zA-Z@+-]).
_BLOCKING = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ@+-")
_ALNUM_RUN = re.compile(r"[0-9A-Za-z]*")
_PUNYCODE = re.compile(r"[xX][nN]--[-0-9A-Za-z]+")


def _tables() -> tuple[dict[str, int], dict[str, tuple[tuple[str, int], ...]]]:
    plain: dict[str, int] = {}
    special: dict[str, list[tuple[str, int]]] = {}
    for priority, tld in enumerate((*GENERIC_TLDS, *COUNTRY_TLDS)):
        if tld.isascii() and tld.isalnum():
            plain.setdefault(tld, priority)
        else:
            special.setdefault(tld[0], []).append((tld, priority))
    return plain, {first: tuple(items) for first, items in special.items()}


# Pure [a-z0-9] TLDs can only end where the ASCII alphanumeric run ends, so one lookup finds
# them; the others (IDN and mixed ones such as "vermögensberater") are tried by first character.
_PLAIN, _SPECIAL = _tables()
_WORST = len(GENERIC_TLDS) + len(COUNTRY_TLDS)


def tld_end(s: str, t: int) -> int:
    """End of the TLD that twitter-text would match at ``s[t]``, or -1.

    Generic TLDs are tried before country TLDs, each in list order, then punycode
    (``xn--...``); a TLD must not be followed by an ASCII letter, digit, ``@``, ``+`` or ``-``.
    """
    if t >= len(s):
        return _NO_TLD
    priority, end = _plain_tld(s, t)
    candidates = _SPECIAL.get(s[t].lower())
    if candidates:
        priority, end = _special_tld(s, t, candidates, priority, end)
    if end == _NO_TLD and s[t] in "xX":
        m = _PUNYCODE.match(s, t)
        if m is not None:
            return m.end()
    return end


def _plain_tld(s: str, t: int) -> tuple[int, int]:
    first = s[t]
    if first.isascii() and first.isalnum():
        e = _ALNUM_RUN.match(s, t).end()  # type: ignore[union-attr]
        if e >= len(s) or s[e] not in "@+-":
            priority = _PLAIN.get(s[t:e].lower())
            if priority is not None:
                return priority, e
    return _WORST, _NO_TLD


def _special_tld(
    s: str, t: int, candidates: tuple[tuple[str, int], ...], best_priority: int, best_end: int
) -> tuple[int, int]:
    n = len(s)
    for tld, priority in candidates:
        if priority >= best_priority:
            break
        e = t + len(tld)
        if s[t:e].lower() == tld and (e >= n or s[e] not in _BLOCKING):
            return priority, e
    return best_priority, best_end
