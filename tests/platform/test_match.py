"""Reconciliation matching: the text as typed against the text as X stores it (pure).

Checked on hand-made cases and on every recorded API v2 post of the samples the
issue quotes (noflat.jsonl + withheld.jsonl: 315 posts, 93 replies): the text its
author typed, reconstructed, matches; a changed text does not.
"""

from __future__ import annotations

import json
import re

import pytest
from tests.conftest import shared_path

from socialcare.models import DirectMessage, Entities, Post, ReferencedPost, UrlEntity
from socialcare.platforms._match import (
    dm_matches,
    post_matches,
    stored_key,
    typed_key,
    unescape,
)

SAMPLE_FILES = ("noflat.jsonl", "withheld.jsonl")
_LEADING = re.compile(r"^(?:@\w+\s+)+")


def _reply(text: str, *, dtr: tuple[int, int] | None = None, urls=()) -> Post:
    return Post(
        id="2",
        text=text,
        referenced=(ReferencedPost(type="replied_to", id="1"),),
        entities=Entities(urls=tuple(urls)),
        display_text_range=dtr,
    )


def test_unescape_undoes_only_what_x_escapes() -> None:
    assert unescape("a &amp; b &lt;c&gt;") == "a & b <c>"
    assert unescape("&amp;lt;") == "&lt;"  # "&lt;" typed literally, escaped once by X
    assert unescape("&quot;kept&quot;") == "&quot;kept&quot;"


def test_typed_key_normalises_like_x() -> None:
    decomposed = "Cafe\u0301  ok \n"
    assert typed_key(decomposed) == "Café ok"
    assert typed_key("see example.com/a") == "see http://example.com/a"
    assert typed_key("see https://example.com/a") == "see https://example.com/a"


def test_reply_body_from_display_text_range() -> None:
    stored = "@ann @bob Sorry &amp; thanks"
    post = _reply(stored, dtr=(10, len(stored)))
    assert post_matches(post, "Sorry & thanks")
    assert not post_matches(post, "Sorry and thanks")


def test_reply_without_display_text_range_sets_leading_mentions_aside() -> None:
    post = _reply("@ann @bob Sorry &amp; thanks")
    assert post_matches(post, "Sorry & thanks")
    assert post_matches(post, "@ann Sorry & thanks")  # typed one of them itself
    assert not post_matches(post, "Sorry & thank you")


def test_leading_mentions_are_not_set_aside_outside_replies() -> None:
    post = Post(id="2", text="@ann hello")
    assert post_matches(post, "@ann hello")
    assert not post_matches(post, "hello")


def test_tco_links_map_back_to_what_was_typed() -> None:
    stored = "@ann see https://t.co/AbCdEfGhIj now"
    url = UrlEntity(
        start=9,
        end=32,
        url="https://t.co/AbCdEfGhIj",
        expanded_url="http://example.com/help",
        display_url="example.com/help",
    )
    post = _reply(stored, dtr=(5, len(stored)), urls=[url])
    assert post_matches(post, "see example.com/help now")
    assert post_matches(post, "see http://example.com/help now")
    assert not post_matches(post, "see example.com/other now")
    assert not post_matches(post, "see https://t.co/AbCdEfGhIj now")


def test_entity_indices_off_the_link_still_expand_by_value() -> None:
    url = UrlEntity(start=0, end=1, url="https://t.co/x", expanded_url="https://a.example/")
    assert stored_key("go https://t.co/x", Entities(urls=(url,))) == "go https://a.example/"


def test_dm_matching() -> None:
    dm = DirectMessage(id="9", text="Your order &amp; refund:  https://example.com/r ")
    assert dm_matches(dm, "Your order & refund: https://example.com/r")
    assert not dm_matches(dm, "Your order & refund")
    joined = DirectMessage(id="9", text="", event_type="ParticipantsJoin")
    assert not dm_matches(joined, "")


# ----------------------------------------------------------- recorded samples


def _sample_posts() -> list[tuple[Post, dict[str, str]]]:
    out = []
    for name in SAMPLE_FILES:
        path = shared_path("data", "x-api-v2-samples", "twarc-csv", name)
        for line in path.read_text(encoding="utf-8").splitlines():
            page = json.loads(line)
            users = {u["id"]: u["username"] for u in page.get("includes", {}).get("users", [])}
            out.extend((Post.from_x(raw), users) for raw in page["data"])
    return out


def _typed(post: Post) -> str:
    """What the author typed, reconstructed from what X stored."""
    text = post.text
    for url in sorted(post.entities.urls, key=lambda u: -u.start):
        if text[url.start : url.end] == url.url and url.expanded_url:
            text = text[: url.start] + url.expanded_url + text[url.end :]
    text = unescape(text)
    return _LEADING.sub("", text) if post.is_reply else text


def test_the_samples_are_the_ones_the_issue_measured() -> None:
    posts = _sample_posts()
    replies = [(p, users) for p, users in posts if p.is_reply]
    led = [
        p
        for p, users in replies
        if p.text.lower().startswith("@" + users.get(p.in_reply_to_user_id or "", "?").lower())
    ]
    links = [u for p, _ in posts for u in p.entities.urls if u.url.startswith("https://t.co/")]
    assert (len(posts), len(replies), len(led)) == (315, 93, 83)
    assert sum("&amp;" in p.text for p, _ in posts) == 23
    assert len({u.url for u in links}) == 94
    assert all(len(u.url) == 23 for u in links)


def test_every_recorded_post_matches_the_text_its_author_typed() -> None:
    posts = [p for p, _ in _sample_posts()]
    assert all(post_matches(p, _typed(p)) for p in posts)
    # and with display_text_range marking the body after the leading mentions
    for post in (p for p in posts if p.is_reply):
        lead = _LEADING.match(post.text)
        start = lead.end() if lead else 0
        ranged = Post(
            id=post.id,
            text=post.text,
            referenced=post.referenced,
            entities=post.entities,
            display_text_range=(start, len(post.text)),
        )
        assert post_matches(ranged, _typed(post)), post.id


def test_a_changed_text_does_not_match_any_recorded_post() -> None:
    posts = [p for p, _ in _sample_posts()]
    misses = [p for p in posts if post_matches(p, _typed(p) + " (edited)")]
    assert misses == []
    linked = [p for p in posts if any(u.url.startswith("https://t.co/") for u in p.entities.urls)]
    assert len(linked) > 50
    swapped = [p for p in linked if post_matches(p, _typed(p).replace("/", "|"))]
    assert swapped == []


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        ("Tom &amp; Jerry", "Tom & Jerry"),
        ("1 &lt; 2 &gt; 0", "1 < 2 > 0"),
        ("e\u0301", "\u00e9"),
    ],
)
def test_plain_posts(stored: str, typed: str) -> None:
    assert post_matches(Post(id="1", text=stored), typed)
