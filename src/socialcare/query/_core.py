"""``Query``: an immutable, fluent builder over X's search syntax."""

from __future__ import annotations

import contextlib
import functools
import types
from collections.abc import Callable, Iterable, Mapping
from typing import ClassVar, Concatenate, Final, Generic, ParamSpec, cast, overload

import attrs

from socialcare._text_repr import clip, first_surrogate
from socialcare.errors import QueryError
from socialcare.models import Post, User
from socialcare.query._matcher import PostView, compile_clause
from socialcare.query._parser import parse_clause
from socialcare.query._syntax import (
    Atom,
    AtomKind,
    Clause,
    Negated,
    all_of,
    any_of,
    check,
    render_clause,
)
from socialcare.query._text import fold, words

__all__ = ["Query"]

P = ParamSpec("P")

RECENT_MAX_LENGTH: Final = 512
FULL_ARCHIVE_MAX_LENGTH: Final = 1024
ENTERPRISE_MAX_LENGTH: Final = 4096


class _chainable(Generic[P]):  # noqa: N801 - reads as a decorator
    """Make a builder method callable on the class (starting a query) or on a query.

    ``Query.terms("acme")`` starts from the empty query; ``q.terms("acme")``
    extends ``q``.
    """

    def __init__(self, method: Callable[Concatenate[Query, P], Query]) -> None:
        self._method = method
        functools.update_wrapper(self, method)  # type: ignore[arg-type]

    @overload
    def __get__(self, instance: None, owner: type[Query]) -> Callable[P, Query]: ...
    @overload
    def __get__(self, instance: Query, owner: type[Query] | None = None) -> Callable[P, Query]: ...
    def __get__(
        self, instance: Query | None, owner: type[Query] | None = None
    ) -> Callable[P, Query]:
        target = instance if instance is not None else Query()
        # A real bound method: help() and notebooks show the docstring and the
        # signature without ``self``.
        return cast("Callable[P, Query]", types.MethodType(self._method, target))


_ENTITY_SIGILS: Final[dict[str, AtomKind]] = {"#": "hashtag", "@": "mention", "$": "cashtag"}


def _term(text: str) -> Atom:
    """``#tag``, ``@user``, ``$TAG`` as entities; one plain token as a keyword; else a phrase."""
    if not isinstance(text, str):
        raise QueryError(f"expected text, got {type(text).__name__}: {clip(text)}")
    surrogate = first_surrogate(text)
    if surrogate is not None:
        raise QueryError(
            f"{clip(text)} holds a lone surrogate at position {surrogate}; it is not valid Unicode"
        )
    stripped = text.strip()
    kind = _ENTITY_SIGILS.get(stripped[:1])
    if kind is not None:
        with contextlib.suppress(QueryError):  # "$5", "@ home": text, not an entity
            return Atom.of(kind, stripped)
    tokens = words(stripped)
    if len(tokens) == 1 and fold(stripped) == tokens[0] and stripped not in ("OR", "AND"):
        return Atom.of("keyword", stripped)
    return Atom.of("phrase", stripped)


def _clause(item: str | Query, *, where: str) -> Clause:
    if isinstance(item, Query):
        if item.clause is None:
            raise QueryError(f"{where}: an empty Query cannot be part of a group")
        return item.clause
    if isinstance(item, str):
        return _term(item)
    raise QueryError(f"{where}: expected a str or a Query, got {type(item).__name__}")


def _atoms(kind: AtomKind, values: Iterable[str | int], *, where: str) -> list[Atom]:
    items = [Atom.of(kind, str(v) if isinstance(v, int) else v) for v in values]
    if not items:
        raise QueryError(f"{where}() needs at least one value")
    return items


@attrs.frozen(repr=False, cache_hash=True)
class Query:
    """An X search query: build it fluently, render it, parse it, match posts locally.

    Every method returns a new query; the clauses of a chain are ANDed::

        q = (
            Query.terms("acme")
            .any_of("outage", "down", "not working")
            .none_of("giveaway")
            .exclude_retweets()
            .lang("en")
        )
        q.render()  # 'acme (outage OR down OR "not working") -giveaway -is:retweet lang:en'

    Builder methods work on the class (they start a new query) and on a query
    (they extend it). ``|`` makes an OR of two queries, ``&`` an AND, and ``~``
    negates a single-operator query.

    Time bounds are not operators in X API v2: pass ``start_time``/``end_time``
    or ``since_id``/``until_id`` as parameters of the search request.

    Attributes:
        clause: the query's syntax tree, ``None`` for the empty query.
    """

    RECENT_MAX_LENGTH: ClassVar[int] = RECENT_MAX_LENGTH
    """Maximum query length for recent search on self-serve tiers (512)."""
    FULL_ARCHIVE_MAX_LENGTH: ClassVar[int] = FULL_ARCHIVE_MAX_LENGTH
    """Maximum query length for full-archive search on self-serve tiers (1,024)."""
    ENTERPRISE_MAX_LENGTH: ClassVar[int] = ENTERPRISE_MAX_LENGTH
    """Maximum query length on Enterprise, both endpoints (4,096)."""

    clause: Clause | None = None

    # -- building -----------------------------------------------------------------

    def _and(self, *clauses: Clause) -> Query:
        return Query(all_of((*((self.clause,) if self.clause is not None else ()), *clauses)))

    @_chainable
    def terms(self, *words: str) -> Query:
        """Require every word (AND).

        A word that is one plain token becomes a keyword (``acme``); ``#tag``,
        ``@user`` and ``$TAG`` become hashtag, mention and cashtag operators, as
        in X syntax; anything else with spaces or punctuation becomes an exact
        phrase (``"coca-cola"``), as X needs it quoted. Keywords match whole
        tokens, case- and accent-insensitively.

        Raises:
            QueryError: no word given, or a word with no letters, digits or emoji.
        """
        if not words:
            raise QueryError("terms() needs at least one word")
        return self._and(*(_term(w) for w in words))

    @_chainable
    def phrase(self, *phrases: str) -> Query:
        """Require each exact phrase (``"not working"``): these tokens, consecutively."""
        if not phrases:
            raise QueryError("phrase() needs at least one phrase")
        return self._and(*(Atom.of("phrase", p.strip()) for p in phrases))

    @_chainable
    def any_of(self, *items: str | Query) -> Query:
        """Require at least one of ``items`` (an OR group).

        Strings become keywords or phrases as in :meth:`terms`; a ``Query``
        joins as a sub-clause, so ``Query.any_of(Query.mentioning("acme"), "acme")``
        is ``@acme OR acme``.

        Raises:
            QueryError: no item given (X rejects empty groups).
        """
        if not items:
            raise QueryError("any_of() needs at least one item: X rejects an empty group")
        group = any_of(_clause(item, where="any_of") for item in items)
        assert group is not None  # noqa: S101 - items is not empty
        return self._and(group)

    @_chainable
    def none_of(self, *items: str | Query) -> Query:
        """Exclude posts matching any of ``items``: ``-a -b -c``.

        X forbids negating a group, so each item is negated on its own; a
        ``Query`` item must be a single operator (``Query.from_("acme")``).

        Raises:
            QueryError: no item given, or a ``Query`` item that is a group.
        """
        if not items:
            raise QueryError("none_of() needs at least one item")
        return self._and(*(_negate(_clause(item, where="none_of")) for item in items))

    @_chainable
    def from_(self, *users: str | int) -> Query:
        """Posts by any of ``users`` (usernames, with or without ``@``, or numeric ids)."""
        return self._any_atoms("from", users, "from_")

    @_chainable
    def not_from(self, *users: str | int) -> Query:
        """Exclude posts by ``users``: ``-from:acme`` keeps the brand's own posts out."""
        return self._and(*(Negated(a) for a in _atoms("from", users, where="not_from")))

    @_chainable
    def to(self, *users: str | int) -> Query:
        """Replies to any of ``users`` (``to:``; usernames or numeric ids)."""
        return self._any_atoms("to", users, "to")

    @_chainable
    def mentioning(self, *users: str) -> Query:
        """Posts that @mention any of ``users``."""
        return self._any_atoms("mention", users, "mentioning")

    @_chainable
    def hashtag(self, *tags: str) -> Query:
        """Posts with any of these hashtags (exact, case-insensitive; ``#`` optional)."""
        return self._any_atoms("hashtag", tags, "hashtag")

    @_chainable
    def cashtag(self, *symbols: str) -> Query:
        """Posts with any of these cashtags (``$`` optional)."""
        return self._any_atoms("cashtag", symbols, "cashtag")

    @_chainable
    def url(self, *fragments: str) -> Query:
        """Posts linking to a URL containing any of ``fragments`` (tokenized match)."""
        return self._any_atoms("url", fragments, "url")

    @_chainable
    def lang(self, *codes: str) -> Query:
        """Posts X classified in any of these languages (BCP 47, ``"en"``)."""
        return self._any_atoms("lang", codes, "lang")

    @_chainable
    def conversation_id(self, post_id: str | int) -> Query:
        """Posts in the conversation started by ``post_id`` (a whole thread)."""
        return self._and(Atom.of("conversation_id", str(post_id)))

    @_chainable
    def in_reply_to(self, post_id: str | int) -> Query:
        """Direct replies to the post ``post_id`` (``in_reply_to_tweet_id:``)."""
        return self._and(Atom.of("in_reply_to_tweet_id", str(post_id)))

    @_chainable
    def is_reply(self, value: bool = True) -> Query:
        """Only replies (``is:reply``), or with ``False`` no replies (``-is:reply``)."""
        return self._flag("is", "reply", value)

    @_chainable
    def is_quote(self, value: bool = True) -> Query:
        """Only quote posts (``is:quote``), or with ``False`` none (``-is:quote``)."""
        return self._flag("is", "quote", value)

    @_chainable
    def is_retweet(self, value: bool = True) -> Query:
        """Only reposts (``is:retweet``), or with ``False`` none (``-is:retweet``)."""
        return self._flag("is", "retweet", value)

    @_chainable
    def exclude_retweets(self) -> Query:
        """Leave reposts out (``-is:retweet``)."""
        return self._flag("is", "retweet", value=False)

    @_chainable
    def has_links(self, value: bool = True) -> Query:
        """Only posts with links or media (``has:links``), or with ``False`` without."""
        return self._flag("has", "links", value)

    @_chainable
    def has_mentions(self, value: bool = True) -> Query:
        """Only posts that mention someone (``has:mentions``), or with ``False`` none."""
        return self._flag("has", "mentions", value)

    @_chainable
    def has_hashtags(self, value: bool = True) -> Query:
        """Only posts with a hashtag (``has:hashtags``), or with ``False`` none."""
        return self._flag("has", "hashtags", value)

    def _flag(self, kind: AtomKind, name: str, value: bool) -> Query:
        atom = Atom(kind, name)
        return self._and(atom if value else Negated(atom))

    def _any_atoms(self, kind: AtomKind, values: Iterable[str | int], where: str) -> Query:
        group = any_of(_atoms(kind, values, where=where))
        assert group is not None  # noqa: S101 - _atoms is never empty
        return self._and(group)

    def __and__(self, other: Query) -> Query:
        if not isinstance(other, Query):
            return NotImplemented
        return self if other.clause is None else self._and(other.clause)

    def __or__(self, other: Query) -> Query:
        if not isinstance(other, Query):
            return NotImplemented
        if self.clause is None or other.clause is None:
            raise QueryError("cannot OR an empty Query: it would match everything")
        return Query(any_of((self.clause, other.clause)))

    def __invert__(self) -> Query:
        if self.clause is None:
            raise QueryError("cannot negate an empty Query")
        if isinstance(self.clause, Negated):
            return Query(self.clause.clause)
        return Query(_negate(self.clause))

    # -- rendering and parsing ------------------------------------------------------

    def render(self, *, max_length: int | None = RECENT_MAX_LENGTH) -> str:
        """The query string to send as the ``query`` parameter of a search request.

        Args:
            max_length: the longest query the endpoint accepts:
                :attr:`RECENT_MAX_LENGTH` (512, the default),
                :attr:`FULL_ARCHIVE_MAX_LENGTH` (1,024),
                :attr:`ENTERPRISE_MAX_LENGTH` (4,096), or ``None`` for no check.

        Raises:
            QueryError: X would reject the query: empty, only negated or
                conjunction-required clauses (``-is:retweet``, ``has:links``,
                ``lang:en``) in some OR branch, or longer than ``max_length``.
        """
        return check(self.clause, max_length=max_length)

    @classmethod
    def parse(cls, text: str, *, max_length: int | None = None) -> Query:
        """Read a query in X syntax, validated as :meth:`render` validates.

        ``Query.parse(q.render()) == q`` for every valid ``q``. Operator aliases
        (``in_reply_to_status_id:``, ``has:videos``...) come back under their
        canonical names.

        Parentheses may nest as deep as the text allows (redundant ones collapse);
        groups that really alternate AND and OR may nest at most 100 levels
        (``socialcare.query`` keeps trees that shallow so that nothing recurses
        too deep). Deeper queries, like text that is not valid Unicode (a lone
        surrogate), are a ``QueryError``, never a ``RecursionError``.

        Args:
            text: the query, for example ``'@acme (broken OR "not working") -is:retweet'``.
            max_length: also reject queries longer than this (``None``: no check).

        Raises:
            QueryError: the text is not valid X syntax or X would reject it; the
                message says what and where.
        """
        query = cls(parse_clause(text))
        query.render(max_length=max_length)
        return query

    @staticmethod
    def pack(
        terms: Iterable[str | Query],
        *,
        max_length: int = RECENT_MAX_LENGTH,
        within: Query | None = None,
    ) -> list[Query]:
        """Combine ``terms`` into the fewest OR-queries no longer than ``max_length``.

        The same as :func:`socialcare.pack_terms` (see there for details)::

            Query.pack(["acme", "acme corp", "@acme", "#acmefail"], within=Query().lang("en"))
            # [Query.parse('(acme OR "acme corp" OR @acme OR #acmefail) lang:en')]

        Raises:
            QueryError: a term does not fit ``max_length`` even alone, or cannot
                stand in an OR group.
        """
        from socialcare.query._pack import pack_terms  # noqa: PLC0415 - _pack builds on Query

        return pack_terms(terms, max_length=max_length, within=within)

    def __str__(self) -> str:
        return "" if self.clause is None else render_clause(self.clause)

    def __repr__(self) -> str:
        return f"Query.parse({str(self)!r})" if self.clause is not None else "Query()"

    # -- local matching ---------------------------------------------------------------

    def matches(self, post: Post | PostView, *, users: Mapping[str, User] | None = None) -> bool:
        """Whether X's search would return ``post`` for this query.

        Evaluated locally, with X's semantics: case- and accent-insensitive
        keyword matching on tokens, exact phrases as consecutive tokens,
        hashtags, cashtags and mentions from the post's entities, AND binding
        tighter than OR. The sandbox's simulated search uses this method.

        Args:
            post: the post, or a :class:`PostView` prepared once for many queries
                (the view carries its own ``users``).
            users: user id to :class:`~socialcare.User`, so that ``from:``/``to:``
                with a username and ``is:verified`` can be decided; without it
                only numeric ids match.

        Raises:
            QueryError: the query is empty or uses an operator that needs data
                the post model lacks (``list:``, ``place:``, ``context:``...).
        """
        if self.clause is None:
            raise QueryError("an empty Query matches nothing; add a clause")
        if isinstance(post, PostView):
            if users is not None and users is not post.users:
                raise QueryError("pass users to PostView(...), not to matches() with a view")
            view = post
        else:
            view = PostView(post, users)
        return compile_clause(self.clause)(view)


def _negate(clause: Clause) -> Negated:
    if isinstance(clause, Atom):
        return Negated(clause)
    if isinstance(clause, Negated):
        raise QueryError(f"double negation of {clip(render_clause(clause))}")
    raise QueryError(
        f"cannot negate the group {clip(render_clause(clause))}: X forbids negating "
        "groups; negate each term with none_of() instead"
    )
