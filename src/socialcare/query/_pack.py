"""Pack many keywords into the fewest OR-queries that fit X's length limit.

Every packed query is ``base (t1 OR t2 OR ... OR tk)`` (or ``t1 OR ... OR tk``
without a base). In a group, term ``i`` costs its rendered length plus 4 for the
``" OR "`` joining it, and the group as a whole 4 less than that sum plus a fixed
overhead (the base, a space and the parentheses). Packing is therefore bin
packing with item sizes ``len(t_i) + 4`` and capacity ``max_length - overhead + 4``.

The algorithm:

1. Terms are deduplicated (``Acme``, ``acme`` and ``"acme"`` match the same posts).
2. First-fit decreasing: longest term first, into the first query with room.
   FFD never uses more than ``11/9 * OPT + 6/9`` queries.
3. If FFD's count exceeds the lower bound ``ceil(sum of sizes / capacity)``,
   and there are at most 24 terms, an exact depth-first search (largest term
   first, no two equally full bins tried twice, pruned by remaining capacity)
   looks for a packing with fewer queries, trying each count from the lower
   bound up. Its effort is capped, so it never hangs; when it gives up, FFD's
   packing stands.

So the result is provably the fewest whenever it equals the lower bound or the
exact search ran to the end, which in practice (brand keywords are short next
to a 512-character cap) is always.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from socialcare._text_repr import clip
from socialcare.errors import QueryError
from socialcare.query._core import Query, _clause
from socialcare.query._syntax import AllOf, AnyOf, Atom, Clause, any_of, check, render_clause
from socialcare.query._text import fold, words

__all__ = ["pack_groups", "pack_terms"]

_OR = len(" OR ")
_EXACT_MAX_TERMS = 24
_EXACT_MAX_NODES = 200_000


def _key(clause: Clause) -> object:
    if isinstance(clause, Atom) and clause.kind in ("keyword", "phrase"):
        return ("text", tuple(words(clause.value)))
    if isinstance(clause, Atom) and clause.kind in ("mention", "from", "to", "hashtag", "cashtag"):
        return (clause.kind, fold(clause.value))
    return render_clause(clause)


def _or_size(clause: Clause) -> int:
    text = render_clause(clause)
    return len(text) + 2 if isinstance(clause, AllOf) else len(text)


def _ffd(sizes: Sequence[int], capacity: int) -> list[list[int]]:
    order = sorted(range(len(sizes)), key=lambda i: (-sizes[i], i))
    bins: list[list[int]] = []
    room: list[int] = []
    for i in order:
        for b, free in enumerate(room):
            if sizes[i] <= free:
                bins[b].append(i)
                room[b] -= sizes[i]
                break
        else:
            bins.append([i])
            room.append(capacity - sizes[i])
    return bins


def _exact(sizes: Sequence[int], capacity: int, bins: int) -> list[list[int]] | None:
    """A packing into ``bins`` bins, ``None`` if none exists or the search gave up."""
    order = sorted(range(len(sizes)), key=lambda i: (-sizes[i], i))
    room = [capacity] * bins
    content: list[list[int]] = [[] for _ in range(bins)]
    suffix = [0] * (len(order) + 1)
    for pos in range(len(order) - 1, -1, -1):
        suffix[pos] = suffix[pos + 1] + sizes[order[pos]]
    nodes = 0

    def place(pos: int) -> bool:
        nonlocal nodes
        nodes += 1
        if nodes > _EXACT_MAX_NODES:
            raise _GaveUpError
        if pos == len(order):
            return True
        if suffix[pos] > sum(room):
            return False
        item = order[pos]
        tried: set[int] = set()
        for b in range(bins):
            free = room[b]
            if free < sizes[item] or free in tried:
                continue
            tried.add(free)
            room[b] -= sizes[item]
            content[b].append(item)
            if place(pos + 1):
                return True
            content[b].pop()
            room[b] += sizes[item]
        return False

    try:
        return content if place(0) else None
    except _GaveUpError:
        return None


class _GaveUpError(Exception):
    pass


def _pack_indices(sizes: Sequence[int], capacity: int) -> list[list[int]]:
    """The fewest bins of ``capacity`` for ``sizes``; items over capacity go alone."""
    alone = [i for i, size in enumerate(sizes) if size > capacity]
    rest = [i for i, size in enumerate(sizes) if size <= capacity]
    rest_sizes = [sizes[i] for i in rest]
    packing = _ffd(rest_sizes, capacity)
    lower = math.ceil(sum(rest_sizes) / capacity) if rest_sizes else 0
    if len(packing) > lower and len(rest) <= _EXACT_MAX_TERMS:
        for count in range(lower, len(packing)):
            better = _exact(rest_sizes, capacity, count)
            if better is not None:
                packing = [b for b in better if b]
                break
    return [sorted(rest[i] for i in b) for b in packing] + [[i] for i in alone]


def _group(clauses: Sequence[Clause]) -> Clause | None:
    return any_of(clauses)


def pack_terms(
    terms: Iterable[str | Query],
    *,
    max_length: int = Query.RECENT_MAX_LENGTH,
    within: Query | None = None,
) -> list[Query]:
    """Combine ``terms`` into the fewest OR-queries no longer than ``max_length``.

    Use it to monitor a long list of brand names, nicknames and product
    keywords with as few search requests as possible::

        queries = pack_terms(
            ["acme", "acme corp", "@acme", "#acmefail", "roadrunner trap"],
            within=Query().exclude_retweets().lang("en"),
        )
        [q.render() for q in queries]
        # ['(acme OR "acme corp" OR @acme OR #acmefail OR "roadrunner trap")
        #   -is:retweet lang:en']

    Args:
        terms: keywords and phrases (strings become keywords or exact phrases as
            in :meth:`Query.terms`) or single-clause queries such as
            ``Query.mentioning("acme")``. Duplicates (case- and accent-insensitive)
            are dropped, first spelling kept.
        max_length: the endpoint's limit: 512 (recent search, the default),
            1,024 (full-archive) or 4,096 (Enterprise).
        within: clauses every packed query keeps, ANDed with the OR-group, for
            example ``Query().exclude_retweets()``.

    Returns:
        The packed queries, each valid for ``max_length``; terms keep their
        input order inside each query, and queries are ordered by their first term.

    Raises:
        QueryError: a term does not fit ``max_length`` even alone, or is not a
            positive clause that may stand in an OR group (``-spam``, ``has:links``).
    """
    return [query for query, _ in pack_groups(terms, max_length=max_length, within=within)]


def pack_groups(
    terms: Iterable[str | Query],
    *,
    max_length: int = Query.RECENT_MAX_LENGTH,
    within: Query | None = None,
) -> list[tuple[Query, tuple[int, ...]]]:
    """Like :func:`pack_terms`, and say which input terms each packed query serves.

    Returns:
        ``(query, indices)`` pairs in :func:`pack_terms`' order; ``indices`` are
        positions in ``terms`` (a duplicate goes with the query of its first spelling).

    Raises:
        QueryError: as :func:`pack_terms`.
    """
    clauses: list[Clause] = []
    owner: list[int] = []  # input term -> index of its clause
    seen: dict[object, int] = {}
    for term in terms:
        clause = _clause(term, where="pack_terms")
        key = _key(clause)
        if key not in seen:
            seen[key] = len(clauses)
            clauses.append(clause)
        owner.append(seen[key])
    if not clauses:
        return []
    base = within.clause if within is not None else None

    def build(group: Sequence[Clause]) -> Query:
        core = Query(_group(group))
        return core if base is None else core & Query(base)

    for clause in clauses:
        # Each term must be valid on its own (no bare negation) and fit alone.
        check(clause, max_length=None)
        try:
            build([clause]).render(max_length=max_length)
        except QueryError as exc:
            raise QueryError(
                f"pack_terms: {clip(render_clause(clause))} cannot be packed: {exc}"
            ) from None

    # "(group) base": the base, a space and the group's parentheses.
    overhead = 0 if base is None else len(render_clause(base)) + 3
    if isinstance(base, AnyOf):
        overhead += 2  # "(group) (a OR b)"
    capacity = max_length - overhead + _OR
    groups = _pack_indices([_or_size(c) + _OR for c in clauses], capacity)
    groups.sort(key=lambda g: g[0])
    out: list[tuple[Query, tuple[int, ...]]] = []
    for group in groups:
        query = build([clauses[i] for i in group])
        query.render(max_length=max_length)  # the size model guarantees it; verify anyway
        members = set(group)
        out.append((query, tuple(n for n, c in enumerate(owner) if c in members)))
    return out
