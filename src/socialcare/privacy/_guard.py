"""PrivateDataGuard: finds, redacts and refuses private data in text (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Literal, get_args

import attrs

from socialcare.errors import ConfigurationError, PrivateDataError
from socialcare.privacy._detect import (
    DEFAULT_ACCOUNT_PATTERNS,
    ROLE_MAILBOXES,
    Span,
    account_spans,
    card_spans,
    email_spans,
    has_free_digit,
    iban_spans,
    national_id_module,
    national_id_spans,
    password_spans,
    phone_spans,
)

__all__ = [
    "DEFAULT_ACCOUNT_PATTERNS",
    "DEFAULT_GUARD",
    "DEFAULT_NATIONAL_IDS",
    "DEFAULT_PHONE_REGIONS",
    "KIND_NAMES",
    "PRIVATE_KINDS",
    "ROLE_MAILBOXES",
    "Finding",
    "PrivateDataGuard",
    "PrivateKind",
    "message_for",
]

PrivateKind = Literal["password", "card", "iban", "national_id", "account", "email", "phone"]
"""A kind of private data. When two findings overlap, the earlier kind in this list wins."""
PRIVATE_KINDS: tuple[PrivateKind, ...] = get_args(PrivateKind)
"""Every kind, in priority order."""
KIND_NAMES: Mapping[PrivateKind, str] = {
    "password": "a password",
    "card": "a payment card number",
    "iban": "an IBAN",
    "national_id": "a national id number",
    "account": "an order or account number",
    "email": "an e-mail address",
    "phone": "a phone number",
}
"""Each kind in words, as error messages and decisions name it."""
DEFAULT_PHONE_REGIONS = ("US", "GB")
"""Where numbers written in national format are read by default (``+`` numbers: anywhere)."""
DEFAULT_NATIONAL_IDS = ("us.ssn", "gb.nino")
"""The python-stdnum modules checked by default: US Social Security and UK National
Insurance numbers."""
_KNOWN_NATIONAL_IDS = frozenset(DEFAULT_NATIONAL_IDS)
# Kinds that need a digit outside @mentions and #hashtags (account patterns are the user's).
_NUMBERS: frozenset[PrivateKind] = frozenset({"card", "iban", "national_id", "phone"})
_MASK = "*"
_KEEP_LAST = 4


@attrs.frozen
class Finding:
    """One piece of private data found in a text.

    Attributes:
        kind: what it is (``"card"``, ``"email"``...).
        start: its first code point's offset in the text.
        end: the offset just after it (``text[start:end] == matched``).
        matched: the private text itself; keep it out of logs.
        redacted: what :meth:`PrivateDataGuard.redact` puts in its place: digits and
            letters masked with ``*``, separators kept; a card, IBAN, phone or account
            number keeps its last four characters (as receipts print them), an e-mail
            address its first character and domain; a password or national id keeps
            nothing.
        label: the detail of the kind: the card network (``"visa"``), the IBAN's
            country (``"DE"``), the phone number's region (``"US"``), the account
            pattern's name (``"order"``), the python-stdnum module (``"us.ssn"``), the
            password keyword (``"pin"``), the e-mail domain.
    """

    kind: PrivateKind
    start: int
    end: int
    matched: str = attrs.field(repr=False)
    redacted: str
    label: str

    @property
    def span(self) -> tuple[int, int]:
        """``(start, end)``."""
        return (self.start, self.end)


def _mask(value: str, keep_last: int) -> str:
    """``value`` with letters and digits masked, but the last ``keep_last`` of them."""
    total = sum(c.isalnum() for c in value)
    out: list[str] = []
    seen = 0
    for c in value:
        if c.isalnum():
            seen += 1
            out.append(c if seen > total - keep_last else _MASK)
        else:
            out.append(c)
    return "".join(out)


def _redacted(kind: PrivateKind, value: str) -> str:
    if kind == "password":
        return _MASK * 8  # never tells the length
    if kind == "national_id":
        return _mask(value, 0)
    if kind == "email":
        local, _, domain = value.rpartition("@")
        return local[:1] + _MASK * 3 + "@" + domain
    if kind == "iban":
        return value[:2] + _mask(value[2:], _KEEP_LAST)
    return _mask(value, _KEEP_LAST)


def _kinds(value: Iterable[str]) -> frozenset[PrivateKind]:
    if isinstance(value, str):
        value = (value,)
    kinds = frozenset(value)
    unknown = sorted(kinds - set(PRIVATE_KINDS))
    if unknown:
        listed = ", ".join(PRIVATE_KINDS)
        msg = f"kinds: unknown kind(s) {', '.join(map(repr, unknown))}; known: {listed}"
        raise ConfigurationError(msg)
    return kinds  # type: ignore[return-value]


def _regions(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    regions = tuple(r.upper() for r in value)
    for region in regions:
        if not re.fullmatch(r"[A-Z]{2}", region):
            msg = f"phone_regions: {region!r} is not a two-letter region code such as 'US'"
            raise ConfigurationError(msg)
    return regions


def _patterns(
    value: Mapping[str, str | re.Pattern[str]],
) -> tuple[tuple[str, re.Pattern[str]], ...]:
    compiled: list[tuple[str, re.Pattern[str]]] = []
    for name, pattern in value.items():
        if not name:
            msg = f"account_patterns: a pattern's name must be a non-empty str, got {name!r}"
            raise ConfigurationError(msg)
        try:
            regex = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern)
        except (re.error, TypeError) as exc:
            msg = f"account_patterns[{name!r}]: not a regular expression: {exc}"
            raise ConfigurationError(msg) from exc
        if regex.search("") is not None:
            msg = f"account_patterns[{name!r}]: the pattern matches the empty string"
            raise ConfigurationError(msg)
        compiled.append((name, regex))
    return tuple(compiled)


def _national_ids(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    names = tuple(value)
    for name in names:
        if name not in _KNOWN_NATIONAL_IDS:
            national_id_module(name)  # raises ConfigurationError naming the bad module
    return names


def _normal(value: str) -> str:
    return "".join(c for c in value.casefold() if c.isalnum())


def _allowed(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        value = (value,)
    allowed = frozenset(_normal(v) for v in value)
    if "" in allowed:
        msg = "allow: every allowed value needs letters or digits"
        raise ConfigurationError(msg)
    return allowed


@attrs.frozen(kw_only=True)
class PrivateDataGuard:
    """Finds private data in text: what must never be posted in public.

    Pure and thread-safe (a frozen value); ``scan`` is linear in the text's length for
    the regular expressions, and the phone matcher runs only on texts with seven digits
    or more in a row. Construction checks every option and raises
    :class:`~socialcare.ConfigurationError` naming the bad one.

    Attributes:
        kinds: the kinds to look for (default: all of :data:`PRIVATE_KINDS`).
        phone_regions: regions whose national formats are read (``"US"``: ``(415)
            555-0132``); numbers written with ``+`` are found whatever the regions.
        account_patterns: order and account number patterns, by name; a pattern's
            ``value`` group, when it has one, is what is flagged (the default patterns
            flag the number after ``order``/``account``, not the keyword).
        national_ids: python-stdnum modules to check (``"us.ssn"``, ``"de.idnr"``...)
            and ``"gb.nino"`` (UK National Insurance, which python-stdnum lacks).
        allow: public values never flagged, such as the brand's own support number and
            address; compared without case, spaces or punctuation (``"1-800-275-2273"``
            allows ``1 800 275 2273`` but not ``+1 800 275 2273``: list both).
        business_phones: also flag toll-free, shared-cost and premium-rate numbers
            (``1-800-...``, UK ``03...``); by default they are a company's published
            lines, not private.
        role_addresses: also flag role mailboxes (``support@``, ``abuse@``...,
            :data:`ROLE_MAILBOXES`); by default they are a company's published addresses.
    """

    kinds: frozenset[PrivateKind] = attrs.field(default=frozenset(PRIVATE_KINDS), converter=_kinds)
    phone_regions: tuple[str, ...] = attrs.field(default=DEFAULT_PHONE_REGIONS, converter=_regions)
    account_patterns: tuple[tuple[str, re.Pattern[str]], ...] = attrs.field(
        default=DEFAULT_ACCOUNT_PATTERNS, converter=_patterns
    )
    national_ids: tuple[str, ...] = attrs.field(
        default=DEFAULT_NATIONAL_IDS, converter=_national_ids
    )
    allow: frozenset[str] = attrs.field(default=frozenset(), converter=_allowed)
    business_phones: bool = False
    role_addresses: bool = False

    def _found(self, kind: PrivateKind, text: str) -> Iterable[Span]:
        if kind == "password":
            return password_spans(text)
        if kind == "card":
            return card_spans(text)
        if kind == "iban":
            return iban_spans(text)
        if kind == "national_id":
            return national_id_spans(text, self.national_ids)
        if kind == "account":
            return account_spans(text, self.account_patterns)
        if kind == "email":
            return email_spans(text, roles=self.role_addresses)
        return phone_spans(text, self.phone_regions, business=self.business_phones)

    def _spans(self, text: str) -> Iterator[tuple[PrivateKind, Span]]:
        kinds = self.kinds
        allow = self.allow
        numbers = has_free_digit(text)
        for kind in PRIVATE_KINDS:
            if kind not in kinds or (kind in _NUMBERS and not numbers):
                continue
            for span in self._found(kind, text):
                if allow and _normal(text[span[0] : span[1]]) in allow:
                    continue
                yield kind, span

    def scan(self, text: str) -> tuple[Finding, ...]:
        """Every piece of private data in ``text``, in text order, none overlapping.

        When two candidates overlap (an order number that is also a valid phone number),
        the kind earlier in :data:`PRIVATE_KINDS` wins.
        """
        taken: list[tuple[int, int]] = []
        findings: list[Finding] = []
        for kind, (start, end, label) in self._spans(text):
            if any(start < b and a < end for a, b in taken):
                continue
            taken.append((start, end))
            value = text[start:end]
            findings.append(Finding(kind, start, end, value, _redacted(kind, value), label))
        findings.sort(key=lambda f: f.start)
        return tuple(findings)

    def kinds_in(self, text: str) -> tuple[PrivateKind, ...]:
        """The kinds found in ``text``, each once, in order of first appearance."""
        return tuple(dict.fromkeys(f.kind for f in self.scan(text)))

    def redact(self, text: str) -> str:
        """``text`` with every finding replaced by its redacted form (for storage and logs)."""
        out: list[str] = []
        last = 0
        for finding in self.scan(text):
            out.append(text[last : finding.start])
            out.append(finding.redacted)
            last = finding.end
        out.append(text[last:])
        return "".join(out)

    def problem(self, text: str) -> str | None:
        """Why ``text`` must not be public, in words that never repeat the private values.

        ``None`` when the text holds no private data.
        """
        kinds = self.kinds_in(text)
        if not kinds:
            return None
        return message_for(kinds)

    def check_public(self, text: str) -> None:
        """Raise :class:`~socialcare.PrivateDataError` if ``text`` holds private data.

        The message names the kinds found and suggests a direct message; it never
        repeats the values.
        """
        kinds = self.kinds_in(text)
        if kinds:
            raise PrivateDataError(message_for(kinds), kinds=kinds)


DEFAULT_GUARD = PrivateDataGuard()
"""The guard :func:`~socialcare.compose.compose_reply` uses unless told otherwise: every
kind, phones read as US and UK numbers, the default order/account patterns, US SSN and UK
NINO."""


def message_for(kinds: Iterable[PrivateKind]) -> str:
    """The refusal for public text holding ``kinds``."""
    words = [KIND_NAMES[k] for k in kinds]
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return (
        f"private data in public text: {listed}; never post it publicly, "
        "move the conversation to a direct message"
    )
