"""Helpers shared by the query tests: posts with X-like entities, query strategies."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from hypothesis import strategies as st

from socialcare.models import Entities, MentionEntity, Post, ReferencedPost, TagEntity, UrlEntity
from socialcare.query import AllOf, AnyOf, Atom, Clause, Negated, Query
from socialcare.query._syntax import all_of, any_of

_MENTION = re.compile(r"(?<![\w@])@(\w{1,15})")
_HASHTAG = re.compile(r"(?<![\w#&])#(\w*[^\W\d]\w*)")
_CASHTAG = re.compile(r"(?<![\w$])\$([A-Za-z]{1,6}(?:_[A-Za-z]{1,2})?)(?!\w)")
_URL = re.compile(r"https?://\S+")


def entities_of(text: str, *, expanded: dict[str, str] | None = None) -> Entities:
    """Entities as X would extract them (close enough for tests): mentions, tags, links."""
    expanded = expanded or {}
    return Entities(
        mentions=tuple(
            MentionEntity(m.start(), m.end(), m.group(1)) for m in _MENTION.finditer(text)
        ),
        hashtags=tuple(TagEntity(m.start(), m.end(), m.group(1)) for m in _HASHTAG.finditer(text)),
        cashtags=tuple(TagEntity(m.start(), m.end(), m.group(1)) for m in _CASHTAG.finditer(text)),
        urls=tuple(
            UrlEntity(m.start(), m.end(), m.group(0), expanded_url=expanded.get(m.group(0)))
            for m in _URL.finditer(text)
        ),
    )


def make_post(
    text: str,
    *,
    id: str = "1",  # noqa: A002 - mirrors Post.id
    author_id: str | None = "100",
    reply_to: tuple[str, str] | None = None,
    quote_of: str | None = None,
    retweet_of: str | None = None,
    conversation_id: str | None = None,
    lang: str | None = "en",
    expanded: dict[str, str] | None = None,
) -> Post:
    """A post with entities extracted from ``text``; ``reply_to`` is (post id, user id)."""
    refs: list[ReferencedPost] = []
    if reply_to is not None:
        refs.append(ReferencedPost("replied_to", reply_to[0]))
    if quote_of is not None:
        refs.append(ReferencedPost("quoted", quote_of))
    if retweet_of is not None:
        refs.append(ReferencedPost("retweeted", retweet_of))
    return Post(
        id=id,
        text=text,
        author_id=author_id,
        conversation_id=conversation_id or id,
        in_reply_to_user_id=reply_to[1] if reply_to else None,
        referenced=tuple(refs),
        entities=entities_of(text, expanded=expanded),
        lang=lang,
    )


def twcs_rows(path: Path) -> Iterator[dict[str, str]]:
    """Rows of a twcs CSV file (tweet_id, author_id, inbound, created_at, text, ...)."""
    with path.open(newline="", encoding="utf-8") as fh:
        yield from csv.DictReader(fh)


def twcs_post(row: dict[str, str]) -> Post:
    """A twcs row as a Post (the author id is the handle for brands, a number otherwise)."""
    reply = row["in_response_to_tweet_id"] or None
    return make_post(
        row["text"],
        id=row["tweet_id"],
        author_id=row["author_id"],
        reply_to=(reply, "0") if reply else None,
        lang=None,
    )


# -- hypothesis strategies ------------------------------------------------------------

WORDS = st.sampled_from(
    [
        "acme",
        "outage",
        "down",
        "Refund",
        "late",
        "help",
        "café",
        "iphone",
        "ios11",
        "2fa",
        "😡",
        "wifi",
        "cancel",
        "order",
    ]
)
PHRASES = st.lists(WORDS, min_size=1, max_size=3).map(" ".join) | st.sampled_from(
    ["coca-cola", "not working", "can't log in", "ios 11.1", "@acme help"]
)
USERS = st.sampled_from(["acme", "AcmeSupport", "bob_99", "12345", "jane"])
IDS = st.integers(min_value=1, max_value=10**18).map(str)

POSITIVE = st.one_of(
    WORDS.map(lambda w: Atom.of("keyword", w)),
    PHRASES.map(lambda p: Atom.of("phrase", p)),
    st.sampled_from(["acmefail", "iOS11", "help", "Outage", "cafe"]).map(
        lambda t: Atom.of("hashtag", t)
    ),
    USERS.map(lambda u: Atom.of("mention", u)),
    st.sampled_from(["ACME", "twtr"]).map(lambda c: Atom.of("cashtag", c)),
    USERS.map(lambda u: Atom.of("from", u)),
    USERS.map(lambda u: Atom.of("to", u)),
    IDS.map(lambda i: Atom.of("conversation_id", i)),
    IDS.map(lambda i: Atom.of("in_reply_to_tweet_id", i)),
    st.sampled_from(["acme.com", "https://acme.com/status", "t.co", "help"]).map(
        lambda u: Atom.of("url", u)
    ),
)
CONJUNCTION = st.one_of(
    st.sampled_from(["reply", "quote", "retweet", "verified"]).map(lambda v: Atom("is", v)),
    st.sampled_from(["links", "mentions", "hashtags", "cashtags", "media"]).map(
        lambda v: Atom("has", v)
    ),
    st.sampled_from(["en", "fr", "es"]).map(lambda v: Atom("lang", v)),
)


def _leaf() -> st.SearchStrategy[Clause]:
    atoms: st.SearchStrategy[Atom] = st.one_of(POSITIVE, CONJUNCTION)
    return st.one_of(POSITIVE, CONJUNCTION, atoms.map(Negated))


def _combine(children: st.SearchStrategy[Clause]) -> st.SearchStrategy[Clause]:
    groups = st.lists(children, min_size=2, max_size=4)
    return st.one_of(groups.map(all_of), groups.map(any_of)).filter(lambda c: c is not None)  # type: ignore[arg-type]


CLAUSES: st.SearchStrategy[Clause] = st.recursive(_leaf(), _combine, max_leaves=10)


def _valid(clause: Clause) -> bool:
    try:
        Query(clause).render(max_length=None)
    except ValueError:
        return False
    return True


def _anchor(pair: tuple[Atom, Clause]) -> Clause:
    clause = all_of(pair)
    assert clause is not None
    return clause


QUERIES: st.SearchStrategy[Query] = st.one_of(
    CLAUSES.filter(_valid), st.tuples(POSITIVE, CLAUSES).map(_anchor)
).map(Query)

_POST_WORDS = st.sampled_from(
    [
        "acme",
        "Acme",
        "ACME",
        "outage",
        "down",
        "refund",
        "late",
        "help",
        "cafe",
        "café",
        "iPhone",
        "ios11",
        "ios",
        "11.1",
        "2fa",
        "😡",
        "wifi",
        "cancel",
        "order",
        "not",
        "working",
        "coca-cola",
        "can't",
        "log",
        "in",
        "@acme",
        "@AcmeSupport",
        "@jane",
        "#acmefail",
        "#iOS11",
        "#help",
        "#Café",
        "$ACME",
        "$twtr",
        "https://t.co/x1",
        "https://acme.com/status",
        "!",
        ",",
    ]
)


@st.composite
def _posts(draw: st.DrawFn) -> Post:
    words = draw(st.lists(_POST_WORDS, max_size=12))
    text = " ".join(words) or "."
    kind = draw(st.sampled_from(["plain", "reply", "quote", "retweet"]))
    ids = st.sampled_from(["12345", "100", "200", "7", "42"])
    return make_post(
        text,
        id=draw(st.sampled_from(["1", "42", "7"])),
        author_id=draw(ids),
        reply_to=(draw(ids), draw(ids)) if kind == "reply" else None,
        quote_of=draw(ids) if kind == "quote" else None,
        retweet_of=draw(ids) if kind == "retweet" else None,
        conversation_id=draw(ids),
        lang=draw(st.sampled_from(["en", "fr", "es", None])),
        expanded={"https://t.co/x1": "https://acme.com/help"},
    )


POSTS: st.SearchStrategy[Post] = _posts()

__all__ = [
    "CLAUSES",
    "POSITIVE",
    "POSTS",
    "QUERIES",
    "AllOf",
    "AnyOf",
    "entities_of",
    "make_post",
    "twcs_post",
    "twcs_rows",
]
