from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from query_support import POSTS, twcs_rows
from tests.conftest import shared_path

from socialcare.errors import QueryError
from socialcare.query import Query
from socialcare.query import _pack as pack_module
from socialcare.query._pack import pack_terms

VOCAB = st.sampled_from(
    [
        "acme",
        "acme corp",
        "roadrunner",
        "anvil",
        "rocket skates",
        "@acme",
        "@AcmeSupport",
        "#acmefail",
        "$ACME",
        "coyote",
        "giant magnet",
        "dynamite",
        "jet-propelled unicycle",
        "tornado seeds",
        "earthquake pills",
        "bird seed",
    ]
)


def partitions(items: list[int]) -> Iterator[list[list[int]]]:
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for smaller in partitions(rest):
        for i in range(len(smaller)):
            yield [*smaller[:i], [first, *smaller[i]], *smaller[i + 1 :]]
        yield [[first], *smaller]


def optimum(terms: list[str], max_length: int, within: Query | None) -> int:
    """The fewest queries, by trying every partition of the terms."""

    def fits(block: list[int]) -> bool:
        query = Query.any_of(*(terms[i] for i in block))
        if within is not None:
            query = query & within
        return len(str(query)) <= max_length

    return min(len(p) for p in partitions(list(range(len(terms)))) if all(fits(b) for b in p))


WITHIN = st.sampled_from(
    [
        None,
        Query().exclude_retweets(),
        Query().exclude_retweets().lang("en"),
        Query.any_of("a", "b"),
    ]
)


@given(
    terms=st.lists(VOCAB, min_size=1, max_size=7, unique=True),
    max_length=st.integers(min_value=40, max_value=120),
    within=WITHIN,
)
@settings(max_examples=150, deadline=None)
def test_pack_uses_the_fewest_queries(
    terms: list[str], max_length: int, within: Query | None
) -> None:
    try:
        packed = pack_terms(terms, max_length=max_length, within=within)
    except QueryError:
        # Only when some term cannot fit even alone.
        assert any(len(str(Query.terms(t) & (within or Query()))) > max_length for t in terms)
        return
    assert len(packed) == optimum(terms, max_length, within)
    for query in packed:
        assert len(query.render(max_length=max_length)) <= max_length


@given(terms=st.lists(VOCAB, min_size=1, max_size=12), post=POSTS)
def test_packed_queries_match_what_the_terms_match(terms: list[str], post) -> None:
    within = Query().exclude_retweets()
    packed = pack_terms(terms, max_length=60, within=within)
    one_by_one = any((Query.any_of(t) & within).matches(post) for t in terms)
    assert any(q.matches(post) for q in packed) == one_by_one


def test_every_term_lands_exactly_once_and_duplicates_go() -> None:
    terms = ["Acme", "acme", " acme ", "ACME corp", "acme  corp", "@acme", "@ACME", "#Acme"]
    packed = pack_terms(terms)
    assert [q.render() for q in packed] == ['Acme OR "ACME corp" OR @acme OR #Acme']


def test_pack_keeps_input_order_inside_each_query() -> None:
    packed = pack_terms(["bb", "a", "cccc", "dd"], max_length=14)
    assert [q.render() for q in packed] == ["bb OR cccc", "a OR dd"]


def test_pack_meets_the_lower_bound_on_realistic_vocabulary() -> None:
    rows = twcs_rows(shared_path("data", "twcs", "twcs_random_5000.csv"))
    brands = Counter(r["author_id"] for r in rows if not r["author_id"].isdigit())
    words = Counter(
        w.lower()
        for r in twcs_rows(shared_path("data", "twcs", "twcs_random_5000.csv"))
        for w in r["text"].split()
        if w.isalpha() and len(w) > 3
    )
    terms = [f"@{b}" for b in brands] + [w for w, _ in words.most_common(300)]
    for max_length, within in [(512, None), (512, Query().exclude_retweets()), (1024, None)]:
        packed = pack_terms(terms, max_length=max_length, within=within)
        overhead = 0 if within is None else len(str(within)) + 3
        sizes = sum(len(str(Query.terms(t))) + 4 for t in dict.fromkeys(terms))
        lower = math.ceil(sizes / (max_length - overhead + 4))
        assert len(packed) == lower
        rendered = [t for q in packed for t in str(q.clause).split()]
        assert len(packed) > 1
        assert all(len(q.render(max_length=max_length)) <= max_length for q in packed)
        assert rendered


def test_pack_errors() -> None:
    assert pack_terms([]) == []
    with pytest.raises(QueryError, match="cannot be packed"):
        pack_terms(["a" * 600])
    with pytest.raises(QueryError, match="no positive"):
        pack_terms([~Query.terms("spam")])
    with pytest.raises(QueryError, match="cannot be packed"):
        pack_terms(["x" * 505], within=Query().exclude_retweets())


def test_pack_accepts_queries_as_terms() -> None:
    packed = pack_terms(
        [Query.mentioning("acme"), Query.terms("acme", "help"), Query.any_of("x", "y")],
        within=Query().lang("en"),
    )
    assert [q.render() for q in packed] == ["(@acme OR (acme help) OR x OR y) lang:en"]


def test_exact_search_beats_first_fit_decreasing() -> None:
    # Sizes 14, 9, 10, 7, 9, 7 (term + " OR ") into 28: FFD needs 3 queries, 2 suffice.
    terms = ["aaaaaaaaaa", "bbbbb", "cccccc", "ddd", "eeeee", "fff"]
    packed = pack_terms(terms, max_length=24)
    assert [q.render(max_length=24) for q in packed] == [
        "aaaaaaaaaa OR ddd OR fff",
        "bbbbb OR cccccc OR eeeee",
    ]


def test_exact_search_gives_up_gracefully(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pack_module, "_EXACT_MAX_NODES", 3)
    terms = ["aaaaaaaaaa", "bbbbb", "cccccc", "ddd", "eeeee", "fff"]
    packed = pack_terms(terms, max_length=24)
    assert len(packed) == 3  # first-fit decreasing's answer, still valid
    assert all(len(q.render(max_length=24)) <= 24 for q in packed)


def test_query_pack_is_pack_terms() -> None:
    terms = [f"brand{i}" for i in range(200)] + ["@acme", "#acmefail", "acme corp"]
    within = Query().exclude_retweets()
    packed = Query.pack(terms, within=within)
    assert packed == pack_terms(terms, within=within)
    assert len(packed) > 1
    assert all(len(q.render()) <= Query.RECENT_MAX_LENGTH for q in packed)
    assert Query.pack(terms, max_length=Query.FULL_ARCHIVE_MAX_LENGTH) == pack_terms(
        terms, max_length=1024
    )
    with pytest.raises(QueryError, match="cannot be packed"):
        Query.pack(["a" * 600])
