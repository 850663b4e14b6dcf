"""Local evaluation of a clause tree against a post, with X's search semantics.

A clause compiles once into a predicate over a :class:`PostView`: the post's
text folded and tokenized once, and its entities lowered once, however many
clauses look at it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Final

from socialcare.errors import QueryError
from socialcare.models import Entities, Post, User
from socialcare.query._syntax import AllOf, AnyOf, Atom, Clause, Negated, render_clause
from socialcare.query._text import fold, words
from socialcare.text import extract_entities

__all__ = [
    "PostView",
    "Predicate",
    "compile_clause",
    "contains_run",
    "link_words",
    "post_entities",
    "single_token",
]

Predicate = Callable[["PostView"], bool]

_NOT_LOCAL: Final = {
    "retweets_of": "the post model does not carry the reposted post's author",
    "context": "context annotations are not part of the post model",
    "entity": "context annotations are not part of the post model",
    "list": "list membership is not known locally",
    "place": "places are not part of the post model",
    "place_country": "places are not part of the post model",
    ("has", "images"): "media types are not part of the post model",
    ("has", "video_link"): "media types are not part of the post model",
    ("has", "geo"): "geo data is not part of the post model",
}


def contains_run(tokens: Sequence[str], run: Sequence[str]) -> bool:
    """Whether ``run`` occurs as consecutive items of ``tokens``."""
    size = len(run)
    if size == 1:
        return run[0] in tokens
    first = run[0]
    last_start = len(tokens) - size
    start = 0
    while start <= last_start:
        try:
            start = tokens.index(first, start, last_start + 1)
        except ValueError:
            return False
        if tokens[start : start + size] == run:
            return True
        start += 1
    return False


class PostView:
    """A post prepared for matching: folded tokens and lowered entities, computed once.

    Pass one view to many :meth:`Query.matches` calls to tokenize the post once.

    Args:
        post: the post.
        users: user id to user, to resolve ``from:``/``to:`` usernames and ``is:verified``.
        token_set: the post's searchable tokens if already known
            (the text's and the links' tokens); a subset holding at least every token the
            queries to evaluate look for also works. The ordered tokens are then
            computed only if a phrase needs them.
        tokens: the folded text's tokens in order, if already known
            (``words(post.full_text)``).

    Attributes:
        post: the post.
        users: the users mapping given.
        token_set: the tokens keywords match: the folded text's and its links'.
        entities: the entities of the post's full text.
    """

    __slots__ = (
        "_cashtags",
        "_hashtags",
        "_mentions",
        "_tokens",
        "_url_tokens",
        "entities",
        "post",
        "token_set",
        "users",
    )

    def __init__(
        self,
        post: Post,
        users: Mapping[str, User] | None = None,
        *,
        token_set: AbstractSet[str] | None = None,
        tokens: list[str] | None = None,
    ) -> None:
        self.post = post
        self.users = users
        self._tokens: list[str] | None = tokens
        self.entities: Entities = post_entities(post)
        if token_set is None:
            if self._tokens is None:
                self._tokens = words(post.full_text)
            token_set = frozenset(self._tokens).union(link_words(self.entities))
        self.token_set: AbstractSet[str] = token_set
        self._hashtags: frozenset[str] | None = None
        self._cashtags: frozenset[str] | None = None
        self._mentions: frozenset[str] | None = None
        self._url_tokens: tuple[list[str], ...] | None = None

    @property
    def tokens(self) -> list[str]:
        """The folded text's tokens, in order."""
        if self._tokens is None:
            self._tokens = words(self.post.full_text)
        return self._tokens

    @property
    def hashtags(self) -> frozenset[str]:
        """Hashtags (case-folded, without ``#``)."""
        if self._hashtags is None:
            self._hashtags = frozenset(fold(h.tag) for h in self.entities.hashtags)
        return self._hashtags

    @property
    def cashtags(self) -> frozenset[str]:
        """Cashtags (case-folded, without ``$``)."""
        if self._cashtags is None:
            self._cashtags = frozenset(fold(c.tag) for c in self.entities.cashtags)
        return self._cashtags

    @property
    def mentions(self) -> frozenset[str]:
        """Mentioned usernames (lower case, without ``@``)."""
        if self._mentions is None:
            self._mentions = frozenset(m.username.lower() for m in self.entities.mentions)
        return self._mentions

    @property
    def url_tokens(self) -> tuple[list[str], ...]:
        """Tokens of every form (t.co, expanded, unwound) of every link."""
        if self._url_tokens is None:
            forms = (
                form
                for u in self.entities.urls
                for form in (u.url, u.expanded_url, u.unwound_url)
                if form
            )
            self._url_tokens = tuple(words(form) for form in forms)
        return self._url_tokens

    def user_matches(self, user_id: str | None, wanted: str) -> bool:
        """Whether ``user_id`` is ``wanted``, given as a numeric id or a username."""
        if user_id is None:
            return False
        if user_id == wanted:
            return True
        if self.users is None:
            return False
        user = self.users.get(user_id)
        return user is not None and user.username.lower() == wanted


def link_words(entities: Entities) -> list[str]:
    """Tokens of the links' expanded and unwound URLs, which keywords match too.

    X matches a keyword "on both URLs and unwound URLs within a Post": a post
    whose only text is a t.co link to ``.../obama-s-climate-pledge`` is returned
    for ``obama``. The t.co URL itself is part of the text already.
    """
    out: list[str] = []
    for u in entities.urls:
        if u.expanded_url:
            out.extend(words(u.expanded_url))
        if u.unwound_url:
            out.extend(words(u.unwound_url))
    return out


_ENTITY_MARKS: Final = frozenset("#\uff03@\uff20$.")
"""Characters every hashtag, mention, cashtag or link contains (a link needs a dot)."""


def post_entities(post: Post) -> Entities:
    """The entities of the post's full text (``note_entities`` for a long post).

    A post that carries no entities at all (a CSV export, recorded data, a payload
    without an ``entities`` object) gets the entities X would have reported,
    derived from its full text with :func:`socialcare.text.extract_entities` once
    per distinct text (cached). Entities the post carries are X's own and are kept,
    an explicit (even empty) ``note_entities`` included.
    """
    note = post.note_entities if post.note_text is not None else None
    if note is not None:
        return note
    if post.entities:
        return post.entities
    text = post.full_text
    if _ENTITY_MARKS.isdisjoint(text):
        return post.entities  # nothing in the text could be an entity
    return _derived_entities(text)


@functools.lru_cache(maxsize=4096)
def _derived_entities(text: str) -> Entities:
    return extract_entities(text)


def _compile_atom(atom: Atom) -> Predicate:  # noqa: C901, PLR0912 - one branch per operator
    kind, value = atom.kind, atom.value
    if kind in ("keyword", "phrase"):
        run = words(value)
        if len(run) == 1:
            token = run[0]
            return lambda v: token in v.token_set
        needed = frozenset(run)
        return lambda v: (
            needed <= v.token_set
            and (
                contains_run(v.tokens, run) or any(contains_run(form, run) for form in v.url_tokens)
            )
        )
    if kind == "hashtag":
        tag = fold(value)
        return lambda v: tag in v.hashtags
    if kind == "cashtag":
        sym = fold(value)
        return lambda v: sym in v.cashtags
    if kind == "mention":
        name = value.lower()
        return lambda v: name in v.mentions
    if kind == "from":
        who = value.lower()
        return lambda v: v.user_matches(v.post.author_id, who)
    if kind == "to":
        who = value.lower()
        return lambda v: v.user_matches(v.post.in_reply_to_user_id, who)
    if kind == "conversation_id":
        return lambda v: v.post.conversation_id == value
    if kind == "in_reply_to_tweet_id":
        return lambda v: v.post.replied_to_id == value
    if kind == "retweets_of_tweet_id":
        return lambda v: v.post.retweeted_id == value
    if kind == "quotes_of_tweet_id":
        return lambda v: v.post.quoted_id == value
    if kind == "lang":
        code = value.lower()
        return lambda v: v.post.lang is not None and v.post.lang.lower() == code
    if kind == "url":
        run = words(value)
        return lambda v: any(contains_run(form, run) for form in v.url_tokens)
    if kind == "is":
        return _compile_is(value)
    if kind == "has":
        return _compile_has(value)
    reason = _NOT_LOCAL.get(kind, "it is not supported locally")
    raise QueryError(f"{render_clause(atom)} cannot be evaluated locally: {reason}")


def _compile_is(value: str) -> Predicate:
    if value == "reply":
        return lambda v: v.post.is_reply
    if value == "quote":
        return lambda v: v.post.is_quote
    if value == "retweet":
        return lambda v: v.post.is_retweet
    if value == "verified":

        def verified(v: PostView) -> bool:
            if v.users is None or v.post.author_id is None:
                return False
            user = v.users.get(v.post.author_id)
            return user is not None and user.verified is True

        return verified
    # is:nullcast: promoted-only ads posts never reach the search endpoints.
    return lambda _v: False


def _compile_has(value: str) -> Predicate:
    if value == "links":
        return lambda v: bool(v.entities.urls)
    if value == "mentions":
        return lambda v: bool(v.entities.mentions)
    if value == "hashtags":
        return lambda v: bool(v.entities.hashtags)
    if value == "cashtags":
        return lambda v: bool(v.entities.cashtags)
    if value == "media":
        return lambda v: any(u.media_key for u in v.entities.urls)
    reason = _NOT_LOCAL[("has", value)]
    raise QueryError(f"has:{value} cannot be evaluated locally: {reason}")


@functools.lru_cache(maxsize=8192)
def compile_clause(clause: Clause) -> Predicate:
    """A predicate telling whether a prepared post matches ``clause``.

    Raises:
        QueryError: the clause uses an operator that needs data the post model lacks
            (``list:``, ``place:``, ``context:``, ``has:images``...).
    """
    if isinstance(clause, Atom):
        return _compile_atom(clause)
    if isinstance(clause, Negated):
        inner = _compile_atom(clause.clause)
        return lambda v: not inner(v)
    # Single-word keywords of a group are one set operation on the token set.
    singles = [(c, single_token(c)) for c in clause.clauses]
    plain = frozenset(t for _, t in singles if t is not None)
    parts = tuple(compile_clause(c) for c, t in singles if t is None)
    if len(plain) == 1:
        (token,) = plain
        parts = (lambda v: token in v.token_set, *parts)
    if isinstance(clause, AllOf):
        if len(plain) > 1:
            parts = (lambda v: plain <= v.token_set, *parts)
        return _all(parts)
    assert isinstance(clause, AnyOf)  # noqa: S101 - exhaustive
    if len(plain) > 1:
        parts = (lambda v: not plain.isdisjoint(v.token_set), *parts)
    return _any(parts)


def single_token(clause: Clause) -> str | None:
    """The token of a keyword (or one-word phrase) atom, else None."""
    if isinstance(clause, Atom) and clause.kind in ("keyword", "phrase"):
        run = words(clause.value)
        if len(run) == 1:
            return run[0]
    return None


def _all(parts: tuple[Predicate, ...]) -> Predicate:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:  # noqa: PLR2004 - the common case, unrolled
        first, second = parts
        return lambda v: first(v) and second(v)

    def every(v: PostView) -> bool:
        for part in parts:  # noqa: SIM110 - a loop is faster than all(generator)
            if not part(v):
                return False
        return True

    return every


def _any(parts: tuple[Predicate, ...]) -> Predicate:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:  # noqa: PLR2004 - the common case, unrolled
        first, second = parts
        return lambda v: first(v) or second(v)

    def some(v: PostView) -> bool:
        for part in parts:  # noqa: SIM110 - a loop is faster than any(generator)
            if part(v):
                return True
        return False

    return some
