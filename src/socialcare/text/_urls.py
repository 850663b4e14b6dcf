"""URL extraction: twitter-text's URL grammar, evaluated in linear time.

The official implementation runs one large backtracking regular expression. Its domain part
(``subdomain* domain-name . tld``) backtracks over every label for every start position, which
is quadratic on inputs such as ``"a." * 500_000``. This module evaluates the same grammar with
a label scanner that remembers, for every label start, where the longest valid domain from
there ends; every position is then examined a bounded number of times. Paths and queries,
whose regexes cannot fail once a domain matched, are matched with anchored regexes.
"""

from __future__ import annotations

import functools
import re

from socialcare.text._chars import DIRECTIONAL_MARKERS, INVALID_CHARS, LATIN_ACCENTS, SPACES
from socialcare.text._tlds import tld_end

__all__ = ["RawUrl", "ascii_domains", "extract_raw_urls", "utf16_len"]

MAX_URL_LENGTH = 4096
MAX_TCO_SLUG_LENGTH = 40
_DEFAULT_PROTOCOL_LENGTH = len("https://")
_MAX_LABEL_LENGTH = 63

_NOT_LABEL_OR_DOT = r"!'#%&()*+,\\/:;<=>?@\[\]^{|}~$" + SPACES + INVALID_CHARS + DIRECTIONAL_MARKERS
_NOT_DOMAIN = _NOT_LABEL_OR_DOT + "."
# A label is a run of domain characters, '-' and '_'.
_LABEL_RUN = re.compile(f"[^{_NOT_DOMAIN}]*")
# Characters that may not start or end a label (besides the non-domain ones).
_EDGE = "-_"


def _expand(body: str) -> frozenset[str]:
    chars: set[str] = set()
    for m in re.finditer(r"(.)(?:-(.))?", re.sub(r"\\u([0-9a-f]{4})", _unescape, body)):
        start, end = m.group(1), m.group(2) or m.group(1)
        chars.update(chr(cp) for cp in range(ord(start), ord(end) + 1))
    return frozenset(chars)


def _unescape(m: re.Match[str]) -> str:
    return chr(int(m.group(1), 16))


_EXCLUDED = frozenset("!'#%&()*+,\\-./:;<=>?@[]^_{|}~$") | _expand(
    SPACES + INVALID_CHARS + DIRECTIONAL_MARKERS
)
"""Characters that are not domain characters."""

# Where the preceding character allows a URL to start at the next position.
_EXCLUDED_PRECEDING = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@\uff20$#\uff03\ufffe\ufeff\uffff"
)
"""Characters after which a URL cannot start."""
_CANDIDATE = re.compile(f"[^A-Za-z0-9@\\uff20$#\\uff03{INVALID_CHARS}](?=[^{_NOT_DOMAIN}\\-_])")
_ASTRAL = re.compile("[\\U00010000-\\U0010ffff]")
_HIGH_SURROGATE = "\ud800"  # stands for "the first half of an astral character"
# Every domain holds a label character, a dot and a TLD's first character: an "anchor". A
# URL can only start inside the run of label characters and dots around an anchor (or at a
# scheme just before it), so only those windows are scanned.
_ANCHOR_DOT = re.compile("\\.[0-9A-Za-z\\u0080-\\U0010ffff]")  # a literal first: fast scan
_RUN = re.compile(f"[^{_NOT_LABEL_OR_DOT}]*")
_SCHEME_LENGTH = len("https://")
_NOT_RUN = _EXCLUDED - {".", "-", "_"}
# re.ASCII: JavaScript's case-insensitive matching does not fold U+017F into "s" as
# Python's Unicode matching would.
_PROTOCOL = re.compile(r"https?://", re.IGNORECASE | re.ASCII)
_PORT = re.compile(r":[0-9]+")

_G = f"[a-zA-Z\\u0400-\\u04ff0-9!*';:=+,.$/%#\\[\\]\\-\\u2013_~@|&{LATIN_ACCENTS}]"
_BALANCED = f"\\((?:{_G}+|(?:{_G}*\\({_G}+\\){_G}*))\\)"
_PATH_END = f"[+\\-a-zA-Z\\u0400-\\u04ff0-9=_#/{LATIN_ACCENTS}]"
# The official pattern splices "ending char | balanced parens" into the segment without a
# group, so a segment is: chars ending in an ending char, OR one balanced group alone, OR
# "@chars/". Reproduced as is: it decides where URLs ending in ")" stop.
_PATH_SEGMENT = f"(?:{_G}*(?:{_BALANCED}{_G}*)*{_PATH_END}|{_BALANCED}|@{_G}+/)"
_PATH = re.compile(f"/{_PATH_SEGMENT}*")
_QUERY_CHARS = r"[a-zA-Z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]"
_QUERY_END = r"[a-zA-Z0-9\-_&=#/]"
_QUERY = re.compile(f"\\?{_QUERY_CHARS}*{_QUERY_END}")
_TCO = re.compile(
    f"https?://t\\.co/([a-z0-9]+)(?:\\?{_QUERY_CHARS}*{_QUERY_END})?", re.IGNORECASE | re.ASCII
)
_BAD_BEFORE_BARE = frozenset("-_./")

_ASCII_LABEL_CHAR = re.compile(f"[-a-zA-Z0-9{LATIN_ACCENTS}]")
_ASCII_LABEL_RUN = re.compile(f"[-a-zA-Z0-9{LATIN_ACCENTS}]*")
_PUNYCODE_SEPARATORS = re.compile("[\\u3002\\uff0e\\uff61]")
# punycode.js leaves a label alone when every character is at most U+007E (so DEL is encoded).
_LAST_PUNYCODE_BASIC = "\x7e"


class RawUrl:
    """A URL as twitter-text reports it: the string and its code-point span.

    ``url`` normally equals ``text[start:end]``; for a protocol-less URL whose domain holds
    non-ASCII labels before the ASCII one, twitter-text reports the ASCII domain plus the path
    while the span covers both, and this keeps that behaviour.
    """

    __slots__ = ("end", "start", "url")

    def __init__(self, url: str, start: int, end: int) -> None:
        self.url = url
        self.start = start
        self.end = end

    def __repr__(self) -> str:
        return f"RawUrl({self.url!r}, {self.start}, {self.end})"


def utf16_len(s: str) -> int:
    """Length of ``s`` in UTF-16 code units (what JavaScript's ``length`` counts)."""
    if s.isascii():
        return len(s)
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


@functools.lru_cache(maxsize=4096)  # labels (TLDs above all) recur; encoding is slow
def _punycode_length(label: str) -> int:
    """Length of ``label`` after punycode.js ``toASCII``; -1 if it cannot be encoded."""
    if label.isascii() and "\x7f" not in label:
        return len(label)
    total = 0
    parts = _PUNYCODE_SEPARATORS.split(label)
    for part in parts:
        if all(c <= _LAST_PUNYCODE_BASIC for c in part):
            total += len(part)
            continue
        try:
            total += 4 + len(part.encode("punycode"))
        except (UnicodeError, OverflowError):  # pragma: no cover - pathological labels
            return -1
    return total + len(parts) - 1


def _idna_ok(domain: str) -> bool:
    known = _IDNA_CACHE.get(domain)
    if known is None:
        known = _check_idna(domain)
        if len(_IDNA_CACHE) >= _CACHE_SIZE:
            _IDNA_CACHE.clear()
        _IDNA_CACHE[domain] = known
    return known


_IDNA_CACHE: dict[str, bool] = {}


def _check_idna(domain: str) -> bool:
    if domain.startswith("xn--") and not ascii_domains(domain):
        return False
    labels = domain.split(".")
    if domain.isascii() and "\x7f" not in domain:
        return "" not in labels and max(map(len, labels)) <= _MAX_LABEL_LENGTH
    for label in labels:
        length = _punycode_length(label)
        if length < 1 or length > _MAX_LABEL_LENGTH:
            return False
    return True


def ascii_domains(domain: str) -> list[tuple[int, int]]:
    """Spans of the ASCII(-ish) domains inside ``domain``, leftmost first, never overlapping.

    A domain here is one or more labels of ASCII letters, digits, ``-`` and accented Latin
    letters, each followed by a dot, then a TLD.
    """
    out: list[tuple[int, int]] = []
    n = len(domain)
    p = 0
    while p < n:
        m = _ASCII_LABEL_CHAR.search(domain, p)
        if m is None:
            break
        i = m.start()
        tld_starts: list[int] = []
        j = i
        while True:
            e = _ASCII_LABEL_RUN.match(domain, j).end()  # type: ignore[union-attr]
            if e == j:
                break
            if e < n and domain[e] == ".":
                j = e + 1
                tld_starts.append(j)
            else:
                j = e
                break
        found = -1
        for t in reversed(tld_starts):
            found = tld_end(domain, t)
            if found >= 0:
                break
        if found >= 0:
            out.append((i, found))
            p = found
        else:
            p = max(j, i + 1)
    return out


class _Scanner:
    """Domain matching with memoised results per label start (keeps the scan linear)."""

    __slots__ = ("_label_end", "_label_start", "_last_underscore", "memo", "n", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.memo: dict[int, int] = {}
        self._label_start = -1
        self._label_end = -1
        self._last_underscore = -1

    def domain_end(self, q: int) -> int:
        """End of the domain twitter-text's regex matches from ``q``, or -1.

        That is ``subdomain* domain-name tld`` with as many subdomains as possible: the
        rightmost label that is a valid domain name and is followed by a TLD wins.
        """
        memo = self.memo
        known = memo.get(q)
        if known is not None:
            return known
        text, n = self.text, self.n
        chain: list[tuple[int, int, bool]] = []
        result = -1
        p = q
        while True:
            known = memo.get(p)
            if known is not None:
                result = known
                break
            # The label run containing p (cached: starts inside one label share it).
            if self._label_start <= p < self._label_end:
                end, underscore = self._label_end, self._last_underscore
            else:
                end = _LABEL_RUN.match(text, p).end()  # type: ignore[union-attr]
                underscore = text.rfind("_", p, end)
                self._label_start, self._label_end, self._last_underscore = p, end, underscore
            if end >= n or text[end] != "." or text[end - 1] in _EDGE:
                memo[p] = -1
                result = -1
                break
            chain.append((p, end, underscore < p))
            nxt = end + 1
            if nxt < n and text[nxt] not in _EXCLUDED:
                p = nxt
                continue
            result = -1
            break
        while chain:
            p, end, is_domain_name = chain.pop()
            if result < 0 and is_domain_name:
                result = tld_end(text, end + 1)
            memo[p] = result
        return memo[q]


_DOMAIN_CACHE: dict[str, int] = {}
_CACHE_SIZE = 4096
_CACHED_RUN_LENGTH = 64


def _cached_domain_end(text: str, start: int, scanners: list[_Scanner]) -> int:
    """``scanner.domain_end(start)``, remembered across texts for short runs.

    The domain matched from ``start`` depends only on the run of label characters and dots
    there plus the character after it (the TLD lookahead), so that string is the key; hosts
    such as t.co recur in nearly every post that links anywhere.
    """
    # Bounded look: measuring a long run from every start would be quadratic.
    run_end = _RUN.match(text, start, start + _CACHED_RUN_LENGTH + 1).end()  # type: ignore[union-attr]
    if run_end - start > _CACHED_RUN_LENGTH:
        return _scanner(text, scanners).domain_end(start)
    key = text[start : run_end + 1]
    relative = _DOMAIN_CACHE.get(key)
    if relative is None:
        end = _scanner(text, scanners).domain_end(start)
        relative = end - start if end >= 0 else -1
        if len(_DOMAIN_CACHE) >= _CACHE_SIZE:
            _DOMAIN_CACHE.clear()
        _DOMAIN_CACHE[key] = relative
    return start + relative if relative >= 0 else -1


def _scanner(text: str, scanners: list[_Scanner]) -> _Scanner:
    """The text's scanner, made on first need (cache hits never need one)."""
    if not scanners:
        scanners.append(_Scanner(text))
    return scanners[0]


def _url_at(
    text: str, n: int, u: int, scanners: list[_Scanner]
) -> tuple[int, int, int, int, int] | None:
    """Match the URL grammar at ``u``: (url end, domain start, domain end, path start, path end)."""
    domain_start = u
    if text[u] in "hH":
        m = _PROTOCOL.match(text, u)
        if m is not None:
            domain_start = m.end()
            if domain_start >= n or text[domain_start] in _EXCLUDED:
                return None
    domain_end = _cached_domain_end(text, domain_start, scanners)
    if domain_end < 0:
        return None
    e = domain_end
    if e < n and text[e] == ":":
        m = _PORT.match(text, e)
        if m is not None:
            e = m.end()
    path_start = path_end = e
    if e < n and text[e] == "/":
        e = path_end = _PATH.match(text, e).end()  # type: ignore[union-attr]
    if e < n and text[e] == "?":
        m = _QUERY.match(text, e)
        if m is not None:
            e = m.end()
    return e, domain_start, domain_end, path_start, path_end


def _windows(text: str) -> list[tuple[int, int]]:
    """Spans where a URL may start.

    Each is a run of label characters and dots that holds an anchor, widened left by the
    length of a scheme.
    """
    out: list[tuple[int, int]] = []
    pos = 1
    search = _ANCHOR_DOT.search
    while True:
        m = search(text, pos)
        if m is None:
            return out
        dot = m.start()
        k = dot - 1
        if text[k] in _EXCLUDED:  # also excludes "-" and "_", which cannot end a label
            pos = dot + 1
            continue
        start = k
        while start > 0 and text[start - 1] not in _NOT_RUN:
            start -= 1
        end = _RUN.match(text, dot).end()  # type: ignore[union-attr]
        start = max(start - _SCHEME_LENGTH, 0)
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
        pos = end + 1


def extract_raw_urls(text: str, *, without_protocol: bool = True) -> list[RawUrl]:
    """Every URL twitter-text's ``extractUrlsWithIndices`` reports, with code-point spans.

    The official regex runs over UTF-16, where an astral character (an emoji, say) is two
    code units that both count as domain characters; its first half can then serve as the
    character before a URL that starts at its second half. That start is reproduced here as
    a "half" start at the astral character.
    """
    if "." not in text or (not without_protocol and ":" not in text):
        return []
    windows = _windows(text)
    if not windows:
        return []
    return _walk(text, windows, without_protocol=without_protocol)


# The hot loop, kept in one frame with plain `if`s instead of max() on purpose (speed).
def _walk(  # noqa: C901, PLR0912, PLR0915
    text: str, windows: list[tuple[int, int]], *, without_protocol: bool
) -> list[RawUrl]:
    """The official regex's left-to-right sequence of match attempts, limited to windows.

    Attempts are ordered by the UTF-16 position of the preceding unit: the half start at
    an astral character p comes just before the attempt whose preceding character is p.
    """
    n = len(text)
    scanners: list[_Scanner] = []
    astral = not text.isascii() and _ASTRAL.search(text) is not None
    urls: list[RawUrl] = []
    window = 0
    windows_count = len(windows)
    candidate = _CANDIDATE.search
    regular_from = half_from = 0
    s = 0
    tries: tuple[tuple[int, bool], ...] = ()
    if windows[0][0] <= 1:
        tries = _first_tries(text, astral=astral)
    else:
        regular_from, half_from = windows[0][0] - 1, windows[0][0]
    while True:
        if tries:
            hit = None
            u, half = 0, False
            for attempt in tries:
                u = attempt[0]
                if u < n and text[u] not in _EXCLUDED:
                    hit = _url_at(text, n, u, scanners)
                    if hit is not None:
                        half = attempt[1]
                        break
            if hit is not None:
                _report(text, urls, u, hit, without=without_protocol, half=half)
                regular_from = half_from = hit[0]
            elif tries[-1][1]:
                regular_from, half_from = s, s + 1
            else:
                regular_from = half_from = s + 1
        # The next attempt: a URL after the character at s, or a half start.
        tries = ()
        while window < windows_count:
            start, end = windows[window]
            if regular_from < start - 1:  # noqa: PLR1730
                regular_from = start - 1
            if half_from < start:  # noqa: PLR1730
                half_from = start
            m = candidate(text, regular_from, end - 1) if regular_from < end - 1 else None
            s = m.start() if m is not None else end
            if astral and half_from < end:
                p = _next_half_start(text, half_from, min(s, end - 1))
                if p >= 0:
                    s, tries = p, ((p, True),)
                    break
            if s < end:
                tries = ((s + 1, False),)
                break
            window += 1
        if not tries:
            return urls


def _first_tries(text: str, *, astral: bool) -> tuple[tuple[int, bool], ...]:
    """Starts tried at the beginning: text[0] as the preceding character first, then ``^``."""
    if astral and text[0] > "\uffff":
        return ((0, True), (0, False), (1, False))
    if text[0] not in _EXCLUDED_PRECEDING:
        return ((1, False), (0, False))
    return ((0, False),)


def _next_half_start(text: str, pos: int, limit: int) -> int:
    """The next astral character in ``pos..limit`` whose second half starts a URL attempt.

    Returns -1 if there is none.
    """
    m = _ASTRAL.search(text, pos, limit + 1)
    while m is not None:
        p = m.start()
        # If the character before it could precede a URL, that attempt came first and
        # decided the same domain, so the half start changes nothing.
        if p - 1 < pos or text[p - 1] in _EXCLUDED_PRECEDING:
            return p
        m = _ASTRAL.search(text, p + 1, limit + 1)
    return -1


def _report(
    text: str,
    urls: list[RawUrl],
    u: int,
    hit: tuple[int, int, int, int, int],
    *,
    without: bool,
    half: bool,
) -> None:
    end, domain_start, domain_end, path_start, path_end = hit
    url = text[u:end]
    domain = text[domain_start:domain_end]
    has_protocol = domain_start > u
    protocol_length = domain_start - u if has_protocol else _DEFAULT_PROTOCOL_LENGTH
    url_length = utf16_len(url)
    if half:
        # JavaScript sees only the second (low surrogate) half of the first character.
        low = chr(0xDC00 + ((ord(domain[0]) - 0x10000) & 0x3FF))
        domain = low + domain[1:]
        url_length -= 1
    if not _idna_ok(domain) or protocol_length + url_length > MAX_URL_LENGTH:
        return
    if not has_protocol:
        before = _HIGH_SURROGATE if half else text[u - 1] if u > 0 else ""
        if not without or (before and before in _BAD_BEFORE_BARE):
            return
        spans = ascii_domains(domain)
        if not spans:
            return
        found_end = 0
        for a, b in spans:
            # twitter-text locates each match with indexOf from the previous end, which
            # finds an earlier identical substring if there is one; so does this.
            found = domain[a:b]
            start = domain.find(found, found_end)
            found_end = start + len(found)
            urls.append(RawUrl(found, u + start, u + found_end))
        if path_end > path_start:
            last = urls[-1]
            last.url = last.url + url[domain_end - u :]
            last.end = end
        return
    m = (
        _TCO.match(url)
        if domain_end - domain_start == len("t.co")
        and domain.lower() == "t.co"
        and path_end > path_start
        else None
    )
    if m is not None:
        if len(m.group(1)) > MAX_TCO_SLUG_LENGTH:
            return
        url = m.group(0)
        end = u + len(url)
    urls.append(RawUrl(url, u, end))
