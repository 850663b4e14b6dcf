from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from query_support import POSTS, QUERIES, make_post, twcs_post, twcs_rows
from tests.conftest import shared_path

from socialcare.errors import QueryError
from socialcare.models import Post, User
from socialcare.query import PostView, Query
from socialcare.query._set import QuerySet, _KeyCache, _residual, requirements
from socialcare.query._syntax import render_clause

USERS = {
    "100": User(id="100", username="acme", name="Acme", verified=True),
    "200": User(id="200", username="AcmeSupport", name="Acme Support"),
    "12345": User(id="12345", username="jane", name="Jane"),
}


def naive(rules: dict[str, Query], post: Post, users=USERS) -> list[str]:
    return [name for name, query in rules.items() if query.matches(post, users=users)]


@given(rules=st.lists(QUERIES, min_size=1, max_size=12), posts=st.lists(POSTS, max_size=6))
@settings(max_examples=300, deadline=None)
def test_compiled_matching_equals_naive_evaluation(rules, posts) -> None:
    named = {f"r{i}": q for i, q in enumerate(rules)}
    compiled = QuerySet(named)
    for post in posts:
        assert compiled.matching(post, users=USERS) == naive(named, post)
        assert compiled.matching(post) == naive(named, post, users=None)


def test_matching_examples() -> None:
    rules = QuerySet(
        {
            "outage": Query.mentioning("acme").any_of("down", "outage"),
            "refunds": Query.terms("acme", "refund").exclude_retweets(),
            "emoji": Query.terms("😡").from_("jane"),
            "thread": "conversation_id:42",
            "links": Query.url("acme.com").has_links(),
        }
    )
    assert rules.matching(make_post("@acme is down again")) == ["outage"]
    assert rules.matching(make_post("@acme refund please, down!")) == ["outage", "refunds"]
    assert rules.matching(make_post("acme refund", retweet_of="9")) == []
    assert rules.matching(make_post("acmerefund down")) == []
    assert rules.matching(make_post("so angry😡", author_id="12345"), users=USERS) == ["emoji"]
    assert rules.matching(make_post("so angry😡", author_id="12345")) == []
    assert rules.matching(make_post("x", conversation_id="42")) == ["thread"]
    assert rules.matching(
        make_post("see https://t.co/a", expanded={"https://t.co/a": "https://acme.com/x"})
    ) == ["links"]


def test_a_queryset_is_an_immutable_mapping() -> None:
    rules = QuerySet({"a": "acme", "b": Query.terms("bob")})
    assert len(rules) == 2
    assert list(rules) == ["a", "b"]
    assert rules["a"] == Query.terms("acme")
    assert "b" in rules
    assert repr(rules) == "QuerySet(2 rules)"
    assert QuerySet({}).matching(make_post("x")) == []


def test_bad_rules_are_named() -> None:
    with pytest.raises(QueryError, match=r"rule 'spam': .*no positive"):
        QuerySet({"ok": "acme", "spam": "-spam"})
    with pytest.raises(QueryError, match=r"rule 'geo': .*cannot be evaluated locally"):
        QuerySet({"geo": "acme has:geo"})
    with pytest.raises(QueryError, match="rule 'empty'"):
        QuerySet({"empty": Query()})


def test_requirements_of_clauses() -> None:
    def needs(query: Query) -> set[frozenset[str]]:
        assert query.clause is not None
        return set(requirements(query.clause))

    assert needs(Query.terms("is").mentioning("AcmeSupport").exclude_retweets()) == {
        frozenset({"is"}),
        frozenset({"@acmesupport"}),
    }
    assert needs(Query.any_of("outage", Query.hashtag("Down"))) == {frozenset({"outage", "#down"})}
    assert needs(Query.phrase("can't log in")) == {
        frozenset({"can"}),
        frozenset({"t"}),
        frozenset({"log"}),
        frozenset({"in"}),
    }
    assert needs(Query.from_("Bob").to("123").lang("EN").has_links().is_reply()) == {
        frozenset({"from:bob"}),
        frozenset({"to:123"}),
    }
    assert needs(Query.conversation_id(42).in_reply_to(7)) == {
        frozenset({"conversation_id:42"}),
        frozenset({"in_reply_to_tweet_id:7"}),
    }
    # An OR branch without requirements makes the whole group unconstrained.
    assert needs(Query.terms("a") | (Query.terms("b") & ~Query.terms("c"))) == {
        frozenset({"a", "b"})
    }
    assert needs(Query.url("acme.com/help")) == {
        frozenset({"url:acme"}),
        frozenset({"url:com"}),
        frozenset({"url:help"}),
    }


def test_reference_and_link_keys() -> None:
    rules = QuerySet(
        {
            "a": "acme -is:nullcast",
            "quotes": "quotes_of_tweet_id:7",
            "reposts": "retweets_of_tweet_id:8 acme",
            "replies": "in_reply_to_tweet_id:9",
            "link": 'url:"acme.com/help" is:reply',
            "lang": "acme lang:fr",
        }
    )
    assert rules.matching(make_post("acme", quote_of="7")) == ["a", "quotes"]
    assert rules.matching(make_post("acme", retweet_of="8")) == ["a", "reposts"]
    assert rules.matching(make_post("acme", lang="fr", reply_to=("9", "1"))) == [
        "a",
        "replies",
        "lang",
    ]
    linked = make_post(
        "see https://t.co/x",
        reply_to=("1", "2"),
        expanded={"https://t.co/x": "https://acme.com/help"},
    )
    # Keywords match inside expanded links too: "acme" is in acme.com.
    assert rules.matching(linked) == ["a", "link"]


def test_twcs_rules_agree_with_naive_evaluation() -> None:
    rows = list(twcs_rows(shared_path("data", "twcs", "twcs_random_5000.csv")))
    posts = [twcs_post(row) for row in rows[:2000]]
    brands = [b for b, _ in Counter(r["author_id"] for r in rows).most_common() if not b.isdigit()]
    words = [
        w
        for w, n in Counter(
            t for r in rows for t in r["text"].lower().split() if t.isalpha()
        ).most_common(400)
        if n > 3
    ]
    rng = random.Random(6)
    rules: dict[str, Query] = {}
    for i in range(300):
        brand = rng.choice(brands)
        base = Query.any_of(Query.mentioning(brand), brand.lower())
        rules[f"rule{i}"] = (
            base.any_of(*rng.sample(words, 3)).exclude_retweets()
            if i % 3
            else base.none_of(rng.choice(words))
        )
    compiled = QuerySet(rules)
    matched = 0
    for post in posts:
        view = PostView(post)
        expected = [name for name, q in rules.items() if q.matches(view)]
        assert compiled.matching(post) == expected
        matched += bool(expected)
    assert matched > 100


def test_entity_key_memos_stay_bounded_and_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_KeyCache, "limit", 8)
    rules = QuerySet(
        {
            "mention": Query.mentioning("acme7").any_of("late", "down"),
            "tag": Query.hashtag("Fail3"),
            "cash": Query.cashtag("ACF"),
            "from": Query.from_("jane").terms("order"),
            "to": Query.to("acme").terms("help"),
        }
    )
    users = {str(i): User(id=str(i), username=f"User{i}", name="U") for i in range(100)}
    users["12345"] = USERS["12345"]
    users["100"] = USERS["100"]
    for i in range(100):
        posts = [
            make_post(f"@Acme{i} late #fail{i} $AC{chr(65 + i % 26)}", author_id=str(i)),
            make_post(f"@ACME{i} order help", author_id="12345"),
            make_post(f"@acme{i} help", author_id=str(i), reply_to=("9", "100")),
        ]
        for post in posts:
            assert rules.matching(post, users=users) == naive(rules, post, users)
        memos = [m for m in vars(rules).values() if isinstance(m, _KeyCache)]
        assert len(memos) == 7
        assert all(len(memo) <= 8 for memo in memos)
    assert rules.matching(make_post("@acme7 late #fail3 $acf")) == ["mention", "tag", "cash"]


@pytest.mark.parametrize(
    ("rule", "left"),
    [
        ("acme refund", None),
        ("@acme (late OR down) #fail $ACME from:jane to:acme", None),
        ("@acme (late OR down) -is:retweet", "-is:retweet"),
        ('from:acme (dm OR "direct message")', 'dm OR "direct message"'),
        ('@acme "not working"', '"not working"'),
        ("coca-cola lang:en", "coca-cola lang:en"),
        ("acme OR (refund late)", "acme OR (refund late)"),
        ("conversation_id:42 acme", "conversation_id:42"),
    ],
)
def test_only_what_the_requirements_leave_open_is_evaluated(rule: str, left: str | None) -> None:
    clause = Query.parse(rule).clause
    assert clause is not None
    residual = _residual(clause)
    assert (None if residual is None else render_clause(residual)) == left
