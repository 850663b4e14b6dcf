"""``QuerySet``: many monitoring rules compiled for fast matching.

Evaluating 1,000 rules one by one against every post wastes almost all the
work: a post about one brand matches a handful of rules at most. A ``QuerySet``
derives from each rule its *requirements*: sets of keys (a token of the text,
``@user``, ``#tag``, ``from:id``...) such that a post can only match the rule
if it has at least one key of every set. For each post it collects the keys it
has, looks the rules up by the cheapest set of each (an inverted index), drops
candidates missing another set, and evaluates the survivors fully, with the
same compiled predicates as :meth:`Query.matches`. The answer is therefore
always exactly what per-rule evaluation gives.

Requirements of a clause:

- a keyword or phrase: each of its tokens;
- ``#tag``, ``@user``, ``$TAG``, ``from:``, ``to:``, ``conversation_id:``,
  ``in_reply_to_tweet_id:``, ``url:``: the matching key;
- ``is:``, ``has:``, ``lang:``: none (they match most posts; X requires a rule
  to have a standalone clause beside them anyway);
- ``a b c`` (AND): the requirements of every child;
- ``a OR b``: one set, the union of each branch's cheapest set;
- a negation: none.

Text tokens are found either by tokenizing the text (pure Python, always
available) or, for ASCII posts, with an Aho-Corasick automaton over the folded
text (``pip install 'socialcare[fast]'``, which installs ``pyahocorasick``),
which finds only the tokens some rule needs.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping
from typing import Final, Generic, Literal, TypeVar

from socialcare._query._core import Query
from socialcare._query._matcher import PostView, Predicate, compile_clause, post_entities
from socialcare._query._syntax import AllOf, AnyOf, Atom, Clause, Negated
from socialcare._query._text import padded_ascii, words
from socialcare.errors import ConfigurationError, QueryError
from socialcare.models import Entities, Post, User

__all__ = ["Backend", "QuerySet"]

K = TypeVar("K", bound=Hashable)

Backend = Literal["auto", "ahocorasick", "index"]
"""How a :class:`QuerySet` finds rule keywords in a post's text."""

# A key is a text token (letters and digits, or an emoji) or an entity key
# whose first character no token can start with: "@acme", "#tag", "$TAG",
# "from:123", "to:acme", "url:token", "is:reply"...
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
        return [frozenset({sigil + (value.lower() if kind == "mention" else value.casefold())})]
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
        self._index: dict[str, list[tuple[int, tuple[_KeySet, ...]]]] = {}
        others: list[tuple[_KeySet, ...]] = []
        for name, rule in rules.items():
            try:
                query = Query.parse(rule) if isinstance(rule, str) else rule
                query.render(max_length=None)
                assert query.clause is not None  # noqa: S101 - render() rejects empty queries
                predicate = compile_clause(query.clause)
            except QueryError as exc:
                raise QueryError(f"rule {name!r}: {exc}") from None
            position = len(self._names)
            self._rules[name] = query
            self._names.append(name)
            self._predicates.append(predicate)
            needs = sorted(set(requirements(query.clause)), key=_cost)
            # A valid query has a positive standalone clause on every OR branch,
            # so it always has at least one requirement to index it by.
            assert needs, query  # noqa: S101
            rest = tuple(needs[1:])
            others.append(rest)
            for key in needs[0]:
                self._index.setdefault(key, []).append((position, rest))
        self._index_keys = frozenset(self._index)
        vocabulary = set(self._index).union(*(k for rest in others for k in rest))
        self._tokens = frozenset(k for k in vocabulary if k[0] not in "@#$" and ":" not in k)
        # The automaton must find every token a predicate checks, negated ones included.
        searched = self._tokens.union(*(_text_tokens(q.clause) for q in self._rules.values()))
        entity_keys = vocabulary - self._tokens
        self._kinds = frozenset(k[0] if k[0] in "@#$" else k.partition(":")[0] for k in entity_keys)
        self._by_mention = "@" in self._kinds
        self._by_hashtag = "#" in self._kinds
        self._by_cashtag = "$" in self._kinds
        self._by_from = "from" in self._kinds
        self._by_to = "to" in self._kinds
        self._by_other = bool(self._kinds & _OTHER_KINDS)
        self._backend = self._choose(backend)
        self._automaton: object | None = None
        if self._backend == "ahocorasick":
            self._automaton = _build_automaton(searched)

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
        text = post.full_text
        present: set[str]
        if self._automaton is not None and text.isascii():
            # Only the tokens some rule looks for, which is all the predicates need.
            present = {token for _, token in self._automaton.iter(padded_ascii(text))}  # type: ignore[attr-defined]
        else:
            present = set(words(text))
        self._add_post_keys(present, post, users)
        index = self._index
        survivors: list[int] = []
        for key in present & self._index_keys:
            for i, others in index[key]:
                for keys in others:
                    if present.isdisjoint(keys):
                        break
                else:
                    survivors.append(i)
        if not survivors:
            return []
        if len(survivors) > 1:
            survivors = sorted(set(survivors))
        view = PostView(post, users, token_set=present)
        predicates, names = self._predicates, self._names
        return [names[i] for i in survivors if predicates[i](view)]

    def _add_post_keys(self, keys: set[str], post: Post, users: Mapping[str, User] | None) -> None:
        entities = post_entities(post)
        if self._by_mention and entities.mentions:
            keys.update(["@" + m.username.lower() for m in entities.mentions])
        if self._by_hashtag and entities.hashtags:
            keys.update(["#" + h.tag.casefold() for h in entities.hashtags])
        if self._by_cashtag and entities.cashtags:
            keys.update(["$" + c.tag.casefold() for c in entities.cashtags])
        if self._by_from and post.author_id is not None:
            _add_user_keys(keys, "from:", post.author_id, users)
        if self._by_to and post.in_reply_to_user_id is not None:
            _add_user_keys(keys, "to:", post.in_reply_to_user_id, users)
        if self._by_other:
            self._add_other_keys(keys, post, entities)

    def _add_other_keys(self, keys: set[str], post: Post, entities: Entities) -> None:
        kinds = self._kinds
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


def _add_user_keys(
    keys: set[str], prefix: str, user_id: str, users: Mapping[str, User] | None
) -> None:
    keys.add(prefix + user_id)
    user = users.get(user_id) if users is not None else None
    if user is not None:
        keys.add(prefix + user.username.lower())


_OTHER_KINDS: Final = frozenset(
    {
        "conversation_id",
        "in_reply_to_tweet_id",
        "retweets_of_tweet_id",
        "quotes_of_tweet_id",
        "url",
    }
)


def _text_tokens(clause: Clause | None) -> set[str]:
    if isinstance(clause, Atom):
        return set(words(clause.value)) if clause.kind in ("keyword", "phrase") else set()
    if isinstance(clause, Negated):
        return _text_tokens(clause.clause)
    if clause is None:
        return set()
    return set().union(*(_text_tokens(c) for c in clause.clauses))


def _build_automaton(tokens: Iterable[str]) -> object:
    """An automaton finding whole ASCII tokens in :func:`padded_ascii` text."""
    import ahocorasick  # noqa: PLC0415 - optional dependency, checked by _choose

    automaton = ahocorasick.Automaton()
    for token in tokens:
        if token.isascii():  # other tokens only occur in non-ASCII posts, tokenized instead
            automaton.add_word(f" {token} ", token)
    if len(automaton) == 0:
        return _EmptyAutomaton()
    automaton.make_automaton()
    return automaton


class _EmptyAutomaton:
    def iter(self, _text: str) -> Iterator[tuple[int, str]]:
        return iter(())
