"""The query syntax tree: clauses, their validation, and rendering to X syntax.

A query is a tree of four node types:

- :class:`Atom`: one operator, for example the keyword ``acme``, the phrase
  ``"not working"``, ``#acmefail``, ``@acme`` or ``from:bob``;
- :class:`Negated`: ``-`` in front of one atom (X forbids negating groups);
- :class:`AllOf`: clauses joined by a space (AND);
- :class:`AnyOf`: clauses joined by ``OR``.

Trees are kept in a canonical form (no ``AllOf`` directly inside ``AllOf``, no
``AnyOf`` directly inside ``AnyOf``, groups of at least two), so two queries that
render alike compare equal, and ``Query.parse(q.render()) == q``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final, Literal, TypeAlias, get_args

import attrs

from socialcare._text_repr import CLIP_LENGTH, clip, first_surrogate
from socialcare.errors import QueryError
from socialcare.query._text import fold, words

__all__ = [
    "ALIASES",
    "FIELD_KINDS",
    "AllOf",
    "AnyOf",
    "Atom",
    "AtomKind",
    "Clause",
    "Negated",
    "all_of",
    "any_of",
    "check",
    "render_clause",
]

AtomKind: TypeAlias = Literal[
    "keyword",
    "phrase",
    "hashtag",
    "mention",
    "cashtag",
    "from",
    "to",
    "url",
    "retweets_of",
    "conversation_id",
    "in_reply_to_tweet_id",
    "retweets_of_tweet_id",
    "quotes_of_tweet_id",
    "lang",
    "is",
    "has",
    "context",
    "entity",
    "list",
    "place",
    "place_country",
]
"""What an :class:`Atom` matches: a keyword, a phrase, an entity, or a ``name:`` operator."""

_SIGILS: Final = {"hashtag": "#", "mention": "@", "cashtag": "$"}
FIELD_KINDS: Final[frozenset[str]] = frozenset(get_args(AtomKind)) - {
    "keyword",
    "phrase",
    *_SIGILS,
}
"""Kinds written as ``name:value``."""

ALIASES: Final = {
    "in_reply_to_status_id": "in_reply_to_tweet_id",
    "retweets_of_status_id": "retweets_of_tweet_id",
    "quotes_of_status_id": "quotes_of_tweet_id",
}
"""X's alternative operator names, mapped to the names socialcare renders."""

IS_VALUES: Final = frozenset({"retweet", "reply", "quote", "verified", "nullcast"})
HAS_VALUES: Final = frozenset(
    {"hashtags", "cashtags", "links", "mentions", "media", "images", "video_link", "geo"}
)
_VALUE_ALIASES: Final = {("has", "media_link"): "media", ("has", "videos"): "video_link"}

# Operators X calls "conjunction-required": they cannot be a query's only positive clause.
CONJUNCTION_REQUIRED: Final = frozenset({"is", "has", "lang"})

_USER = re.compile(r"[A-Za-z0-9_]{1,50}")
_ID = re.compile(r"[0-9]{1,19}")
_LANG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")
_CASHTAG = re.compile(r"[A-Za-z][A-Za-z0-9_.]{0,19}")
_CONTEXT = re.compile(r"[0-9]{1,19}\.[0-9]{1,19}")
_COUNTRY = re.compile(r"[A-Za-z]{2}")
# A keyword X reads unquoted: one token of letters and digits (or one emoji).
_BARE = re.compile(r"[^\W_]+|[^\s\"()\-#@$:][^\s\"():]*")
_RESERVED = frozenset({"OR", "AND"})
# What may appear unquoted after ``name:``; anything else is rendered in quotes.
_BARE_VALUE = re.compile(r"[^\s\"()]+")
_FREE = re.compile(r"[^\"\r\n\t\x00]*[^\s\"\x00][^\"\r\n\t\x00]*")


def _fail(message: str) -> QueryError:
    return QueryError(message)


def _check_text(kind: str, value: str) -> None:
    if not value or value.isspace():
        raise _fail(f"empty {kind}: give some text to search for")
    if '"' in value:
        raise _fail(f"the {kind} {clip(value)} contains a double quote; X has no way to escape it")
    if any(ch in "\r\n\t\x00" for ch in value):
        raise _fail(f"the {kind} {clip(value)} contains a control character")
    if not words(value):
        raise _fail(f"the {kind} {clip(value)} has no searchable letters, digits or emoji")


def _validate_atom(kind: str, value: str) -> str:
    """Check ``value`` for ``kind`` and return its canonical spelling."""
    surrogate = first_surrogate(value)
    if surrogate is not None:
        raise _fail(
            f"the {kind} {clip(value)} holds a lone surrogate at position {surrogate}; "
            "it is not valid Unicode"
        )
    if kind in ("keyword", "phrase"):
        _check_text(kind, value)
        if kind == "keyword" and (
            value in _RESERVED or not _BARE.fullmatch(value) or value.startswith("-")
        ):
            raise _fail(
                f"{clip(value)} cannot be an unquoted keyword; use a phrase "
                f'(Query.phrase({clip(value)}) renders "{value[:CLIP_LENGTH]}")'
            )
        return value
    if kind == "hashtag":
        body = value.removeprefix("#")
        if not body or not re.fullmatch(r"[^\W]+", body) or body.isdigit():
            raise _fail(
                f"invalid hashtag {clip(value)}: letters, digits and _ only, not all digits"
            )
        return body
    if kind == "mention":
        body = value.removeprefix("@")
        if not _USER.fullmatch(body):
            raise _fail(f"invalid username {clip(value)}: letters, digits and _ only")
        return body
    if kind == "cashtag":
        body = value.removeprefix("$")
        if not _CASHTAG.fullmatch(body):
            raise _fail(f"invalid cashtag {clip(value)}: a letter, then letters, digits, _ or .")
        return body
    return _validate_field(kind, value)


_FIELD_FORMS: Final[dict[str, tuple[re.Pattern[str], str]]] = {
    "from": (_USER, "a username or a numeric user id"),
    "to": (_USER, "a username or a numeric user id"),
    "retweets_of": (_USER, "a username or a numeric user id"),
    "conversation_id": (_ID, "a numeric post id"),
    "in_reply_to_tweet_id": (_ID, "a numeric post id"),
    "retweets_of_tweet_id": (_ID, "a numeric post id"),
    "quotes_of_tweet_id": (_ID, "a numeric post id"),
    "list": (_ID, "a numeric list id"),
    "lang": (_LANG, "a BCP 47 language code such as 'en'"),
    "context": (_CONTEXT, "domain_id.entity_id"),
    "place_country": (_COUNTRY, "an ISO alpha-2 country code"),
    # url, entity, place: free text, quoted when needed.
    "url": (_FREE, "non-empty text without double quotes"),
    "entity": (_FREE, "non-empty text without double quotes"),
    "place": (_FREE, "non-empty text without double quotes"),
}


def _validate_field(kind: str, value: str) -> str:
    if kind in ("is", "has"):
        value = _VALUE_ALIASES.get((kind, value.lower()), value.lower())
        allowed = IS_VALUES if kind == "is" else HAS_VALUES
        if value not in allowed:
            raise _fail(
                f"unknown operator {kind}:{value[:CLIP_LENGTH]}; "
                f"known: {', '.join(sorted(allowed))}"
            )
        return value
    if kind in ("from", "to", "retweets_of"):
        value = value.removeprefix("@")
    pattern, expected = _FIELD_FORMS[kind]
    if not pattern.fullmatch(value):
        raise _fail(f"invalid {kind}: value {clip(value)}: expected {expected}")
    return value


def _check_atom(instance: Atom, _attribute: object, value: str) -> None:
    canonical = _validate_atom(instance.kind, value)
    if canonical != value:
        raise _fail(f"{instance.kind} value must be written {clip(canonical)}, not {clip(value)}")


@attrs.frozen(cache_hash=True)
class Atom:
    """One search operator.

    Use :meth:`Atom.of` to build one from user input (it strips a leading ``#``,
    ``@`` or ``$`` and canonicalizes aliases); the constructor only accepts the
    canonical spelling.

    Attributes:
        kind: the operator, see :data:`AtomKind`.
        value: its argument without sigil: ``acme`` for ``@acme``, ``reply`` for ``is:reply``.
    """

    kind: AtomKind
    value: str = attrs.field(validator=_check_atom)

    @classmethod
    def of(cls, kind: AtomKind, value: str) -> Atom:
        """Build an atom, accepting sigils (``@bob``) and X's aliases (``has:videos``).

        Raises:
            QueryError: ``value`` is not valid for ``kind``.
        """
        if kind not in _ALL_KINDS:
            raise _fail(f"unknown operator kind {clip(kind)}")
        if not isinstance(value, str):
            raise _fail(f"{kind}: expected a string value, got {type(value).__name__}")
        return cls(kind, _validate_atom(kind, value))

    def render(self) -> str:
        """This operator in X syntax."""
        return render_clause(self)


_ALL_KINDS: Final = frozenset(get_args(AtomKind))


def _check_negated(_instance: object, _attribute: object, value: object) -> None:
    if not isinstance(value, Atom):
        raise _fail(
            "X does not allow negating a group; negate each term instead "
            "(use none_of('a', 'b') for -a -b)"
        )


@attrs.frozen(cache_hash=True)
class Negated:
    """``-clause``: posts that do *not* match one atom."""

    clause: Atom = attrs.field(validator=_check_negated)  # type: ignore[assignment]


def _check_group(instance: AllOf | AnyOf, _attribute: object, value: tuple[Clause, ...]) -> None:
    name = type(instance).__name__
    if len(value) < 2:  # noqa: PLR2004 - a group joins at least two clauses
        raise _fail(f"empty group: {name} needs at least two clauses, got {len(value)}")
    if any(type(child) is type(instance) for child in value):
        raise _fail(f"{name} directly inside {name}: flatten it")


@attrs.frozen(cache_hash=True)
class AllOf:
    """Clauses that must all match (X's implicit AND, a space)."""

    clauses: tuple[Clause, ...] = attrs.field(validator=_check_group)


@attrs.frozen(cache_hash=True)
class AnyOf:
    """Clauses of which at least one must match (X's ``OR``)."""

    clauses: tuple[Clause, ...] = attrs.field(validator=_check_group)


Clause: TypeAlias = Atom | Negated | AllOf | AnyOf
"""Any node of a query tree."""


def all_of(clauses: Iterable[Clause]) -> Clause | None:
    """AND of ``clauses``, flattened; ``None`` for no clause."""
    flat: list[Clause] = []
    for clause in clauses:
        flat.extend(clause.clauses if isinstance(clause, AllOf) else (clause,))
    if not flat:
        return None
    return flat[0] if len(flat) == 1 else AllOf(tuple(flat))


def any_of(clauses: Iterable[Clause]) -> Clause | None:
    """OR of ``clauses``, flattened; ``None`` for no clause."""
    flat: list[Clause] = []
    for clause in clauses:
        flat.extend(clause.clauses if isinstance(clause, AnyOf) else (clause,))
    if not flat:
        return None
    return flat[0] if len(flat) == 1 else AnyOf(tuple(flat))


def _render_atom(atom: Atom) -> str:
    kind, value = atom.kind, atom.value
    if kind == "keyword":
        return value
    if kind == "phrase":
        return f'"{value}"'
    sigil = _SIGILS.get(kind)
    if sigil is not None:
        return sigil + value
    if kind in ("url", "entity", "place") and not (
        _BARE_VALUE.fullmatch(value) and words(value) == [fold(value)]
    ):
        return f'{kind}:"{value}"'
    return f"{kind}:{value}"


def render_clause(clause: Clause) -> str:
    """``clause`` in X syntax, without validation."""
    if isinstance(clause, Atom):
        return _render_atom(clause)
    if isinstance(clause, Negated):
        return "-" + _render_atom(clause.clause)
    if isinstance(clause, AllOf):
        return " ".join(
            f"({render_clause(c)})" if isinstance(c, AnyOf) else render_clause(c)
            for c in clause.clauses
        )
    return " OR ".join(
        f"({render_clause(c)})" if isinstance(c, AllOf) else render_clause(c)
        for c in clause.clauses
    )


def _anchored(clause: Clause) -> bool:
    """Whether every way of matching ``clause`` needs a positive standalone operator."""
    if isinstance(clause, Atom):
        return clause.kind not in CONJUNCTION_REQUIRED
    if isinstance(clause, Negated):
        return False
    if isinstance(clause, AllOf):
        return any(_anchored(c) for c in clause.clauses)
    return all(_anchored(c) for c in clause.clauses)


def _walk(clause: Clause) -> Iterable[Clause]:
    yield clause
    if isinstance(clause, (AllOf, AnyOf)):
        for child in clause.clauses:
            yield from _walk(child)


def check(clause: Clause | None, *, max_length: int | None) -> str:
    """Validate ``clause`` as a whole query and return its rendering.

    Raises:
        QueryError: X would reject the query; the message says why.
    """
    if clause is None:
        raise _fail("empty query: add at least one term, phrase or operator")
    for node in _walk(clause):
        if isinstance(node, Atom) and node.kind == "is" and node.value == "nullcast":
            raise _fail("is:nullcast must be negated: write -is:nullcast")
    if not _anchored(clause):
        text = render_clause(clause)
        if isinstance(clause, AnyOf):
            weak = next(c for c in clause.clauses if not _anchored(c))
            raise _fail(
                f"every OR branch needs a positive keyword, phrase, #hashtag, @mention or "
                f"user operator; the branch {clip(render_clause(weak))} of {clip(text)} has none "
                "(negated and is:/has:/lang: operators cannot stand alone)"
            )
        raise _fail(
            f"{clip(text)} has no positive keyword, phrase, #hashtag, @mention or user operator; "
            "X rejects queries of only negated or is:/has:/lang: clauses"
        )
    text = render_clause(clause)
    if max_length is not None and len(text) > max_length:
        raise _fail(
            f"query is {len(text)} characters, over the {max_length}-character limit "
            "(512 for recent search, 1,024 for full-archive on self-serve tiers); "
            "split it, for example with pack_terms()"
        )
    return text
