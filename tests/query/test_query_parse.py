from __future__ import annotations

import pytest
from hypothesis import given, settings
from query_support import QUERIES

from socialcare.errors import QueryError
from socialcare.query import AllOf, AnyOf, Atom, Negated, Query

K = lambda w: Atom("keyword", w)  # noqa: E731


@given(QUERIES)
@settings(max_examples=400)
def test_parse_inverts_render(query: Query) -> None:
    text = query.render(max_length=None)
    assert Query.parse(text) == query
    assert Query.parse(text).render(max_length=None) == text


@pytest.mark.parametrize(
    ("text", "clause"),
    [
        # X documents AND binding tighter than OR.
        ("apple OR iphone ipad", AnyOf((K("apple"), AllOf((K("iphone"), K("ipad")))))),
        ("ipad iphone OR android", AnyOf((AllOf((K("ipad"), K("iphone"))), K("android")))),
        ("(apple OR iphone) ipad", AllOf((AnyOf((K("apple"), K("iphone"))), K("ipad")))),
        ("((a))", K("a")),
        ("a (b c)", AllOf((K("a"), K("b"), K("c")))),
        ("a OR (b OR c)", AnyOf((K("a"), K("b"), K("c")))),
        ("cat -grumpy", AllOf((K("cat"), Negated(K("grumpy"))))),
        ("coca-cola", K("coca-cola")),
        ("or and", AllOf((K("or"), K("and")))),
        ('"OR"', Atom("phrase", "OR")),
        ('-"recent search" x', AllOf((Negated(Atom("phrase", "recent search")), K("x")))),
        ("@XDevelopers", Atom("mention", "XDevelopers")),
        ("#thankunext", Atom("hashtag", "thankunext")),
        ("$twtr", Atom("cashtag", "twtr")),
        ('url:"https://developer.twitter.com"', Atom("url", "https://developer.twitter.com")),
        ("url:https://t.co", Atom("url", "https://t.co")),
        ("in_reply_to_status_id:15393", Atom("in_reply_to_tweet_id", "15393")),
        ("quotes_of_status_id:1", Atom("quotes_of_tweet_id", "1")),
        ("FROM:bob", Atom("from", "bob")),
        ('entity:"Michael Jordan"', Atom("entity", "Michael Jordan")),
        ("context:10.799022225751871488", Atom("context", "10.799022225751871488")),
        ("😃", K("😃")),
    ],
)
def test_parse_examples(text: str, clause: object) -> None:
    assert Query.parse(text).clause == clause


def test_parse_x_documentation_examples() -> None:
    for text in [
        '"X data" has:mentions (has:media OR has:links)',
        "(grumpy cat) OR (#meme has:images)",
        "(happy OR happiness) place_country:GB -birthday -is:retweet",
        "has:geo (from:NWSNHC OR from:NHC_Atlantic OR from:NWSHouston) -is:retweet",
        (
            "context:65.852262932607926273 -context:66.852262932607926273 -is:retweet has:images "
            "lang:ja"
        ),
        "conversation_id:1334987486343299072 (from:XDevelopers OR from:api)",
        '("X API" OR #v2) -"recent search"',
        "$twtr OR @XDevelopers -$fb",
        '"mobile games" -is:nullcast',
    ]:
        query = Query.parse(text)
        assert Query.parse(query.render()) == query


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty query"),
        ("   ", "empty query"),
        ('"abc', "unbalanced quotes"),
        ('url:"abc', "unbalanced quotes"),
        ("(a", "unbalanced parentheses"),
        ("a)", "unbalanced parentheses"),
        ("()", "empty group"),
        ("a OR", "ends where a clause was expected"),
        ("OR a", "OR at position 0"),
        ("a OR OR b", "OR at position 5"),
        ("(a OR)", "empty group or OR branch"),
        ("-(a OR b)", "negating a group"),
        ("x - y", "negates nothing"),
        ("x --y", "double negation"),
        ("foo:bar", "unknown operator 'foo:'"),
        ("from:", "invalid from"),
        ("is:bogus x", "unknown operator is:bogus"),
        ("-is:retweet", "no positive"),
        ("has:links OR is:retweet", "every OR branch"),
        ("is:nullcast x", "must be negated"),
        ("@", "invalid username"),
        ("#", "invalid hashtag"),
        ("x @bad-name", "position 2"),
    ],
)
def test_parse_rejects_invalid_queries(text: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        Query.parse(text)


def test_parse_checks_length_only_when_asked() -> None:
    text = " OR ".join(f"word{i}" for i in range(120))
    assert len(Query.parse(text).render(max_length=None)) == len(text)
    with pytest.raises(QueryError, match="1024-character limit"):
        Query.parse(text, max_length=Query.FULL_ARCHIVE_MAX_LENGTH)


# -- deep nesting, invalid Unicode, bounded messages -------------------------------------------


def _alternating(levels: int) -> str:
    text = "a"
    for i in range(levels):
        text = f"x{i} ({text} OR y{i})"
    return text


@pytest.mark.parametrize("depth", [330, 1000, 2045])
def test_redundant_parentheses_nest_as_deep_as_the_text_allows(depth: int) -> None:
    text = "(" * depth + "acme" + ")" * depth
    assert len(text) <= Query.ENTERPRISE_MAX_LENGTH
    assert Query.parse(text, max_length=Query.ENTERPRISE_MAX_LENGTH) == Query.parse("acme")
    with pytest.raises(QueryError, match="never closed"):
        Query.parse("(" * depth + "acme" + ")" * (depth - 1))
    with pytest.raises(QueryError, match="closes nothing"):
        Query.parse("(" * depth + "acme" + ")" * (depth + 1))


def test_deep_alternating_groups_parse_or_raise_query_error() -> None:
    # 45 AND-in-OR levels (90 groups deep) parse, render and match.
    query = Query.parse(_alternating(45))
    assert Query.parse(query.render(max_length=None)) == query
    # Deeper ones, anywhere up to the Enterprise length limit, are a QueryError.
    for levels in (60, 200, 250):
        text = _alternating(levels)
        assert len(text) <= Query.ENTERPRISE_MAX_LENGTH
        with pytest.raises(QueryError, match="levels deep"):
            Query.parse(text)
    chain = "a" + " (b OR c" * 450 + ")" * 450  # 4,051 characters
    with pytest.raises(QueryError, match="levels deep"):
        Query.parse(chain)
    assert len(chain) <= Query.ENTERPRISE_MAX_LENGTH


@pytest.mark.parametrize(("text", "position"), [("\ud800", 0), ("acme OR \udfff", 8)])
def test_lone_surrogates_are_query_errors_with_the_position(text: str, position: int) -> None:
    with pytest.raises(QueryError, match=f"position {position}"):
        Query.parse(text)
    with pytest.raises(QueryError, match="surrogate"):
        Query.terms("ok" + text)


def test_error_messages_clip_huge_values() -> None:
    huge = "x" * 2_000_000
    for text in (f"{huge}:v", f"from:{huge}", f'"{huge}\t"', f"#{huge}!", f"-is:{huge}"):
        with pytest.raises(QueryError) as info:
            Query.parse(text)
        assert len(str(info.value)) < 500
