"""Pure detectors: links to domains off the allow-list, and phishing in inbound text.

No I/O: a detector reads text and the links X expanded (``entities.urls[].expanded_url``;
X wraps every link in t.co, so the t.co address says nothing about where it leads).
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import cached_property
from urllib.parse import urlsplit

import attrs

from socialcare.models import Entities
from socialcare.text import extract_urls

__all__ = [
    "DEFAULT_PHISHING_PATTERNS",
    "PhishingDetector",
    "PhishingMatch",
    "PhishingPattern",
    "domain_allowed",
    "domain_of",
    "links_in",
]

_SHORTENER = "t.co"
_TWO_LEVEL_SUFFIXES = frozenset(
    {"co.uk", "org.uk", "ac.uk", "gov.uk", "com.au", "net.au", "co.nz", "co.jp", "co.in", "com.br"}
)
# Characters phishers swap in for look-alikes, mapped to what they imitate.
_CONFUSABLE = str.maketrans(
    {"0": "o", "1": "l", "3": "e", "5": "s", "@": "a", "$": "s"}
    # Cyrillic and Greek letters drawn like Latin ones (IDN homograph attacks)
    | dict(zip("асеіјорхуѕԁһκνοτ", "aceijopxysdhkvot", strict=True))
)
_NEGATION = re.compile(
    r"\b(?:never|not|don'?t|do not|won'?t|will not|no one|nobody)\b[^.?!\n]*\Z", re.IGNORECASE
)


def domain_of(url: str) -> str | None:
    """The host of ``url`` in lower case without ``www.`` (``None`` when there is none).

    A scheme is optional (``acme-help.com/login`` has the host ``acme-help.com``);
    internationalised hosts are compared in their ASCII (punycode) form.
    """
    text = url.strip()
    if not text:
        return None
    if "://" not in text:
        text = f"http://{text}"
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".").lower()
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii")
    return host.removeprefix("www.") or None


def domain_allowed(host: str, allowed: Iterable[str]) -> bool:
    """Whether ``host`` is one of ``allowed`` or a subdomain of one."""
    host = host.lower()
    for domain in allowed:
        d = domain.lower().removeprefix("www.")
        if host == d or host.endswith(f".{d}"):
            return True
    return False


def links_in(text: str, entities: Entities | None = None) -> tuple[str, ...]:
    """Where the links of a text lead: expanded URLs from X's entities, else the text's URLs.

    A t.co link that X sent without its expansion is kept as it is (its host is
    ``t.co``: unknown destination).
    """
    out: list[str] = []
    covered: set[str] = set()
    if entities is not None:
        for entity in entities.urls:
            out.append(entity.unwound_url or entity.expanded_url or entity.url)
            covered.add(entity.url)
    out.extend(url for url in extract_urls(text) if url not in covered)
    return tuple(dict.fromkeys(out))


def _registrable_label(host: str) -> str:
    """The label a domain is registered under: ``acme`` in ``help.acme.co.uk``."""
    labels = host.split(".")
    if len(labels) >= 3 and ".".join(labels[-2:]) in _TWO_LEVEL_SUFFIXES:  # noqa: PLR2004
        return labels[-3]
    return labels[-2] if len(labels) >= 2 else labels[0]  # noqa: PLR2004


def _skeleton(label: str) -> str:
    """A label with look-alike characters folded: ``acrne`` and ``4cme``-style swaps."""
    if label.startswith("xn--"):
        with contextlib.suppress(UnicodeError):
            label = label.encode("ascii").decode("idna")
    folded = unicodedata.normalize("NFKD", label)
    folded = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    return folded.translate(_CONFUSABLE).replace("rn", "m").replace("vv", "w").replace("-", "")


def _within_one_edit(a: str, b: str) -> bool:
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diffs) == 1:
            return True
        i = diffs[0]
        return len(diffs) == 2 and a[i] == b[i + 1] and a[i + 1] == b[i]  # noqa: PLR2004
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


@attrs.frozen
class PhishingPattern:
    """One phishing pattern, as data.

    Attributes:
        name: a short id (``"verify_account"``), reported with each match.
        regex: a regular expression, matched case-insensitively against the text.
        why: what it means, for people (the alert's reason).
        negatable: a match preceded in its sentence by "never", "do not", "won't"...
            does not count ("we will never ask for your password").
    """

    name: str
    regex: str
    why: str
    negatable: bool = True

    @cached_property
    def compiled(self) -> re.Pattern[str]:
        """The compiled expression."""
        return re.compile(self.regex, re.IGNORECASE)


DEFAULT_PHISHING_PATTERNS: tuple[PhishingPattern, ...] = (
    PhishingPattern(
        "verify_account",
        r"\b(?:verify|confirm|validate|re-?activate|unlock|restore|secure)\s+(?:your|ur)\s+"
        r"(?:account|identity|login|profile|wallet|details)\b",
        "asks to verify an account",
    ),
    PhishingPattern(
        "password_request",
        r"\b(?:confirm|enter|send|share|give|provide|type|reply with|dm)\b(?:\s+\w+){0,3}?\s+"
        r"(?:your|ur)\s+(?:current\s+|account\s+|login\s+)?"
        r"(?:password|passcode|pin|one[- ]time (?:code|password)|otp|2fa code|"
        r"verification code|security code|login code|login details|credentials)\b",
        "asks for a password or a login code",
    ),
    PhishingPattern(
        "seed_phrase",
        r"\b(?:seed|recovery|secret|mnemonic|backup)\s+(?:phrase|words)\b|\bprivate\s+key\b",
        "asks for a wallet's seed phrase or private key",
    ),
    PhishingPattern(
        "card_request",
        r"\b(?:send|share|give|provide|enter|confirm|dm)\b(?:\s+\w+){0,3}?\s+(?:your|ur)\s+"
        r"(?:full\s+)?(?:card number|card details|cvv|cvc|security questions?|"
        r"bank (?:login|details))\b",
        "asks for card or bank details",
    ),
    PhishingPattern(
        "suspension_threat",
        r"\b(?:your|ur)\s+account\b[^.?!\n]{0,40}?\b(?:will be|has been|is being|is)\s+"
        r"(?:suspended|locked|disabled|deactivated|terminated|restricted)\b"
        r"[^\n]{0,60}?\b(?:unless|within|click|verify|log ?in|tap)\b",
        "threatens suspension to rush a login",
    ),
)
"""The phishing patterns :class:`PhishingDetector` uses by default."""

_LOGIN_PATH = re.compile(
    r"(?:^|[/._?=-])(?:log-?in|sign-?in|signon|verify|verification|auth|authenticate|"
    r"password|passwd|credential|wallet|unlock|secure|account-?recovery)(?:$|[/._?=&-])",
    re.IGNORECASE,
)


@attrs.frozen
class PhishingMatch:
    """One reason a text reads as phishing.

    Attributes:
        pattern: the pattern's name, or ``"login_link"`` / ``"lookalike_domain"``.
        why: what it means, for people.
        matched: the text or URL that matched.
    """

    pattern: str
    why: str
    matched: str


def _strings(values: Iterable[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        raise TypeError("expected several strings, not one string")
    return tuple(v.lower() for v in values)


def _patterns(values: Iterable[PhishingPattern]) -> tuple[PhishingPattern, ...]:
    return tuple(values)


@attrs.frozen
class PhishingDetector:
    """Phishing in a text: patterns (data), login links off the brand's domains, look-alikes.

    Pure and thread-safe. ``scan(text, links)`` returns the matches, first the
    patterns in order, then the links.

    Attributes:
        patterns: the text patterns (default :data:`DEFAULT_PHISHING_PATTERNS`).
        brand_names: the brand's names as they appear in its domains (``"acme"``): a
            domain made to look like one (``acme-support.help``, ``acrne.com``,
            ``4cme.com``) that is not a brand domain is a look-alike.
        brand_domains: the brand's own domains (``"acme.example"``): never flagged.
        trusted_domains: other domains whose login pages are genuine (an identity provider).
    """

    patterns: tuple[PhishingPattern, ...] = attrs.field(
        default=DEFAULT_PHISHING_PATTERNS, converter=_patterns
    )
    brand_names: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    brand_domains: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    trusted_domains: tuple[str, ...] = attrs.field(default=(), converter=_strings)

    def __attrs_post_init__(self) -> None:
        for pattern in self.patterns:
            try:
                _ = pattern.compiled
            except re.error as exc:
                raise ValueError(f"phishing pattern {pattern.name!r}: {exc}") from exc
        for name in self.brand_names:
            if len(name) < 3:  # noqa: PLR2004
                raise ValueError(f"brand name {name!r} is too short to find look-alikes of")

    def scan(self, text: str, links: Sequence[str] = ()) -> tuple[PhishingMatch, ...]:
        """Every phishing sign in ``text`` and in ``links`` (default: the URLs in the text)."""
        found: list[PhishingMatch] = []
        for pattern in self.patterns:
            for match in pattern.compiled.finditer(text):
                before = text[max(0, match.start() - 60) : match.start()]
                if pattern.negatable and _NEGATION.search(before):
                    continue
                found.append(PhishingMatch(pattern.name, pattern.why, match.group(0)))
                break
        for url in links or extract_urls(text):
            found.extend(self.scan_link(url))
        return tuple(found)

    def scan_link(self, url: str) -> tuple[PhishingMatch, ...]:
        """Phishing signs of one URL: a look-alike of the brand, a login page elsewhere."""
        host = domain_of(url)
        if host is None or host == _SHORTENER:
            return ()
        if domain_allowed(host, self.brand_domains):
            return ()
        out: list[PhishingMatch] = []
        if self.lookalike(host):
            out.append(
                PhishingMatch("lookalike_domain", "a domain made to look like the brand's", url)
            )
        if not domain_allowed(host, self.trusted_domains):
            rest = url.split(host, 1)[-1] if host in url else url
            if _LOGIN_PATH.search(host.split(".", 1)[0]) or _LOGIN_PATH.search(rest):
                out.append(PhishingMatch("login_link", "a login page off the brand's domains", url))
        return tuple(out)

    def lookalike(self, host: str) -> bool:
        """Whether ``host`` imitates a brand name without being a brand domain."""
        if domain_allowed(host, self.brand_domains):
            return False
        label = _registrable_label(host)
        skeleton = _skeleton(label)
        labels = host.split(".")
        for name in self.brand_names:
            brand = _skeleton(name)
            if brand in skeleton or brand in labels:
                return True  # acme-support.help, acmehelp.net, acme.example.evil.io
            if len(brand) >= 4 and _within_one_edit(skeleton, brand):  # noqa: PLR2004
                return True  # acne.com, acmme.com
        return False
