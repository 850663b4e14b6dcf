"""The domain model against payloads written here (``tests/data/x``), no ``../shared`` needed.

``tests/test_models.py`` runs the same checks over every recorded payload in ``../shared``;
these cover each shape without it: entities of every kind, replies, quotes, edits, long
posts (``note_tweet``), withheld posts, users, DM events, includes and per-item errors.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from tests.conftest import assert_emitted_subset
from tests.local_data import x_payload

from socialcare import DirectMessage, Page, Post, User

UTC = dt.timezone.utc


def _posts() -> tuple[dict[str, Any], Page[Post]]:
    payload = x_payload("posts_page.json")
    return payload, Page.posts_from_x(payload)


def test_every_post_round_trips_and_emits_only_what_x_sent() -> None:
    payload, page = _posts()
    assert len(page.items) == 4
    for post, raw in zip(page.items, payload["data"], strict=True):
        assert Post.from_x(post.to_x()) == post
        assert_emitted_subset(post.to_x(), raw, post.id)
    # Only "public_metrics" keys the model keeps are emitted; everything else is identical.
    for user, raw_user in zip(page.includes.users, payload["includes"]["users"], strict=True):
        assert_emitted_subset(user.to_x(), raw_user, f"includes.users {user.id}")
    for post, raw_post in zip(page.includes.posts, payload["includes"]["tweets"], strict=True):
        assert_emitted_subset(post.to_x(), raw_post, f"includes.tweets {post.id}")
    assert Page.posts_from_x(page.to_x()) == page
    assert page.to_x() == Page.posts_from_x(page.to_x()).to_x()


def test_a_reply_with_every_kind_of_entity() -> None:
    _, page = _posts()
    post = page.items[0]
    assert post.is_reply
    assert post.replied_to_id == "1590000000000000090"
    assert post.in_reply_to_user_id == "783214"
    assert post.created_at == dt.datetime(2022, 11, 7, 9, 15, 2, tzinfo=UTC)
    entities = post.entities
    assert [(m.username, m.id) for m in entities.mentions] == [("AcmeHelp", "783214")]
    assert [h.tag for h in entities.hashtags] == ["fail"]
    assert [c.tag for c in entities.cashtags] == ["ACME"]
    (url,) = entities.urls
    assert url.expanded_url == "https://example.com/orders/4711"
    assert url.unwound_url == "https://example.com/orders/4711?src=app"
    assert (url.status, url.title) == (200, "Order 4711")
    # Indices point into the text (code points).
    for entity, shown in [
        (entities.mentions[0], "@AcmeHelp"),
        (entities.hashtags[0], "#fail"),
        (entities.cashtags[0], "$ACME"),
        (url, url.url),
    ]:
        assert post.text[entity.start : entity.end] == shown
    # The replied-to post came as an expansion.
    parent = page.includes.post(post.replied_to_id)
    assert parent is not None
    assert parent.text.startswith("Where is my parcel?")
    author = page.includes.user(post.author_id)
    assert author is not None
    assert (author.username, author.followers_count) == ("ShopperJo", 312)


def test_a_quote_that_was_edited() -> None:
    _, page = _posts()
    quote = page.items[1]
    assert quote.is_quote
    assert not quote.is_reply
    assert quote.quoted_id == page.items[0].id
    assert quote.edit_history_ids == ("1590000000000000140", "1590000000000000150")
    assert quote.edit_history_ids[-1] == quote.id  # the newest version is the post itself


def test_a_long_post_keeps_its_note() -> None:
    _, page = _posts()
    note = page.items[2]
    assert note.note_text is not None
    assert note.text.endswith("https://t.co/n0teL0ng01")
    assert note.full_text == note.note_text
    assert len(note.full_text) == 317
    assert note.full_text.endswith("#AcmeCares")
    assert note.note_entities is not None
    assert [h.tag for h in note.note_entities.hashtags] == ["AcmeCares"]
    (tag,) = note.note_entities.hashtags
    assert note.full_text[tag.start : tag.end] == "#AcmeCares"
    assert note.to_x()["note_tweet"] == x_payload("posts_page.json")["data"][2]["note_tweet"]


def test_a_withheld_post() -> None:
    _, page = _posts()
    post = page.items[3]
    assert post.withheld is not None
    assert post.withheld.country_codes == ("DE", "FR")
    assert post.withheld.copyright is False
    assert post.withheld.scope == "tweet"
    assert post.lang == "fr"
    assert all(p.withheld is None for p in page.items[:3])


def test_a_missing_id_is_a_not_found_problem() -> None:
    _, page = _posts()
    (problem,) = page.errors
    assert problem.is_not_found
    assert problem.resource_type == "tweet"
    assert problem.resource_id == "1590000000000000999"
    assert problem.title == "Not Found Error"


def test_users_round_trip() -> None:
    payload = x_payload("users_page.json")
    page = Page.users_from_x(payload)
    acme, jo = page.items
    assert (acme.username, acme.verified, acme.followers_count) == ("AcmeHelp", True, 65000)
    assert acme.created_at == dt.datetime(2007, 2, 20, 14, 35, 54, tzinfo=UTC)
    assert (jo.protected, jo.receives_your_dm, jo.followers_count) == (True, True, None)
    assert jo.name == "Jo Shopper 🛒"
    assert jo.description == ""
    for user, raw in zip(page.items, payload["data"], strict=True):
        assert User.from_x(user.to_x()) == user
        assert_emitted_subset(user.to_x(), raw, user.id)
    (pinned,) = page.includes.posts
    assert pinned.author_id == acme.id
    assert Page.users_from_x(page.to_x()) == page


def test_dm_events_round_trip() -> None:
    payload = x_payload("dm_events.json")
    page = Page.dms_from_x(payload)
    assert page.next_token == "18LAA581J5II7LA00C00ZZZZ"
    assert page.result_count == 3
    asked, answered, joined = page.items
    assert asked.sender_id == "783214"
    assert asked.dm_conversation_id == answered.dm_conversation_id == "783214-2244994945"
    assert answered.text == "Sure, it is 4711 👍"
    assert answered.created_at == dt.datetime(2022, 11, 7, 12, 3, 30, tzinfo=UTC)
    assert joined.event_type == "ParticipantsJoin"
    assert joined.text == ""
    assert joined.participant_ids == ("783214", "2244994945", "3300000001")
    for event, raw in zip(page.items, payload["data"], strict=True):
        assert DirectMessage.from_x(event.to_x()) == event
        assert_emitted_subset(event.to_x(), raw, event.id)
    assert Page.dms_from_x(page.to_x()) == page


@pytest.mark.parametrize(
    ("name", "parse"),
    [
        ("posts_page.json", Page.posts_from_x),
        ("users_page.json", Page.users_from_x),
        ("dm_events.json", Page.dms_from_x),
    ],
)
def test_pages_become_records(name: str, parse: Any) -> None:
    page = parse(x_payload(name))
    records = page.to_records()
    assert len(records) == len(page.items)
    assert [r["id"] for r in records] == [item.id for item in page.items]
