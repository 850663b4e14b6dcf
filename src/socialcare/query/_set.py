"""``QuerySet``: many monitoring rules compiled for fast matching.

Evaluating 1,000 rules one by one against every post wastes almost all the
work: a post about one brand matches a handful of rules at most. A ``QuerySet``
derives from each rule its *requirements*: sets of keys (a token of the text,
``@user``, ``#tag``, ``from:id``...) such that a post can only match the rule
if it has at least one key of every set. For each post it collects the keys it
has, looks the rules up by the cheapest set of each (an inverted index), drops
candidates missing another set, and evaluates the survivors fully, with the
same compiled predicates as :meth:`Query.matches` (minus the parts the
requirement sets already decide exactly). The answer is therefore always
exactly what per-rule evaluation gives.

Requirements of a clause:

- a keyword or phrase: each of its tokens;
- ``#tag``, ``@user``, ``$TAG``, ``from:``, ``to:``, ``conversation_id:``,
  ``in_reply_to_tweet_id:``, ``url:``: the matching key;
- ``is:``, ``has:``, ``lang:``: none (they match most posts; X requires a rule
  to have a standalone clause beside them anyway);
- ``a b c`` (AND): the requirements of every child;
- ``a OR b``: one set, the union of each branch's cheapest set;
- a negation: none.

The post's text tokens come from :func:`words`, whose ASCII fast path is one
``bytes.translate`` and one ``split`` (both in C). An Aho-Corasick automaton
(pyahocorasick) over the rules' vocabulary was measured as the alternative and
was no faster on tweets: with a realistic vocabulary most posts hold several
rule words, and handing each hit back to Python costs as much as splitting
(see ``benchmarks/match_bench.py``). So there is no optional dependency.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping
from typing import Final, Generic, TypeVar

from socialcare._text_repr import clip
from socialcare.errors import QueryError
from socialcare.models import Entities, Post, User
from socialcare.query._core import Query
from socialcare.query._matcher import (
    PostView,
    Predicate,
    compile_clause,
    link_words,
    post_entities,
    single_token,
)
from socialcare.query._syntax import AllOf, AnyOf, Atom, Clause, Negated, all_of
from socialcare.query._text import fold, words

__all__ = ["QuerySet"]

K = TypeVar("K", bound=Hashable)


# A key is a text token (letters and digits, or an emoji) or an entity key
# whose first character no token can start with: "@acme", "#tag", "$TAG",
# "from:123", "to:acme", "url:token", "conversation_id:1"...
_KeySet = frozenset[str]

_SIGIL_OF: Final = {"mention": "@", "hashtag": "#", "cashtag": "$"}
# Rough cost of requiring each kind of key: how many posts have it.
_COST: Final = {
    "conversation_id": 0.1,
    "in_reply_to_tweet_id": 0.1,
    "retweets_of_tweet_id": 0.1,
    "quotes_of_tweet_id": 0.1,
    "@": 1.0,
    "#": 1.0,
    "$": 1.0,
    "from": 1.0,
    "to": 1.0,
    "url": 3.0,
}
_WEAK_KINDS: Final = frozenset({"lang", "is", "has"})


def _key_cost(key: str) -> float:
    if key[0] in "@#$":
        return _COST[key[0]]
    kind, colon, _ = key.partition(":")
    if colon:
        return _COST[kind]
    return 1.0 + 24.0 / len(key)


def _cost(keys: _KeySet) -> float:
    return sum(_key_cost(k) for k in keys)


def _atom_requirements(atom: Atom) -> list[_KeySet]:
    kind, value = atom.kind, atom.value
    if kind in ("keyword", "phrase"):
        return [frozenset({token}) for token in dict.fromkeys(words(value))]
    if kind == "url":
        return [frozenset({f"url:{token}"}) for token in dict.fromkeys(words(value))]
    if kind in _WEAK_KINDS:
        return []  # is:, has:, lang: match most posts; the predicate checks them
    sigil = _SIGIL_OF.get(kind)
    if sigil is not None:
        return [frozenset({sigil + (value.lower() if kind == "mention" else fold(value))})]
    return [frozenset({f"{kind}:{value.lower()}"})]


def requirements(clause: Clause) -> list[_KeySet]:
    """Key sets a matching post must meet: it has at least one key of each set.

    An empty list means no requirement can be derived (a negation, or an OR
    with such a branch); an empty set in the list means the clause never matches.
    """
    if isinstance(clause, Atom):
        return _atom_requirements(clause)
    if isinstance(clause, Negated):
        return []
    parts = [requirements(c) for c in clause.clauses]
    if isinstance(clause, AllOf):
        return [keys for part in parts for keys in part]
    assert isinstance(clause, AnyOf)  # noqa: S101 - exhaustive
    if any(not part for part in parts):
        return []
    # A post matching some branch meets every set of that branch, so it has a
    # key from the union of one set per branch: take each branch's cheapest.
    return [frozenset().union(*(min(part, key=_cost) for part in parts))]


_Rest = tuple[_KeySet, ...]
_Bucket = tuple[tuple[int, ...], dict[str, list[tuple[int, _Rest]]], frozenset[str]]


def _bucket(rules: list[tuple[int, _Rest]]) -> _Bucket:
    """The rules indexed under one key, themselves indexed by their next requirement.

    ``(direct, second, second_keys)``: the rules with no other requirement, and
    the others by the keys of their second requirement set (then the sets left),
    so a post having the bucket's key is checked against the rules' second sets
    with one set intersection, not rule by rule (:meth:`QuerySet.matching`).
    """
    direct = tuple(i for i, rest in rules if not rest)
    second: dict[str, list[tuple[int, _Rest]]] = {}
    for i, rest in rules:
        if rest:
            for key in rest[0]:
                second.setdefault(key, []).append((i, rest[1:]))
    return direct, second, frozenset(second)


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

    Raises:
        QueryError: a rule is invalid or uses an operator that cannot be
            evaluated locally; the message names the rule.
    """

    def __init__(self, rules: Mapping[K, Query | str]) -> None:
        self._rules: dict[K, Query] = {}
        self._names: list[K] = []
        self._residuals: list[Predicate | None] = []
        entries: dict[str, list[tuple[int, tuple[_KeySet, ...]]]] = {}
        others: list[tuple[_KeySet, ...]] = []
        for name, rule in rules.items():
            try:
                query = Query.parse(rule) if isinstance(rule, str) else rule
                query.render(max_length=None)
                assert query.clause is not None  # noqa: S101 - render() rejects empty queries
                compile_clause(query.clause)  # refuses what cannot be evaluated locally
            except QueryError as exc:
                raise QueryError(f"rule {clip(name)}: {exc}") from None
            position = len(self._names)
            self._rules[name] = query
            self._names.append(name)
            residual = _residual(query.clause)
            self._residuals.append(None if residual is None else compile_clause(residual))
            needs = sorted(set(requirements(query.clause)), key=_cost)
            # A valid query has a positive standalone clause on every OR branch,
            # so it always has at least one requirement to index it by.
            assert needs, query  # noqa: S101
            rest = tuple(needs[1:])
            others.append(rest)
            for key in needs[0]:
                entries.setdefault(key, []).append((position, rest))
        # Every text token any rule looks at, negated keywords included: the
        # post's token set is cut down to these, which is all the predicates read.
        # A set, not a frozenset: intersection() then gives a set keys are added to.
        self._vocabulary: set[str] = {
            token for query in self._rules.values() for token in _text_tokens(query.clause)
        }
        self._index = {key: _bucket(rules) for key, rules in entries.items()}
        self._index_keys = frozenset(self._index)
        vocabulary = set(self._index).union(*(k for rest in others for k in rest))
        kinds = {k[0] if k[0] in "@#$" else k.partition(":")[0] for k in vocabulary}
        keys = frozenset(vocabulary)
        self._mention_keys = _KeyCache(lambda name: "@" + name.lower(), keys)
        self._hashtag_keys = _KeyCache(lambda tag: "#" + fold(tag), keys)
        self._cashtag_keys = _KeyCache(lambda tag: "$" + fold(tag), keys)
        self._from_id_keys = _KeyCache(lambda user_id: "from:" + user_id, keys)
        self._from_name_keys = _KeyCache(lambda name: "from:" + name.lower(), keys)
        self._to_id_keys = _KeyCache(lambda user_id: "to:" + user_id, keys)
        self._to_name_keys = _KeyCache(lambda name: "to:" + name.lower(), keys)
        self._by_mention = "@" in kinds
        self._by_hashtag = "#" in kinds
        self._by_cashtag = "$" in kinds
        self._by_from = "from" in kinds
        self._by_to = "to" in kinds
        self._other_kinds = frozenset(kinds & _OTHER_KINDS)

    def __getitem__(self, name: K) -> Query:
        return self._rules[name]

    def __iter__(self) -> Iterator[K]:
        return iter(self._rules)

    def __len__(self) -> int:
        return len(self._rules)

    def __repr__(self) -> str:
        return f"QuerySet({len(self)} rules)"

    def matching(  # noqa: C901, PLR0912, PLR0915 - the hot path, inlined on purpose
        self, post: Post, *, users: Mapping[str, User] | None = None
    ) -> list[K]:
        """Names of the rules whose query matches ``post``, in the set's order.

        Args:
            post: the post.
            users: user id to user, as for :meth:`Query.matches`.
        """
        # The hot path: everything is inlined, so a post costs few Python calls.
        vocabulary = self._vocabulary
        tokens = words(post.full_text)
        present = vocabulary.intersection(tokens)
        entities = post_entities(post)
        if entities.urls:
            present.update(vocabulary.intersection(link_words(entities)))
        add = present.add
        if self._by_mention:
            mention_keys = self._mention_keys
            for mention in entities.mentions:
                if (key := mention_keys[mention.username]) is not None:
                    add(key)
        if self._by_hashtag:
            hashtag_keys = self._hashtag_keys
            for tag in entities.hashtags:
                if (key := hashtag_keys[tag.tag]) is not None:
                    add(key)
        if self._by_cashtag:
            cashtag_keys = self._cashtag_keys
            for tag in entities.cashtags:
                if (key := cashtag_keys[tag.tag]) is not None:
                    add(key)
        if self._by_from and (author_id := post.author_id) is not None:
            if (key := self._from_id_keys[author_id]) is not None:
                add(key)
            if (
                users is not None
                and (author := users.get(author_id)) is not None
                and (key := self._from_name_keys[author.username]) is not None
            ):
                add(key)
        if self._by_to and (to_id := post.in_reply_to_user_id) is not None:
            if (key := self._to_id_keys[to_id]) is not None:
                add(key)
            if (
                users is not None
                and (to := users.get(to_id)) is not None
                and (key := self._to_name_keys[to.username]) is not None
            ):
                add(key)
        if self._other_kinds:
            self._add_other_keys(present, post, entities)

        index = self._index
        survivors: list[int] = []
        for key in present & self._index_keys:
            direct, second, second_keys = index[key]
            if direct:
                survivors.extend(direct)
            if not second_keys.isdisjoint(present):  # rarely: no new set most times
                for next_key in present & second_keys:
                    for i, rest in second[next_key]:
                        for keys in rest:
                            if present.isdisjoint(keys):
                                break
                        else:
                            survivors.append(i)
        if not survivors:
            return []
        if len(survivors) > 1:
            survivors = sorted(set(survivors))
        residuals, names = self._residuals, self._names
        view: PostView | None = None
        matched: list[K] = []
        for i in survivors:
            residual = residuals[i]
            if residual is not None:
                if view is None:
                    view = PostView(post, users, token_set=present, tokens=tokens)
                if not residual(view):
                    continue
            matched.append(names[i])
        return matched

    def _add_other_keys(self, keys: set[str], post: Post, entities: Entities) -> None:
        kinds = self._other_kinds
        for kind, value in (
            ("conversation_id", post.conversation_id),
            ("in_reply_to_tweet_id", post.replied_to_id),
            ("retweets_of_tweet_id", post.retweeted_id),
            ("quotes_of_tweet_id", post.quoted_id),
        ):
            if kind in kinds and value is not None:
                keys.add(f"{kind}:{value}")
        if "url" in kinds:
            for u in entities.urls:
                for form in (u.url, u.expanded_url, u.unwound_url):
                    if form:
                        keys.update(["url:" + token for token in words(form)])


_EXACT_KINDS: Final = frozenset({"mention", "hashtag", "cashtag", "from", "to"})


def _exact(clause: Clause) -> bool:
    """Whether ``clause`` holds exactly when the post has a key of its one requirement set.

    True for a single-word keyword (its token is kept whenever the text has
    it), ``@user``, ``#tag``, ``$TAG``, ``from:``, ``to:`` (the post's keys are
    built with the predicates' own folding), and an OR of such clauses.
    """
    if isinstance(clause, Atom):
        if clause.kind in ("keyword", "phrase"):
            return single_token(clause) is not None
        return clause.kind in _EXACT_KINDS
    if isinstance(clause, AnyOf):
        return all(_exact(c) for c in clause.clauses)
    return False


def _residual(clause: Clause) -> Clause | None:
    """What is left to evaluate of ``clause`` once every requirement set is met.

    The candidate search checks all of a rule's requirement sets, so the parts
    of a top-level AND that are exact (:func:`_exact`) hold already; None when
    nothing is left and a candidate is a match.
    """
    parts = clause.clauses if isinstance(clause, AllOf) else (clause,)
    return all_of(part for part in parts if not _exact(part))


def _text_tokens(clause: Clause | None) -> Iterator[str]:
    """The text tokens that keyword and phrase atoms of ``clause`` look for."""
    if isinstance(clause, Atom):
        if clause.kind in ("keyword", "phrase"):
            yield from words(clause.value)
    elif isinstance(clause, Negated):
        yield from _text_tokens(clause.clause)
    elif clause is not None:
        for child in clause.clauses:
            yield from _text_tokens(child)


class _KeyCache(dict[str, str | None]):
    """Index keys of entity values (``"@" + username.lower()``...), memoized.

    A value maps to its key if some rule requires that key, else to None (the
    key could not select or rule out any rule, so it is not worth adding). The
    values are strings held by the posts' models, whose hashes Python has
    already computed, so a lookup here is cheaper than building (allocating and
    hashing) the key again for every post. Bounded: emptied when full.
    """

    __slots__ = ("_keys", "_make")
    limit: Final = 65_536

    def __init__(self, make: Callable[[str], str], keys: frozenset[str]) -> None:
        super().__init__()
        self._make = make
        self._keys = keys

    def __missing__(self, value: str) -> str | None:
        if len(self) >= self.limit:
            self.clear()
        key = self._make(value)
        found = key if key in self._keys else None
        self[value] = found
        return found


_OTHER_KINDS: Final = frozenset(
    {
        "conversation_id",
        "in_reply_to_tweet_id",
        "retweets_of_tweet_id",
        "quotes_of_tweet_id",
        "url",
    }
)
