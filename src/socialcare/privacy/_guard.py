"""PrivateDataGuard: finds, redacts and refuses private data in text (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Literal, get_args

import attrs

from socialcare.errors import ConfigurationError, PrivateDataError
from socialcare.models import DirectMessage, Entities, Post, User
from socialcare.privacy._detect import (
    DEFAULT_ACCOUNT_PATTERNS,
    ROLE_MAILBOXES,
    Span,
    account_possible,
    account_spans,
    card_spans,
    email_possible,
    email_spans,
    has_free_digit,
    iban_spans,
    national_id_module,
    national_id_spans,
    password_possible,
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
# The fewest digits a finding of each number kind holds: a card 12 (its shortest network
# length), an IBAN 8 (the detector's rule), a phone number 7 (the detector's first pass). A
# national id depends on its modules: 9 for a US SSN, 6 for a UK NINO; 1 for any other module.
_MIN_DIGITS: Mapping[PrivateKind, int] = {"card": 12, "iban": 8, "phone": 7}
_MIN_ID_DIGITS: Mapping[str, int] = {"us.ssn": 9, "gb.nino": 6}
_ASCII_DIGITS = "0123456789"
_ANY_DIGIT = re.compile(r"\d")
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


def _same_length(kind: PrivateKind, value: str) -> str:
    """Like :func:`_redacted`, one character for one, so offsets into the text still hold."""
    if kind in ("password", "national_id"):
        return _MASK * len(value)
    if kind == "email":
        local, _, domain = value.rpartition("@")
        return local[:1] + _MASK * (len(local) - 1) + "@" + domain
    return _redacted(kind, value)


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
    # The fewest digits any enabled number kind needs: texts with fewer skip those detectors.
    _min_digits: int = attrs.field(init=False, repr=False, eq=False)

    @_min_digits.default
    def _fewest_digits(self) -> int:
        needs = [_MIN_DIGITS[k] for k in self.kinds if k in _MIN_DIGITS]
        if "national_id" in self.kinds and self.national_ids:
            needs.extend(_MIN_ID_DIGITS.get(name, 1) for name in self.national_ids)
        return min(needs, default=1)

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

    def _possible(self, text: str) -> list[PrivateKind]:
        """The enabled kinds whose cheap first test ``text`` passes, in priority order.

        Each test is necessary for its detector to find anything, so skipping the
        others changes no result: it only spares most texts every regular expression.
        """
        kinds = self.kinds
        lowered = text.lower()
        numbers = (
            not kinds.isdisjoint(_NUMBERS)
            and _digit_count(text) >= self._min_digits
            and has_free_digit(text)
        )
        passed = {
            "password": password_possible(lowered),
            "email": email_possible(text),
            "account": account_possible(lowered, self.account_patterns),
        }
        return [
            kind
            for kind in PRIVATE_KINDS
            if kind in kinds and (numbers if kind in _NUMBERS else passed[kind])
        ]

    def _spans(self, text: str) -> Iterator[tuple[PrivateKind, Span]]:
        allow = self.allow
        for kind in self._possible(text):
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

    def redact(self, text: str, *, keep_length: bool = False) -> str:
        """``text`` with every finding replaced by its redacted form (for storage and logs).

        With ``keep_length``, each finding is replaced by as many characters (code points)
        as it had, so offsets into the text (X's entities, ``display_text_range``) still
        hold: an e-mail address keeps its first character and domain, the rest of its
        local part masked; a password is masked character for character (its length
        shows).
        """
        out: list[str] = []
        last = 0
        for finding in self.scan(text):
            out.append(text[last : finding.start])
            if keep_length:
                out.append(_same_length(finding.kind, finding.matched))
            else:
                out.append(finding.redacted)
            last = finding.end
        out.append(text[last:])
        return "".join(out)

    def _optional(self, text: str | None) -> str | None:
        return None if text is None else self.redact(text)

    def _entities(self, entities: Entities) -> Entities:
        """URL entities' own texts redacted; every offset left as it is."""
        urls = tuple(
            attrs.evolve(
                url,
                url=self.redact(url.url),
                expanded_url=self._optional(url.expanded_url),
                display_url=self._optional(url.display_url),
                unwound_url=self._optional(url.unwound_url),
                title=self._optional(url.title),
                description=self._optional(url.description),
            )
            for url in entities.urls
        )
        if urls == entities.urls:
            return entities
        return attrs.evolve(entities, urls=urls)

    def redact_post(self, post: Post) -> Post:
        """``post`` as it may be stored: its text and note text redacted length for length.

        Offsets stay true: ``entities``, ``note_entities`` and ``display_text_range`` index
        the redacted text exactly as they indexed the original (mentions, hashtags and
        cashtags keep their text; a URL entity's ``url``, expanded and display URLs, title
        and description are redacted too). The post itself when nothing was found.
        """
        note_entities = post.note_entities
        redacted = attrs.evolve(
            post,
            text=self.redact(post.text, keep_length=True),
            entities=self._entities(post.entities),
            note_text=None
            if post.note_text is None
            else self.redact(post.note_text, keep_length=True),
            note_entities=None if note_entities is None else self._entities(note_entities),
        )
        return post if redacted == post else redacted

    def redact_dm(self, message: DirectMessage) -> DirectMessage:
        """``message`` as it may be stored: its text redacted length for length.

        As :meth:`redact_post`: offsets stay true; the message itself when nothing was found.
        """
        redacted = attrs.evolve(
            message,
            text=self.redact(message.text, keep_length=True),
            entities=self._entities(message.entities),
        )
        return message if redacted == message else redacted

    def redact_user(self, user: User) -> User:
        """``user`` as it may be stored: the profile's ``description`` (bio) redacted."""
        if user.description is None:
            return user
        description = self.redact(user.description)
        return (
            user if description == user.description else attrs.evolve(user, description=description)
        )

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


def _digit_count(text: str) -> int:
    r"""How many digits (what the detectors' ``\d`` matches) ``text`` holds."""
    if text.isascii():
        return sum(map(text.count, _ASCII_DIGITS))
    return len(_ANY_DIGIT.findall(text))


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
