"""URL extraction: twitter-text's URL grammar, evaluated in linear time.

The official implementation runs one large backtracking regular expression. Its domain part
(``subdomain* domain-name . tld``) backtracks over every label for every start position, which
is quadratic on inputs such as ``"a." * 500_000``. This module evaluates the same grammar with
a label scanner that remembers, for every label start, where the longest valid domain from
there ends; every position is then examined a bounded number of times. Paths and queries,
whose regexes cannot fail once a domain matched, are matched with anchored regexes.
"""

from __future__ import annotations

import re

from socialcare.text._chars import DIRECTIONAL_MARKERS, INVALID_CHARS, LATIN_ACCENTS, SPACES
from socialcare.text._tlds import tld_end

__all__ = ["RawUrl", "ascii_domains", "extract_raw_urls", "utf16_len"]

MAX_URL_LENGTH = 4096
MAX_TCO_SLUG_LENGTH = 40
_DEFAULT_PROTOCOL_LENGTH = len("https://")
_MAX_LABEL_LENGTH = 63

_NOT_DOMAIN = r"!'#%&()*+,\\./:;<=>?@\[\]^{|}~$" + SPACES + INVALID_CHARS + DIRECTIONAL_MARKERS
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
_MAYBE_TLD = re.compile(r"\.[^\x00-/:-@\[-`{-\x7e]")
_PROTOCOL = re.compile(r"https?://", re.IGNORECASE)
_PORT = re.compile(r":[0-9]+")

_G = f"[a-zA-Z\\u0400-\\u04ff0-9!*';:=+,.$/%#\\[\\]\\-\\u2013_~@|&{LATIN_ACCENTS}]"
_BALANCED = f"\\((?:{_G}+|(?:{_G}*\\({_G}+\\){_G}*))\\)"
_PATH_END = f"(?:[+\\-a-zA-Z\\u0400-\\u04ff0-9=_#/{LATIN_ACCENTS}]|{_BALANCED})"
_PATH_SEGMENT = f"(?:{_G}*(?:{_BALANCED}{_G}*)*{_PATH_END}|@{_G}+/)"
_PATH = re.compile(f"/{_PATH_SEGMENT}*")
_QUERY_CHARS = r"[a-zA-Z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]"
_QUERY_END = r"[a-zA-Z0-9\-_&=#/]"
_QUERY = re.compile(f"\\?{_QUERY_CHARS}*{_QUERY_END}")
_TCO = re.compile(f"https?://t\\.co/([a-z0-9]+)(?:\\?{_QUERY_CHARS}*{_QUERY_END})?", re.IGNORECASE)
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


def _punycode_length(label: str) -> int:
    """Length of ``label`` after punycode.js ``toASCII``; -1 if it cannot be encoded."""
    if all(c <= _LAST_PUNYCODE_BASIC for c in label):
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
    if domain.startswith("xn--") and not ascii_domains(domain):
        return False
    for label in domain.split("."):
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

    def _label(self, p: int) -> tuple[int, int]:
        """End of the label run containing ``p`` and the last '_' in it (cached per label)."""
        if self._label_start <= p < self._label_end:
            return self._label_end, self._last_underscore
        end = _LABEL_RUN.match(self.text, p).end()  # type: ignore[union-attr]
        self._label_start, self._label_end = p, end
        self._last_underscore = self.text.rfind("_", p, end)
        return end, self._last_underscore

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
            end, underscore = self._label(p)
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


def _url_at(scanner: _Scanner, u: int) -> tuple[int, int, int, int, int] | None:
    """Match the URL grammar at ``u``: (url end, domain start, domain end, path start, path end)."""
    text, n = scanner.text, scanner.n
    domain_start = u
    if text[u] in "hH":
        m = _PROTOCOL.match(text, u)
        if m is not None:
            domain_start = m.end()
            if domain_start >= n or text[domain_start] in _EXCLUDED:
                return None
    domain_end = scanner.domain_end(domain_start)
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


def extract_raw_urls(text: str, *, without_protocol: bool = True) -> list[RawUrl]:
    """Every URL twitter-text's ``extractUrlsWithIndices`` reports, with code-point spans."""
    if without_protocol:
        if "." not in text or _MAYBE_TLD.search(text) is None:
            return []
    elif ":" not in text:
        return []
    scanner = _Scanner(text)
    urls: list[RawUrl] = []
    n = len(text)
    # At index 0 the official regex first tries text[0] as the preceding character, then ^.
    s = 0
    tries = (1, 0) if text[0] not in _EXCLUDED_PRECEDING else (0,)
    while True:
        hit = None
        u = 0
        for u in tries:
            if u < n and text[u] not in _EXCLUDED:
                hit = _url_at(scanner, u)
                if hit is not None:
                    break
        if hit is None:
            pos = s + 1
        else:
            pos = hit[0]
            _report(text, urls, u, hit, without=without_protocol)
        m = _CANDIDATE.search(text, pos) if pos < n else None
        if m is None:
            return urls
        s = m.start()
        tries = (s + 1,)


def _report(
    text: str,
    urls: list[RawUrl],
    u: int,
    hit: tuple[int, int, int, int, int],
    *,
    without: bool,
) -> None:
    end, domain_start, domain_end, path_start, path_end = hit
    before = text[u - 1] if u > 0 else ""
    url = text[u:end]
    domain = text[domain_start:domain_end]
    has_protocol = domain_start > u
    protocol_length = domain_start - u if has_protocol else _DEFAULT_PROTOCOL_LENGTH
    if not _idna_ok(domain) or protocol_length + utf16_len(url) > MAX_URL_LENGTH:
        return
    if not has_protocol:
        if not without or (before and before in _BAD_BEFORE_BARE):
            return
        spans = ascii_domains(domain)
        if not spans:
            return
        for a, b in spans:
            urls.append(RawUrl(domain[a:b], u + a, u + b))
        if path_end > path_start:
            last = urls[-1]
            last.url = last.url + url[len(domain) :]
            last.end = end
        return
    m = _TCO.match(url)
    if m is not None:
        if len(m.group(1)) > MAX_TCO_SLUG_LENGTH:
            return
        url = m.group(0)
        end = u + len(url)
    urls.append(RawUrl(url, u, end))
