from __future__ import annotations

import re

import pytest
from hypothesis import given
from query_support import POSITIVE, POSTS, QUERIES, make_post, twcs_post, twcs_rows
from tests.conftest import shared_path

from socialcare.errors import QueryError
from socialcare.models import Entities, Post, UrlEntity, User
from socialcare.query import Atom, PostView, Query

USERS = {
    "100": User(id="100", username="Jane_Doe", name="Jane", verified=True),
    "200": User(id="200", username="AcmeSupport", name="Acme Support"),
}


def matches(text: str, query: str, **kwargs: object) -> bool:
    return Query.parse(query).matches(make_post(text, **kwargs), users=USERS)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "query", "expected"),
    [
        # Keywords: tokenized, case- and accent-insensitive.
        ("My ACME order is late", "acme", True),
        ("I like coca-cola", "cola", True),
        ("acmecorp is late", "acme", False),
        ("Diacritica", "Diacrítica", True),
        ("Diacrítica rocks", "diacritica", True),
        ("Straße", "strasse", True),
        ("love it 😃!", "😃", True),
        ("love it", "😃", False),
        ("#acme is down", "acme", True),
        ("don't", "don", True),
        # Phrases: consecutive tokens, punctuation as whitespace.
        ("It is not working again", '"not working"', True),
        ("working, not really", '"not working"', False),
        ("I like Coca-Cola", '"coca cola"', True),
        ("I like coca cola", '"coca-cola"', True),
        ("coca and cola", '"coca cola"', False),
        ("coca-cola", "coca-cola", True),
        # AND / OR / NOT, AND binding tighter than OR.
        ("apple", "apple OR iphone ipad", True),
        ("iphone", "apple OR iphone ipad", False),
        ("iphone ipad", "apple OR iphone ipad", True),
        ("apple", "(apple OR iphone) ipad", False),
        ("cat", "cat -grumpy", True),
        ("grumpy cat", "cat -grumpy", False),
        ("cat", 'cat -"grumpy cat"', True),
        # Groups of single words (evaluated as one set operation) and mixed groups.
        ("my order is late", "(refund OR cancel OR late) order", True),
        ("my order is on time", "(refund OR cancel OR late) order", False),
        ("refund, cancel: late!", "refund cancel late", True),
        ("refund late", "refund cancel late", False),
        ("I like coca cola", '(pepsi OR "coca cola" OR sprite OR fanta)', True),
        ("I like cola coca", '(pepsi OR "coca cola" OR sprite OR fanta)', False),
        ("fanta", '(pepsi OR "coca cola" OR sprite OR fanta)', True),
        ("late again", '(late OR "late") ("again" OR -never)', True),
        ("late", '"late" ("again" OR -never)', True),
        ("late never", '"late" ("again" OR -never)', False),
        # Entities.
        ("so #AcmeFail today", "#acmefail", True),
        ("so #AcmeFailure today", "#acmefail", False),
        ("un #Café", "#cafe", True),
        ("un #cafe", "#CAFÉ", True),
        ("so acmefail today", "#acmefail", False),
        ("@AcmeSupport help", "@acmesupport", True),
        ("acmesupport help", "@acmesupport", False),
        ("buy $ACME now", "$acme", True),
        ("buy ACME now", "$acme", False),
        ("hi @acme", "has:mentions hi", True),
        ("hi acme", "has:mentions hi", False),
        ("#x hi", "has:hashtags hi", True),
        ("$X hi", "has:cashtags hi", True),
        ("see https://t.co/abc", "see has:links", True),
        ("see nothing", "see has:links", False),
        ("see https://t.co/abc", 'url:"t.co"', True),
        ("see https://t.co/abc", "url:abc", True),
        ("see https://t.co/abc", "url:abd", False),
    ],
)
def test_x_semantics(text: str, query: str, expected: bool) -> None:
    assert matches(text, query) is expected


def test_url_matches_expanded_links() -> None:
    post = make_post(
        "check https://t.co/c0A36SWil4",
        expanded={"https://t.co/c0A36SWil4": "https://developer.twitter.com/en/labs"},
    )
    assert Query.parse('url:"https://developer.twitter.com"').matches(post)
    assert Query.parse('url:"/en/labs"').matches(post)
    assert Query.parse('url:"https://t.co"').matches(post)
    assert not Query.parse('url:"developer.x.com"').matches(post)
    # Keywords match the links' expanded form as well (X: "URLs and unwound URLs").
    assert Query.parse("labs").matches(post)
    assert Query.parse('"developer twitter com"').matches(post)
    assert not Query.parse("labs").matches(make_post("check https://t.co/c0A36SWil4"))


def test_user_operators_match_ids_and_usernames() -> None:
    post = make_post("help", author_id="100", reply_to=("9", "200"))
    assert Query.parse("from:100").matches(post)
    assert Query.parse("from:jane_doe").matches(post, users=USERS)
    assert not Query.parse("from:jane_doe").matches(post)  # username unknown without users
    assert not Query.parse("from:AcmeSupport").matches(post, users=USERS)
    assert Query.parse("to:acmesupport").matches(post, users=USERS)
    assert Query.parse("to:200").matches(post)
    assert not Query.parse("to:100").matches(post)
    assert not Query.parse("to:acme").matches(make_post("x"), users=USERS)
    assert not Query.parse("from:x").matches(make_post("x", author_id=None), users=USERS)
    assert Query.parse("help is:verified").matches(post, users=USERS)
    assert not Query.parse("help is:verified").matches(post)
    other = make_post("help", author_id="200")
    assert not Query.parse("help is:verified").matches(other, users=USERS)


def test_post_type_and_reference_operators() -> None:
    reply = make_post("x", id="5", reply_to=("4", "200"), conversation_id="1")
    quote = make_post("x", quote_of="7")
    repost = make_post("x", retweet_of="8")
    plain = make_post("x")
    assert [Query.parse("x is:reply").matches(p) for p in (reply, quote, repost, plain)] == [
        True,
        False,
        False,
        False,
    ]
    assert [Query.parse("x is:quote").matches(p) for p in (reply, quote, repost, plain)] == [
        False,
        True,
        False,
        False,
    ]
    assert [Query.parse("x -is:retweet").matches(p) for p in (reply, quote, repost, plain)] == [
        True,
        True,
        False,
        True,
    ]
    assert Query.parse("conversation_id:1").matches(reply)
    assert not Query.parse("conversation_id:4").matches(reply)
    assert Query.parse("in_reply_to_tweet_id:4").matches(reply)
    assert Query.parse("in_reply_to_status_id:4").matches(reply)
    assert not Query.parse("in_reply_to_tweet_id:5").matches(reply)
    assert Query.parse("quotes_of_tweet_id:7").matches(quote)
    assert Query.parse("retweets_of_tweet_id:8").matches(repost)
    assert Query.parse("x -is:nullcast").matches(plain)


def test_lang_and_media() -> None:
    post = Post(
        id="1",
        text="photo https://t.co/p",
        lang="EN",
        entities=Entities(urls=(UrlEntity(6, 20, "https://t.co/p", media_key="3_1"),)),
    )
    assert Query.parse("photo lang:en").matches(post)
    assert not Query.parse("photo lang:fr").matches(post)
    assert not Query.parse("photo lang:en").matches(make_post("photo", lang=None))
    assert Query.parse("photo has:media").matches(post)
    assert not Query.parse("see has:media").matches(make_post("see https://t.co/x"))


def test_long_posts_match_their_full_text_and_entities() -> None:
    post = Post(
        id="1",
        text="truncated…",
        note_text="truncated text that finally says #refund please",
        note_entities=Entities(hashtags=()),
    )
    assert Query.parse('"finally says"').matches(post)
    assert not Query.parse("#refund").matches(post)  # not an entity: X would not match either
    assert not Query.parse("truncated…").matches(make_post("other"))


@pytest.mark.parametrize(
    "query",
    ["acme list:123", "acme place:seattle", "acme has:images", "acme has:geo", "retweets_of:x"],
)
def test_operators_needing_missing_data_refuse_to_guess(query: str) -> None:
    with pytest.raises(QueryError, match="cannot be evaluated locally"):
        Query.parse(query).matches(make_post("acme"))


def test_empty_query_matches_nothing_loudly() -> None:
    with pytest.raises(QueryError, match="empty Query"):
        Query().matches(make_post("x"))


def test_a_prepared_view_gives_the_same_answer() -> None:
    post = make_post("@AcmeSupport my order is late #fail", author_id="100")
    view = PostView(post, USERS)
    for text in ["@acmesupport late", "#fail OR refund", "from:jane_doe order", "late -order"]:
        query = Query.parse(text)
        assert query.matches(view) == query.matches(post, users=USERS)
    with pytest.raises(QueryError, match="pass users to PostView"):
        Query.parse("late").matches(view, users={})


@given(left=QUERIES, right=QUERIES, post=POSTS)
def test_boolean_operators_compose(left: Query, right: Query, post: Post) -> None:
    a, b = left.matches(post, users=USERS), right.matches(post, users=USERS)
    assert (left & right).matches(post, users=USERS) == (a and b)
    assert (left | right).matches(post, users=USERS) == (a or b)


@given(atom=POSITIVE, post=POSTS)
def test_negation_is_the_complement(atom: Atom, post: Post) -> None:
    query = Query(atom)
    anchor = Query.terms("zzz") | Query.terms("acme")
    negated = anchor & ~query
    assert negated.matches(post, users=USERS) == (
        anchor.matches(post, users=USERS) and not query.matches(post, users=USERS)
    )


def test_realistic_brand_rules_on_twcs() -> None:
    rows = list(twcs_rows(shared_path("data", "twcs", "twcs_prefix_5000.csv")))
    posts = [twcs_post(row) for row in rows]
    users = {
        row["author_id"]: User(id=row["author_id"], username=row["author_id"], name="x")
        for row in rows
    }
    inbound_to_sprint = Query.mentioning("sprintcare").not_from("sprintcare")
    hits = [p for p in posts if inbound_to_sprint.matches(p, users=users)]
    expected = [
        p
        for p, row in zip(posts, rows, strict=True)
        if "@sprintcare" in row["text"].lower() and row["author_id"] != "sprintcare"
    ]
    assert hits == expected
    assert len(hits) > 10
    # Keywords against an independent oracle: whole words, case-insensitive.
    for word in ["refund", "wifi", "cancel", "help"]:
        pattern = re.compile(rf"(?<![^\W_]){word}(?![^\W_])", re.IGNORECASE)
        query = Query.terms(word).not_from("sprintcare")
        got = [p.id for p in posts if query.matches(p, users=users)]
        want = [p.id for p in posts if p.author_id != "sprintcare" and pattern.search(p.text)]
        assert got == want, word
        assert got, word
    dm_requests = Query.from_("sprintcare").any_of("DM", "private message", "direct message")
    requested = [p for p in posts if dm_requests.matches(p, users=users)]
    assert requested
    for post in requested:
        text = post.text.lower()
        assert post.author_id == "sprintcare"
        assert (
            " dm" in text or "dm " in text or "private message" in text or "direct message" in text
        )
