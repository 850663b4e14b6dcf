"""``QuerySet``: many monitoring rules compiled for fast matching.

Evaluating 1,000 rules one by one against every post wastes almost all the
work: a post about one brand matches a handful of rules at most. A
``QuerySet`` computes, for each rule, a set of *anchor keys* such that the rule
cannot match a post unless the post has at least one of them (a token of its
text, a hashtag, a mention, an author...). For each post it collects the keys
it has, looks up the rules anchored on them, and evaluates only those
candidates, fully, with the same compiled predicates as :meth:`Query.matches`.
The answer is therefore always exactly what per-rule evaluation gives.

Anchors of a rule:

- a keyword or phrase: its longest token (every token must be present);
- ``#tag``, ``@user``, ``$TAG``, ``from:``, ``to:``, ``conversation_id:``,
  ``in_reply_to_tweet_id:``, ``url:``, ``lang:``, ``is:``, ``has:``: the matching key;
- ``a b c`` (AND): the anchors of the most selective child;
- ``a OR b``: the anchors of every branch;
- a negation anchors nothing, so a rule made only of unanchorable parts is
  evaluated on every post (X rejects such queries anyway).

Text tokens are found either with a hash lookup of the post's tokens (pure
Python, always available) or with an Aho-Corasick automaton over the folded text
(``pip install socialcare[fast]``, which installs ``pyahocorasick``); the
automaton skips tokenizing posts that match no rule at all.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from typing import Final, Generic, Literal, TypeVar

from socialcare._query._core import Query
from socialcare._query._matcher import PostView, Predicate, compile_clause, post_entities
from socialcare._query._syntax import AllOf, AnyOf, Atom, Clause, Negated
from socialcare._query._text import fold, tokenize
from socialcare.errors import ConfigurationError, QueryError
from socialcare.models import Post, User

__all__ = ["Backend", "QuerySet"]

K = TypeVar("K", bound=Hashable)

Backend = Literal["auto", "ahocorasick", "index"]
"""How a :class:`QuerySet` finds rule keywords in a post's text."""

_Key = tuple[str, str]
_Anchors = tuple[frozenset[_Key], float]

# Rough cost of anchoring on each kind of key: how many posts share it.
_COST: Final = {
    "conversation_id": 0.1,
    "in_reply_to_tweet_id": 0.1,
    "retweets_of_tweet_id": 0.1,
    "quotes_of_tweet_id": 0.1,
    "from": 1.0,
    "to": 1.0,
    "mention": 1.0,
    "hashtag": 1.0,
    "cashtag": 1.0,
    "url": 3.0,
    "lang": 200.0,
    "is": 300.0,
    "has": 300.0,
}
_TEXT: Final = "text"


def _atom_anchors(atom: Atom) -> _Anchors:
    kind, value = atom.kind, atom.value
    if kind in ("keyword", "phrase", "url"):
        token = max(tokenize(fold(value)), key=len)
        key_kind = _TEXT if kind != "url" else "url"
        cost = _COST["url"] if kind == "url" else 1.0 + 24.0 / len(token)
        return frozenset({(key_kind, token)}), cost
    if kind == "is" and value == "nullcast":
        return frozenset(), 0.0  # never true locally
    if kind in {"hashtag", "cashtag"}:
        return frozenset({(kind, value.casefold())}), _COST[kind]
    return frozenset({(kind, value.lower())}), _COST[kind]


def anchors(clause: Clause) -> _Anchors | None:
    """Keys one of which every post matching ``clause`` has, with their cost; or ``None``."""
    if isinstance(clause, Atom):
        return _atom_anchors(clause)
    if isinstance(clause, Negated):
        return None
    parts = [anchors(c) for c in clause.clauses]
    if isinstance(clause, AnyOf):
        if any(p is None for p in parts):
            return None
        keys = frozenset().union(*(p[0] for p in parts if p is not None))
        return keys, sum(p[1] for p in parts if p is not None)
    assert isinstance(clause, AllOf)  # noqa: S101 - exhaustive
    known = [p for p in parts if p is not None]
    return min(known, key=lambda p: p[1]) if known else None


class QuerySet(Mapping[K, Query], Generic[K]):
    """Named queries (monitoring rules) compiled to find which ones match a post, fast.

    It is an immutable mapping from rule name to :class:`Query`; :meth:`matching`
    returns exactly the names whose query :meth:`Query.matches` the post, in the
    mapping's order, but evaluates only the rules the post could match::

        rules = QuerySet(
            {
                "outage": Query.mentioning("acme").any_of("down", "outage"),
                "refunds": Query.terms("acme", "refund").exclude_retweets(),
            }
        )
        rules.matching(post)  # ['outage']

    Args:
        rules: rule name to query (or query text in X syntax).
        backend: ``"index"`` looks the post's tokens up in a hash index (pure
            Python); ``"ahocorasick"`` scans the text with an Aho-Corasick
            automaton (needs the ``fast`` extra); ``"auto"`` (default) uses the
            automaton when ``pyahocorasick`` is installed.

    Raises:
        QueryError: a rule is invalid or uses an operator that cannot be
            evaluated locally; the message names the rule.
        ConfigurationError: ``backend="ahocorasick"`` without ``pyahocorasick``.
    """

    def __init__(self, rules: Mapping[K, Query | str], *, backend: Backend = "auto") -> None:
        self._rules: dict[K, Query] = {}
        self._names: list[K] = []
        self._predicates: list[Predicate] = []
        self._always: list[int] = []
        self._text_index: dict[str, list[int]] = {}
        self._key_index: dict[_Key, list[int]] = {}
        for name, rule in rules.items():
            try:
                query = Query.parse(rule) if isinstance(rule, str) else rule
                query.render(max_length=None)
                assert query.clause is not None  # noqa: S101 - render() rejects empty queries
                predicate = compile_clause(query.clause)
            except QueryError as exc:
                raise QueryError(f"rule {name!r}: {exc}") from None
            index = len(self._names)
            self._rules[name] = query
            self._names.append(name)
            self._predicates.append(predicate)
            found = anchors(query.clause)
            if found is None:
                self._always.append(index)
                continue
            for kind, value in found[0]:
                if kind == _TEXT:
                    self._text_index.setdefault(value, []).append(index)
                else:
                    self._key_index.setdefault((kind, value), []).append(index)
        self._kinds = frozenset(kind for kind, _ in self._key_index)
        self._backend = self._choose(backend)
        self._automaton: object | None = None
        if self._backend == "ahocorasick":
            self._automaton = _build_automaton(self._text_index)

    def _choose(self, backend: Backend) -> Literal["ahocorasick", "index"]:
        if backend == "index":
            return "index"
        try:
            import ahocorasick  # noqa: F401, PLC0415 - optional dependency
        except ImportError:
            if backend == "ahocorasick":
                raise ConfigurationError(
                    "QuerySet(backend='ahocorasick') needs pyahocorasick: "
                    "pip install 'socialcare[fast]'"
                ) from None
            return "index"
        if backend not in ("auto", "ahocorasick"):
            raise ConfigurationError(
                f"unknown QuerySet backend {backend!r}: use 'auto', 'ahocorasick' or 'index'"
            )
        return "ahocorasick"

    @property
    def backend(self) -> Literal["ahocorasick", "index"]:
        """The text-search backend in use."""
        return self._backend

    def __getitem__(self, name: K) -> Query:
        return self._rules[name]

    def __iter__(self) -> Iterator[K]:
        return iter(self._rules)

    def __len__(self) -> int:
        return len(self._rules)

    def __repr__(self) -> str:
        return f"QuerySet({len(self)} rules, backend={self._backend!r})"

    def matching(self, post: Post, *, users: Mapping[str, User] | None = None) -> list[K]:
        """Names of the rules whose query matches ``post``, in the set's order.

        Args:
            post: the post.
            users: user id to user, as for :meth:`Query.matches`.
        """
        candidates: set[int] = set(self._always)
        view: PostView | None = None
        if self._automaton is not None:
            folded = fold(post.full_text)
            candidates.update(_scan(self._automaton, folded))
        else:
            view = PostView(post, users)
            index = self._text_index
            for token in view.token_set:
                hit = index.get(token)
                if hit is not None:
                    candidates.update(hit)
        if self._kinds:
            key_index = self._key_index
            for key in self._post_keys(post, users):
                hit = key_index.get(key)
                if hit is not None:
                    candidates.update(hit)
        if not candidates:
            return []
        if view is None:
            view = PostView(post, users)
        predicates, names = self._predicates, self._names
        return [names[i] for i in sorted(candidates) if predicates[i](view)]

    def _post_keys(  # noqa: C901, PLR0912 - one block per key kind
        self, post: Post, users: Mapping[str, User] | None
    ) -> Iterator[_Key]:
        kinds = self._kinds
        entities = post_entities(post)
        if "mention" in kinds:
            for m in entities.mentions:
                yield ("mention", m.username.lower())
        if "hashtag" in kinds:
            for h in entities.hashtags:
                yield ("hashtag", h.tag.casefold())
        if "cashtag" in kinds:
            for c in entities.cashtags:
                yield ("cashtag", c.tag.casefold())
        for kind, user_id in (("from", post.author_id), ("to", post.in_reply_to_user_id)):
            if kind in kinds and user_id is not None:
                yield (kind, user_id)
                user = users.get(user_id) if users is not None else None
                if user is not None:
                    yield (kind, user.username.lower())
        for kind, value in (
            ("conversation_id", post.conversation_id),
            ("in_reply_to_tweet_id", post.replied_to_id),
            ("retweets_of_tweet_id", post.retweeted_id),
            ("quotes_of_tweet_id", post.quoted_id),
            ("lang", post.lang.lower() if post.lang is not None else None),
        ):
            if kind in kinds and value is not None:
                yield (kind, value)
        if "url" in kinds:
            for u in entities.urls:
                for form in (u.url, u.expanded_url, u.unwound_url):
                    if form:
                        for token in tokenize(fold(form)):
                            yield ("url", token)
        if "is" in kinds:
            yield from _is_keys(post, users)
        if "has" in kinds:
            yield from _has_keys(post)


def _is_keys(post: Post, users: Mapping[str, User] | None) -> Iterator[_Key]:
    if post.is_reply:
        yield ("is", "reply")
    if post.is_quote:
        yield ("is", "quote")
    if post.is_retweet:
        yield ("is", "retweet")
    if users is not None and post.author_id is not None:
        user = users.get(post.author_id)
        if user is not None and user.verified is True:
            yield ("is", "verified")


def _has_keys(post: Post) -> Iterator[_Key]:
    entities = post_entities(post)
    if entities.urls:
        yield ("has", "links")
        if any(u.media_key for u in entities.urls):
            yield ("has", "media")
    if entities.mentions:
        yield ("has", "mentions")
    if entities.hashtags:
        yield ("has", "hashtags")
    if entities.cashtags:
        yield ("has", "cashtags")


def _build_automaton(text_index: Mapping[str, list[int]]) -> object:
    import ahocorasick  # noqa: PLC0415 - optional dependency, checked by _choose

    automaton = ahocorasick.Automaton()
    for token, rules in text_index.items():
        # Word tokens must stand alone in the text; an emoji is a token wherever it is.
        automaton.add_word(token, (len(token), token[0].isalnum(), tuple(rules)))
    if len(automaton) == 0:
        return _EmptyAutomaton()
    automaton.make_automaton()
    return automaton


class _EmptyAutomaton:
    def iter(self, _text: str) -> Iterator[tuple[int, tuple[int, bool, tuple[int, ...]]]]:
        return iter(())


def _scan(automaton: object, folded: str) -> Iterator[int]:
    """Rules anchored on a token that occurs as a whole token of ``folded``."""
    end_of_text = len(folded) - 1
    found: Iterator[tuple[int, tuple[int, bool, tuple[int, ...]]]] = automaton.iter(folded)  # type: ignore[attr-defined]
    for end, (size, word, rules) in found:
        if word:
            start = end - size + 1
            if (start > 0 and folded[start - 1].isalnum()) or (
                end < end_of_text and folded[end + 1].isalnum()
            ):
                continue
        yield from rules
