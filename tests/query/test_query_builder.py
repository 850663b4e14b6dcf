from __future__ import annotations

import inspect

import pytest

from socialcare.errors import QueryError
from socialcare.query import AllOf, AnyOf, Atom, Negated, Query


def test_fluent_chain_renders_x_syntax() -> None:
    q = (
        Query.terms("acme")
        .any_of("outage", "down", "not working")
        .from_("@bob")
        .none_of("giveaway")
        .exclude_retweets()
        .lang("en")
    )
    assert q.render() == (
        'acme (outage OR down OR "not working") from:bob -giveaway -is:retweet lang:en'
    )


def test_builder_methods_start_from_the_class_or_extend_an_instance() -> None:
    assert Query.mentioning("acme") == Query().mentioning("acme")
    assert Query.mentioning("acme").terms("help").render() == "@acme help"


def test_queries_are_immutable_values() -> None:
    base = Query.terms("acme")
    extended = base.terms("refund")
    assert base.render() == "acme"
    assert extended.render() == "acme refund"
    assert hash(Query.terms("acme")) == hash(base)
    with pytest.raises(AttributeError):
        base.clause = None  # type: ignore[misc]


def test_terms_quote_what_x_cannot_read_bare() -> None:
    q = Query.terms("coca-cola", "wifi", "AND", "OR", "ios 11")
    assert q.render() == '"coca-cola" wifi "AND" "OR" "ios 11"'


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (Query.hashtag("#AcmeFail", "outage"), "#AcmeFail OR #outage"),
        (Query.cashtag("$ACME"), "$ACME"),
        (Query.to("acme").is_reply(), "to:acme is:reply"),
        (Query.terms("x").is_reply(False), "x -is:reply"),
        (Query.terms("x").is_quote(), "x is:quote"),
        (Query.terms("x").is_retweet(), "x is:retweet"),
        (Query.terms("x").has_links().has_mentions(False), "x has:links -has:mentions"),
        (Query.terms("x").has_hashtags(), "x has:hashtags"),
        (Query.conversation_id(1334987486343299072), "conversation_id:1334987486343299072"),
        (Query.in_reply_to("1539382664746020864"), "in_reply_to_tweet_id:1539382664746020864"),
        (Query.url("acme.com"), 'url:"acme.com"'),
        (Query.url("developer"), "url:developer"),
        (Query.from_("a", "b").not_from("acme"), "(from:a OR from:b) -from:acme"),
        (Query.from_(783214).to(12), "from:783214 to:12"),
        (Query.phrase("not working", "help me"), '"not working" "help me"'),
        (Query.terms("a").lang("en", "fr"), "a (lang:en OR lang:fr)"),
    ],
)
def test_operators_render(query: Query, expected: str) -> None:
    assert query.render() == expected


def test_any_of_accepts_queries_and_nests_groups() -> None:
    q = Query.any_of(Query.mentioning("acme"), Query.terms("acme", "support"), "acmecorp")
    assert q.render() == "@acme OR (acme support) OR acmecorp"
    assert isinstance(q.clause, AnyOf)
    nested = Query.terms("broken").any_of(q)
    assert nested.render() == "broken (@acme OR (acme support) OR acmecorp)"


def test_operators_combine_queries() -> None:
    a, b = Query.terms("acme"), Query.mentioning("acme")
    assert (a | b).render() == "acme OR @acme"
    assert (a & b).render() == "acme @acme"
    assert (a & Query()).render() == "acme"
    assert (a & ~Query.terms("spam")).render() == "acme -spam"
    assert ~~Query.terms("spam") == Query.terms("spam")


def test_canonical_form_flattens_groups() -> None:
    q = Query.terms("a") & (Query.terms("b") & Query.terms("c"))
    assert q.clause == AllOf((Atom("keyword", "a"), Atom("keyword", "b"), Atom("keyword", "c")))
    r = (Query.terms("a") | Query.terms("b")) | Query.terms("c")
    assert r.clause == AnyOf((Atom("keyword", "a"), Atom("keyword", "b"), Atom("keyword", "c")))


def test_none_of_negates_each_term() -> None:
    q = Query.terms("acme").none_of("giveaway", "contest", Query.from_("acme"))
    assert q.render() == "acme -giveaway -contest -from:acme"
    assert isinstance(q.clause, AllOf)
    assert all(isinstance(c, Negated) for c in q.clause.clauses[1:])


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (Query.any_of, "empty group"),
        (Query.none_of, "at least one"),
        (Query.terms, "at least one"),
        (Query.from_, "at least one"),
        (lambda: Query.terms(""), "empty"),
        (lambda: Query.terms("!!!"), "no searchable"),
        (lambda: Query.phrase('say "hi"'), "double quote"),
        (lambda: Query.mentioning("not a user"), "invalid username"),
        (lambda: Query.from_("bob smith"), "invalid from"),
        (lambda: Query.conversation_id("abc"), "numeric"),
        (lambda: Query.lang("english!"), "BCP 47"),
        (lambda: Query.hashtag("123"), "not all digits"),
        (lambda: Query.cashtag("1abc"), "invalid cashtag"),
        (lambda: Query.none_of(Query.any_of("a", "b")), "negating"),
        (lambda: ~Query.any_of("a", "b"), "negating"),
        (lambda: ~Query(), "empty"),
        (lambda: Query.terms("a") | Query(), "empty"),
        (lambda: Query.any_of(Query()), "empty Query"),
        (lambda: Query.any_of(3), "expected a str or a Query"),  # type: ignore[arg-type]
        (lambda: Query.terms(3), "expected text, got int"),  # type: ignore[arg-type]
        (lambda: Query.hashtag(None), "expected a string value"),  # type: ignore[arg-type]
    ],
)
def test_builder_rejects_bad_input_with_a_clear_error(build, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        build()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (Query(), "empty query"),
        (Query.none_of("spam"), "no positive"),
        (Query.terms("x").exclude_retweets() & Query(), None),
        (Query().exclude_retweets(), "no positive"),
        (Query().has_links().lang("en"), "no positive"),
        (Query.terms("cat") | Query().has_links(), "every OR branch"),
        (Query.terms("cat") | Query.none_of("dog"), "every OR branch"),
    ],
)
def test_render_rejects_what_x_rejects(query: Query, message: str | None) -> None:
    if message is None:
        assert query.render() == "x -is:retweet"
        return
    with pytest.raises(QueryError, match=message):
        query.render()


def test_conjunction_required_operators_are_fine_next_to_a_standalone_one() -> None:
    q = Query.phrase("X data").has_mentions().any_of(Query().has_links(), "media")
    assert q.render() == '"X data" has:mentions (has:links OR media)'


def test_length_limit_per_tier() -> None:
    words = [f"keyword{i}" for i in range(60)]
    q = Query.any_of(*words)
    text = str(q)
    assert 512 < len(text) <= 1024
    with pytest.raises(QueryError, match=r"over the 512-character limit"):
        q.render()
    assert q.render(max_length=Query.FULL_ARCHIVE_MAX_LENGTH) == text
    assert q.render(max_length=None) == text
    exact = Query.terms("a" * 512)
    assert len(exact.render()) == 512
    with pytest.raises(QueryError, match="513 characters"):
        Query.terms("a" * 513).render()


def test_str_and_repr_never_raise_and_show_the_query() -> None:
    q = Query.none_of("spam")
    assert str(q) == "-spam"
    assert repr(q) == "Query.parse('-spam')"
    assert repr(Query()) == "Query()"
    assert str(Query()) == ""


def test_atom_of_accepts_sigils_and_aliases() -> None:
    assert Atom.of("mention", "@acme") == Atom("mention", "acme")
    assert Atom.of("has", "videos") == Atom("has", "video_link")
    assert Atom.of("is", "Reply") == Atom("is", "reply")
    assert Atom.of("hashtag", "#café").render() == "#café"
    with pytest.raises(QueryError, match="written 'acme'"):
        Atom("mention", "@acme")
    with pytest.raises(QueryError, match="unknown operator kind"):
        Atom.of("nope", "x")  # type: ignore[arg-type]


def test_groups_must_hold_two_clauses() -> None:
    with pytest.raises(QueryError, match="empty group"):
        AnyOf(())
    with pytest.raises(QueryError, match="flatten"):
        AllOf((AllOf((Atom("keyword", "a"), Atom("keyword", "b"))), Atom("keyword", "c")))


def test_operators_refuse_other_types() -> None:
    with pytest.raises(TypeError):
        Query.terms("a") & "b"  # type: ignore[operator]
    with pytest.raises(TypeError):
        Query.terms("a") | "b"  # type: ignore[operator]
    with pytest.raises(QueryError, match="at least one phrase"):
        Query.phrase()


def test_double_negation_is_refused_in_groups() -> None:
    with pytest.raises(QueryError, match="double negation"):
        Query.none_of(Query.none_of("spam"))


def test_builder_methods_show_their_signature_and_docs() -> None:

    for method in (Query.terms, Query().any_of, Query.terms("a").exclude_retweets):
        assert "self" not in inspect.signature(method).parameters
        assert method.__doc__
    assert list(inspect.signature(Query.from_).parameters) == ["users"]


@pytest.mark.parametrize("value", ['0"', '"0', 'a"b', '"'])
def test_free_text_operators_refuse_any_double_quote(value: str) -> None:
    # '0"' once passed (the quote matched the pattern's one required non-space character)
    # and rendered as url:"0"", which X would read differently.
    with pytest.raises(QueryError, match="without double quotes"):
        Query.url(value)
    for operator in ("url", "entity", "place"):  # parsed, a stray quote is an error too
        with pytest.raises(QueryError):
            Query.parse(f"{operator}:{value}")
