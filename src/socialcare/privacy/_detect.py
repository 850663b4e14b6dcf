"""The detectors: one function per kind, each yielding raw ``(start, end, label)`` spans.

Every detector first finds candidates with a regular expression (one linear pass), then
validates each candidate with a check digit or a library: Luhn and the card networks' IIN
ranges, ISO 13616 mod-97 and country lengths (python-stdnum), phonenumbers' validity
metadata, python-stdnum's national id modules. The libraries are imported on first need:
``import socialcare.compose`` stays light.
"""

from __future__ import annotations

import functools
import importlib
import re
import string
from collections.abc import Iterator, Mapping
from types import MappingProxyType, ModuleType
from typing import Protocol, cast

from socialcare.errors import ConfigurationError

__all__ = [
    "DEFAULT_ACCOUNT_PATTERNS",
    "ROLE_MAILBOXES",
    "Span",
    "account_possible",
    "account_spans",
    "card_spans",
    "email_possible",
    "email_spans",
    "has_free_digit",
    "iban_spans",
    "national_id_module",
    "national_id_spans",
    "password_possible",
    "password_spans",
    "phone_spans",
]

Span = tuple[int, int, str]
"""``(start, end, label)`` in code points; the label says which network, country, pattern..."""

# ---------------------------------------------------------------------------------------
# Payment cards

# 12 to 19 digits, optionally in groups separated by one space or hyphen; not glued to a
# longer run of digits or letters, nor part of a decimal number or a date.
_CARD_CANDIDATE = re.compile(r"(?<![\w.,/:-])\d(?:[ -]?\d){11,18}(?![\w]|[.,/:-]\d)")
_SEPARATOR = re.compile(r"[ -]")

# (network, IIN ranges as (low, high) prefixes of equal length, valid lengths)
_NETWORKS: tuple[tuple[str, tuple[tuple[str, str], ...], frozenset[int]], ...] = (
    ("visa", (("4", "4"),), frozenset({13, 16, 19})),
    ("mastercard", (("51", "55"), ("2221", "2720")), frozenset({16})),
    ("amex", (("34", "34"), ("37", "37")), frozenset({15})),
    (
        "discover",
        (("6011", "6011"), ("644", "649"), ("65", "65"), ("622126", "622925")),
        frozenset(range(16, 20)),
    ),
    ("diners", (("300", "305"), ("36", "36"), ("38", "39")), frozenset(range(14, 20))),
    ("jcb", (("3528", "3589"),), frozenset(range(16, 20))),
    ("unionpay", (("62", "62"), ("81", "81")), frozenset(range(16, 20))),
    ("mir", (("2200", "2204"),), frozenset(range(16, 20))),
    (
        "maestro",
        tuple(
            (p, p) for p in ("5018", "5020", "5038", "5893", "6304", "6759", "6761", "6762", "6763")
        ),
        frozenset(range(12, 20)),
    ),
)
_GROUPED = frozenset({(4, 6, 5), (4, 6, 4)})  # Amex and Diners print 4-6-5 and 4-6-4


def luhn_valid(digits: str) -> bool:
    """Whether a string of ASCII digits passes the Luhn check."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:  # noqa: PLR2004
                d -= 9
        total += d
    return total % 10 == 0


def card_network(digits: str) -> str | None:
    """The network whose IIN range and length fit ``digits``, or ``None``."""
    n = len(digits)
    for network, ranges, lengths in _NETWORKS:
        if n not in lengths:
            continue
        for low, high in ranges:
            if low <= digits[: len(low)] <= high:
                return network
    return None


def _grouping_ok(groups: list[str], separators: set[str]) -> bool:
    if len(groups) == 1:
        return True
    if len(separators) != 1:
        return False  # "4111 1111-1111 1111": mixed separators are not how cards are written
    sizes = tuple(len(g) for g in groups)
    if sizes in _GROUPED:
        return True
    return all(s == 4 for s in sizes[:-1]) and 1 <= sizes[-1] <= 4  # noqa: PLR2004


def card_spans(text: str) -> Iterator[Span]:
    """Luhn-valid numbers in a card network's IIN range and length, written as cards are."""
    for m in _CARD_CANDIDATE.finditer(text):
        raw = m.group(0)
        groups = _SEPARATOR.split(raw)
        separators = set(_SEPARATOR.findall(raw))
        # A card followed by another number ("... 1111 2 times"): try shorter group runs.
        for keep in range(len(groups), 0, -1):
            head = groups[:keep]
            digits = "".join(head)
            if len(digits) < 12:  # noqa: PLR2004
                break
            if not _grouping_ok(head, separators):
                continue
            network = card_network(digits)
            if network is not None and luhn_valid(digits):
                length = sum(map(len, head)) + keep - 1
                yield m.start(), m.start() + length, network
                break


# ---------------------------------------------------------------------------------------
# IBANs

_IBAN_CANDIDATE = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,4})?"
    r"(?![A-Za-z0-9])"
)
_MIN_IBAN_DIGITS = 8


def _stdnum(name: str) -> ModuleType:
    return _import_stdnum(name)


@functools.cache
def _validator(name: str) -> _Validator:
    return national_id_module(name)


@functools.cache
def _import_stdnum(name: str) -> ModuleType:
    try:
        return importlib.import_module(f"stdnum.{name}")
    except ImportError as exc:  # pragma: no cover - python-stdnum is a dependency
        msg = f"python-stdnum has no module {name!r} (or is not installed)"
        raise ConfigurationError(msg) from exc


def iban_spans(text: str) -> Iterator[Span]:
    """IBANs that pass ISO 13616: country, length for that country, BBAN format, mod-97.

    Written compact (``DE89370400440532013000``) or in groups of four separated by
    single spaces (``DE89 3704 0044 0532 0130 00``).
    """
    for m in _IBAN_CANDIDATE.finditer(text):
        pieces = m.group(0).split(" ")
        if len(pieces[0]) > 4:  # noqa: PLR2004 - compact: the IBAN is the first token
            tries = [pieces[0]]
        else:
            tries = [" ".join(pieces[:keep]) for keep in range(len(pieces), 2, -1)]
        iban = _stdnum("iban")
        for written in tries:
            compact = written.replace(" ", "").upper()
            if sum(c.isdigit() for c in compact) < _MIN_IBAN_DIGITS:
                break
            if iban.is_valid(compact):
                yield m.start(), m.start() + len(written), compact[:2]
                break


# ---------------------------------------------------------------------------------------
# E-mail addresses

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9_%+-](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?"
    rf"@(?:{_LABEL}\.)+[A-Za-z]{{2,24}}(?![\w-])"
)


_EMAIL_AT = re.compile(r"[A-Za-z0-9_%+-]@")
ROLE_MAILBOXES = frozenset(
    [
        "abuse",
        "admin",
        "billing",
        "care",
        "contact",
        "customercare",
        "customerservice",
        "customerservices",
        "enquiries",
        "feedback",
        "hello",
        "help",
        "helpdesk",
        "info",
        "noreply",
        "no-reply",
        "phish",
        "postmaster",
        "press",
        "privacy",
        "reportphish",
        "reportspam",
        "sales",
        "security",
        "service",
        "spam",
        "support",
        "team",
        "webmaster",
    ]
)
"""Local parts of role addresses (``abuse@bank.com``): a company's published mailboxes,
not a person's."""


def email_possible(text: str) -> bool:
    """Whether ``text`` holds an ``@`` right after a local part's character.

    Mentions (``@ann``) are not preceded by one.
    """
    return _EMAIL_AT.search(text) is not None


def email_spans(text: str, *, roles: bool = False) -> Iterator[Span]:
    """E-mail addresses: a local part, ``@``, a domain with a letter-only top level.

    Unless ``roles``, role addresses (``support@``, ``abuse@``...: :data:`ROLE_MAILBOXES`)
    are a company's published mailboxes and are not returned.
    """
    if not email_possible(text):
        return
    for m in _EMAIL.finditer(text):
        local, _, domain = m.group(0).rpartition("@")
        if not roles and local.lower() in ROLE_MAILBOXES:
            continue
        yield m.start(), m.end(), domain.lower()


# ---------------------------------------------------------------------------------------
# Phone numbers

# Seven digits or more in one run of digits, spaces and phone punctuation: the cheap test
# before phonenumbers' matcher, which is far slower.
_PHONE_HINT = re.compile(r"(?<![\w@])\d(?:[ \t().\-\u00a0]{0,3}\d){6,}")
# What stands right before a number that is an amount, an id or an order, not a phone.
_NOT_A_PHONE_BEFORE = re.compile(
    r"(?:[#$\u00a3\u20ac\u00a5@]|\b(?:order|ref|reference|id|account|acct|case|ticket|pnr|"
    r"tracking|track|invoice|booking|confirmation|serial|model|flight|item|sku|tweet|imei|"
    r"transaction|receipt|awb|consignment|complaint|request|sr|pin|pincode|zip)\b"
    r"[\s:#.]{0,3}(?:number|no\.?|num|id|#)?[\s:#.]{0,3}(?:is\s)?)$",
    re.IGNORECASE,
)
# Words that say a phone number follows, within a few characters: a bare run of digits
# after them is read as a phone number too ("my number is 4045781025").
_PHONE_WORDS = re.compile(
    r"\b(?:phone|mobile|mob|mo|cell|cellphone|tel|telephone|whatsapp|contact|call|ring|text|"
    r"reach|reached|line|sms|(?:my|this|the|his|her|new|old) (?:number|no\.?))\b"
    r"[^\d\n]{0,16}$",
    re.IGNORECASE,
)
_NOT_A_PHONE_AFTER = re.compile(r"^(?:\s?(?:%|p\.?m\b|a\.?m\b|gb\b|mb\b|kb\b|x\b))", re.IGNORECASE)
_PHONE_SEPARATED = re.compile(r"[ \t().\-\u00a0/]")
# Dates (05-11-2017, 12/22-01/8) and IPv4 addresses (137.221.83.74) phonenumbers may read.
_DATE_OR_ADDRESS = re.compile(
    r"\b\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\b|\b\d{1,2}/\d{1,2}\b|\b\d{1,3}(?:\.\d{1,3}){3}\b"
)
_GLUED_BEFORE = re.compile(r"(?:\w|[A-Za-z][-/])$")
_CONTEXT = 24
_PHONE_LEAD, _PHONE_TAIL = 8, 6


# phonenumbers' types of the numbers a business publishes: free or shared-cost lines.
_BUSINESS_TYPES = frozenset({"TOLL_FREE", "PREMIUM_RATE", "SHARED_COST", "UAN", "VOICEMAIL"})


def _valid_phone_matches(text: str, region: str) -> Iterator[tuple[int, int, str, bool]]:
    """``(start, end, region, business)`` for every valid number phonenumbers finds."""
    import phonenumbers  # noqa: PLC0415 - 15 ms: loaded on the first text with a long number

    matcher = phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID)
    types = phonenumbers.PhoneNumberType
    business = frozenset(getattr(types, name) for name in _BUSINESS_TYPES)
    for match in matcher:
        found = phonenumbers.region_code_for_number(match.number) or region
        kind = phonenumbers.number_type(match.number)
        yield match.start, match.end, found, kind in business


def phone_spans(text: str, regions: tuple[str, ...], *, business: bool = False) -> Iterator[Span]:
    """Phone numbers valid for their region (numbers with ``+`` for any region).

    ``regions`` are where numbers written in national format are read (``"US"``:
    ``(415) 555-0132``). A candidate is dropped when it reads as something else: right
    after ``#``, a currency sign, a letter and a hyphen (``PP-006-234-348-863``) or a word
    such as ``order``, ``ref`` or ``tracking``; right before ``%``, ``am``/``pm`` or a size
    unit; or when it is a bare run of digits with no ``+`` and no separator inside (ids
    are written that way) and no word such as ``phone``, ``call`` or ``my number`` comes
    just before it. Unless ``business``, toll-free,
    shared-cost and premium-rate numbers (a company's published lines: ``1-800-...``,
    ``0345 ...``) are not private and are not returned.
    """
    seen: set[tuple[int, int]] = set()
    for first, last in _phone_windows(text):
        chunk = text[first:last]
        for region in regions:
            for a, b, found, is_business in _valid_phone_matches(chunk, region):
                start, end = first + a, first + b
                if (start, end) in seen:
                    continue
                seen.add((start, end))
                if is_business and not business:
                    continue
                if _phone_in_context(text, start, end):
                    yield start, end, found


def _phone_windows(text: str) -> Iterator[tuple[int, int]]:
    """The stretches of ``text`` around runs of 7 digits or more, merged when they touch.

    phonenumbers' matcher costs about a microsecond per character it reads: it reads
    only these (with room for a ``+``, ``(`` or ``00`` before the digits).
    """
    window: list[int] | None = None
    for m in _PHONE_HINT.finditer(text):
        first, last = max(0, m.start() - _PHONE_LEAD), min(len(text), m.end() + _PHONE_TAIL)
        if window is not None and first <= window[1]:
            window[1] = last
            continue
        if window is not None:
            yield window[0], window[1]
        window = [first, last]
    if window is not None:
        yield window[0], window[1]


def _phone_in_context(text: str, start: int, end: int) -> bool:
    """Whether the valid number at ``text[start:end]`` reads as a phone number there."""
    before = max(0, start - _CONTEXT)
    if _NOT_A_PHONE_BEFORE.search(text, before, start) is not None:
        return False
    if _GLUED_BEFORE.search(text, max(0, start - 2), start) is not None:
        return False
    if _NOT_A_PHONE_AFTER.match(text[end : end + 4]) is not None:
        return False
    raw = text[start:end].strip("([ ])")
    if _DATE_OR_ADDRESS.search(raw) is not None:
        return False
    if raw.startswith("+") or _PHONE_SEPARATED.search(raw) is not None:
        return True
    # "2125551234": an id as often as a phone number, unless words say which
    return _PHONE_WORDS.search(text, before, start) is not None


# ---------------------------------------------------------------------------------------
# Order and account numbers

_DIGITS_AT_LEAST_4 = r"(?=(?:[A-Za-z-]*\d){4})"
DEFAULT_ACCOUNT_PATTERNS: Mapping[str, str] = MappingProxyType(
    {
        "order": (
            r"(?i)\border\s*(?:number|num|no\.?|id)?\s*[:#]?\s*#?(?P<value>"
            + _DIGITS_AT_LEAST_4
            + r"[A-Za-z0-9][A-Za-z0-9-]{3,30}[A-Za-z0-9])\b"
        ),
        "account": (
            r"(?i)\b(?:account|acct|a/c|customer|member(?:ship)?)\s*(?:number|num|no\.?|id)?"
            r"\s*[:#]?\s*#?(?P<value>"
            + _DIGITS_AT_LEAST_4
            + r"[A-Za-z0-9][A-Za-z0-9-]{3,30}[A-Za-z0-9])\b"
        ),
    }
)
"""Order and account numbers that follow their keyword (``order #112-3456789``,
``account no. 12345678``) and hold at least four digits."""


# Words one of the default patterns needs, lowercased: the cheap test before the regexes.
_DEFAULT_HINTS: dict[str, tuple[str, ...]] = {
    DEFAULT_ACCOUNT_PATTERNS["order"]: ("order",),
    DEFAULT_ACCOUNT_PATTERNS["account"]: ("account", "acct", "a/c", "customer", "member"),
}


def account_possible(lowered: str, patterns: tuple[tuple[str, re.Pattern[str]], ...]) -> bool:
    """Whether one of ``patterns`` could match the lowercased text.

    A default pattern needs one of its words; any other pattern always could.
    """
    for _, pattern in patterns:
        hints = _DEFAULT_HINTS.get(pattern.pattern)
        if hints is None or any(hint in lowered for hint in hints):
            return True
    return False


def account_spans(text: str, patterns: tuple[tuple[str, re.Pattern[str]], ...]) -> Iterator[Span]:
    """Matches of the named patterns; a pattern's ``value`` group, if any, is the span."""
    lowered: str | None = None
    for name, pattern in patterns:
        hints = _DEFAULT_HINTS.get(pattern.pattern)
        if hints is not None:
            lowered = text.lower() if lowered is None else lowered
            if not any(hint in lowered for hint in hints):
                continue
        for m in pattern.finditer(text):
            group = "value" if "value" in pattern.groupindex else 0
            start, end = m.span(group)
            if start < end:
                yield start, end, name


# ---------------------------------------------------------------------------------------
# National ids

# A token holds letters and digits, maybe joined by '-', '.' or '/'. Only tokens that look
# like parts of an id qualify: one with a digit, or a short run of capitals ("AB 12 34 56 C").
# Candidates are runs of one to five such tokens joined by single spaces.
_ID_TOKEN = re.compile(r"(?<![\w./@#-])[A-Za-z0-9]+(?:[./-][A-Za-z0-9]+)*(?![\w/-]|\.\w)")
# A run of tokens holding a digit, as one regular expression (the cheap first pass).
_ID_RUN = re.compile(
    r"(?<![\w./@#-])(?:[A-Z]{1,3} ){0,4}[A-Za-z0-9]*\d[A-Za-z0-9./-]*"
    r"(?: (?:[A-Za-z0-9]*\d[A-Za-z0-9./-]*|[A-Z]{1,3}))*(?![\w/-]|\.\w)"
)
_ID_WINDOW = 5
_ID_PART = re.compile(r"[A-Za-z0-9]*\d[A-Za-z0-9./-]*|[A-Z]{1,3}")
_ID_KEYWORDS = re.compile(
    r"\b(?:ssn|social security|national insurance|nino|ni number|national id|id number|"
    r"id no|tax id|tin|passport|personal number|personnummer|bsn|nif|dni|nie|cpf|aadhaar|"
    r"identity|id)\b",
    re.IGNORECASE,
)
_ID_KEYWORD_REACH = 40
_MIN_ID, _MAX_ID = 5, 20


class _Validator(Protocol):
    def is_valid(self, number: str) -> bool: ...


_NINO = re.compile(r"([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])(\d{6})([A-D])")
_NINO_UNUSED_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


class _UkNino:
    """UK National Insurance numbers (python-stdnum has none): ``QQ 12 34 56 C``.

    HMRC's format: two prefix letters (neither D, F, I, Q, U, V; the second not O; not
    BG, GB, KN, NK, NT, TN, ZZ), six digits, a suffix A to D. There is no check digit.
    """

    @staticmethod
    def is_valid(number: str) -> bool:
        compact = "".join(number.split()).upper()
        m = _NINO.fullmatch(compact)
        return m is not None and m.group(1) not in _NINO_UNUSED_PREFIXES


_BUILTIN_IDS: dict[str, _Validator] = {"gb.nino": _UkNino()}


def national_id_module(name: str) -> _Validator:
    """The validator for ``name``: a python-stdnum module (``"us.ssn"``) or ``"gb.nino"``."""
    builtin = _BUILTIN_IDS.get(name)
    if builtin is not None:
        return builtin
    if not re.fullmatch(r"[a-z]{2,3}(?:\.[a-z0-9_]+)?|[a-z0-9_]+", name):
        msg = f"national_ids: {name!r} is not a python-stdnum module name such as 'us.ssn'"
        raise ConfigurationError(msg)
    try:
        module = importlib.import_module(f"stdnum.{name}")
    except ImportError as exc:
        msg = f"national_ids: python-stdnum has no module {name!r} (such as 'us.ssn', 'gb.nino')"
        raise ConfigurationError(msg) from exc
    if not callable(getattr(module, "is_valid", None)):
        msg = f"national_ids: stdnum.{name} has no is_valid() (pick a number format module)"
        raise ConfigurationError(msg)
    return cast("_Validator", module)


def _windows(text: str, run: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """Windows of ``run``'s tokens; a window never cuts a sequence of digit groups.

    ``4119 6319 9788 9`` holds the SSN-valid ``6319 9788 9`` only by cutting it.
    """
    count = len(run)
    numeric = [text[a:b].isdigit() for a, b in run]
    for i in range(count):
        if i > 0 and numeric[i - 1] and numeric[i]:
            continue
        for j in range(min(count, i + _ID_WINDOW), i, -1):
            if j < count and numeric[j] and numeric[j - 1]:
                continue
            start, end = run[i][0], run[j - 1][1]
            piece = text[start:end]
            compact = sum(c.isalnum() for c in piece)
            if _MIN_ID <= compact <= _MAX_ID and any(c.isdigit() for c in piece):
                yield start, end


_DIGIT = re.compile(r"\d")
_TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "./-")


def _free_digits(text: str) -> Iterator[tuple[int, int]]:
    """Tokens holding a digit outside @mentions and #hashtags (a cheap first pass)."""
    pos = 0
    size = len(text)
    while (m := _DIGIT.search(text, pos)) is not None:
        start = m.start()
        while start > 0 and text[start - 1] in _TOKEN_CHARS:
            start -= 1
        end = m.end()
        while end < size and text[end] in _TOKEN_CHARS:
            end += 1
        if start == 0 or text[start - 1] not in "@#_":
            yield start, end
        pos = end


# A digit in a token (letters, digits, '.', '/', '-') that starts after neither another
# token character nor '@', '#' or '_': what ``_free_digits`` finds first, in one search.
_FREE_DIGIT = re.compile(r"(?<![@#_A-Za-z0-9./-])[A-Za-z0-9./-]*?\d")


def has_free_digit(text: str) -> bool:
    """Whether ``text`` holds a digit outside @mentions and #hashtags."""
    return _FREE_DIGIT.search(text) is not None


_ID_REACH = 5 * 8  # a window of five short tokens before the digit


def _id_candidates(text: str) -> Iterator[tuple[int, int]]:
    """Start and end of every window of up to five id-like tokens in a row."""
    done = 0
    for first, last in _free_digits(text):
        if last <= done:
            continue
        for found in _ID_RUN.finditer(text, max(done, first - _ID_REACH)):
            a, b = found.span()
            if a > last:
                break
            done = b
            if b - a >= _MIN_ID:
                yield from _id_run_candidates(text, a, b)
        done = max(done, last)


def _id_run_candidates(text: str, first: int, last: int) -> Iterator[tuple[int, int]]:
    run: list[tuple[int, int]] = []
    for m in _ID_TOKEN.finditer(text, first, last):
        start, end = m.span()
        if _ID_PART.fullmatch(m.group(0)) is None:
            yield from _windows(text, run)
            run = []
            continue
        if run and not (start == run[-1][1] + 1 and text[run[-1][1]] == " "):
            yield from _windows(text, run)
            run = []
        run.append((start, end))
    yield from _windows(text, run)


def national_id_spans(text: str, names: tuple[str, ...]) -> Iterator[Span]:
    """National ids valid for one of the python-stdnum modules ``names``.

    A bare run of digits (no letter, no separator: ``123456789``) could be any id, so it
    counts only after a keyword such as ``SSN``, ``national insurance`` or ``tax id``
    within 40 characters before it.
    """
    if not names:
        return
    modules = [(name, _validator(name)) for name in names]
    taken_until = -1
    for start, end in _id_candidates(text):
        if start < taken_until:
            continue
        piece = text[start:end]
        compact = piece.replace(" ", "")  # python-stdnum strips its own separators only
        for name, module in modules:
            if not module.is_valid(compact):
                continue
            if piece.isdigit():
                before = text[max(0, start - _ID_KEYWORD_REACH) : start]
                if _ID_KEYWORDS.search(before) is None:
                    continue
            yield start, end, name
            taken_until = end
            break


# ---------------------------------------------------------------------------------------
# Passwords

_PASSWORD = re.compile(
    r"\b(?:pass(?:word|wd|code|phrase)|pass word|pwd|pw|pin(?:\s?(?:code|number|no))?)\b"
    r"(?P<sep>\s*[:=]\s*|\s+(?:is|was|=)\s*:?\s*|\s+-\s+)"
    r"(?P<quote>[\"'\u201c\u2018`])?"
    r"(?P<secret>[^\s\"'\u201c\u201d\u2018\u2019`]{3,64})",
    re.IGNORECASE,
)
_TRAILING = ".,;!?)"
_NOT_SECRETS = frozenset(
    [
        "not",
        "wrong",
        "incorrect",
        "correct",
        "invalid",
        "expired",
        "reset",
        "changed",
        "same",
        "different",
        "right",
        "fine",
        "ok",
        "okay",
        "good",
        "bad",
        "weak",
        "strong",
        "the",
        "a",
        "an",
        "my",
        "your",
        "our",
        "their",
        "this",
        "that",
        "it",
        "its",
        "still",
        "being",
        "too",
        "very",
        "really",
        "required",
        "needed",
        "missing",
        "blank",
        "empty",
        "locked",
        "working",
        "broken",
        "fake",
        "new",
        "old",
        "please",
        "also",
        "already",
        "just",
        "never",
        "always",
        "definitely",
        "probably",
        "case",
        "sensitive",
        "set",
        "saved",
        "stored",
        "rejected",
        "accepted",
        "protected",
        "encrypted",
        "hacked",
        "stolen",
        "compromised",
        "changed",
        "updated",
    ]
)


def _looks_secret(secret: str) -> bool:
    """A word after "is"/"was" is a secret only if it does not read as prose."""
    has_digit = any(c.isdigit() for c in secret)
    has_symbol = any(not c.isalnum() for c in secret)
    inner_caps = any(c.isupper() for c in secret[1:])
    return has_digit or has_symbol or inner_caps


def password_possible(lowered: str) -> bool:
    """Whether the lowercased text holds a word a password keyword starts with."""
    return "pass" in lowered or "pw" in lowered or "pin" in lowered


def password_spans(text: str) -> Iterator[Span]:
    """Secrets after a password keyword: ``password: x``, ``my pw is x``, ``PIN = 1234``.

    With ``:`` or ``=`` any value counts except words such as ``reset`` or ``wrong``;
    after ``is``/``was`` the value must not read as prose: it holds a digit, a symbol or
    an inner capital, or is quoted.
    """
    if not password_possible(text.lower()):
        return
    for m in _PASSWORD.finditer(text):
        secret = m.group("secret")
        stripped = secret.rstrip(_TRAILING)
        if len(stripped) < 3 or stripped.lower() in _NOT_SECRETS:  # noqa: PLR2004
            continue
        worded = not any(c in m.group("sep") for c in ":=-")
        if worded and m.group("quote") is None and not _looks_secret(stripped):
            continue
        start = m.start("secret")
        yield start, start + len(stripped), m.group(0).split(None, 1)[0].rstrip(":=").lower()
