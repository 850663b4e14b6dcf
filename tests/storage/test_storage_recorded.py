"""Recorded X payloads read back equal from every store, with the fields X adds on request.

The recorded samples (``../shared/data/x-api-v2-samples``) predate ``display_text_range``
in the requested fields and hold DM events without entities; each post here gets the
range X would send (the body after the leading handles of a reply) and each DM the
entities of a recorded post's text, so every backend must keep both.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import attrs
from tests.conftest import shared_path

from socialcare.models import DirectMessage, Post
from socialcare.storage import Store

SAMPLES = ("data", "x-api-v2-samples")


def _pages() -> Iterator[dict[str, object]]:
    folder = shared_path(*SAMPLES, "twarc-csv")
    for path in sorted(folder.glob("*.jsonl")):
        if path.name == "users.jsonl":
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                yield json.loads(line)
            except json.JSONDecodeError:  # one deliberately broken streaming line
                continue


def _raw_posts() -> list[dict[str, object]]:
    found: dict[str, dict[str, object]] = {}
    for page in _pages():
        data = page.get("data")
        items = [data] if isinstance(data, dict) else list(data or [])  # type: ignore[call-overload]
        includes = page.get("includes")
        if isinstance(includes, dict):
            items += includes.get("tweets", [])
        for item in items:
            if isinstance(item, dict) and "id" in item and "text" in item:
                found[item["id"]] = item
    return list(found.values())


def _body_start(post: Post) -> int:
    """Where a reply's body starts: after the handles X put in front of it."""
    start = 0
    if post.in_reply_to_user_id is None:
        return start
    for mention in sorted(post.entities.mentions, key=lambda m: m.start):
        if mention.start != start:
            break
        start = mention.end + (post.text[mention.end : mention.end + 1] == " ")
    return min(start, len(post.text))


def _recorded_posts() -> list[Post]:
    posts = []
    for raw in _raw_posts():
        post = Post.from_x(raw)
        span = (_body_start(post), len(post.text))
        posts.append(attrs.evolve(post, display_text_range=span))
    return posts


def _recorded_dms(posts: list[Post]) -> list[DirectMessage]:
    folder = shared_path(*SAMPLES, "tweepy-decoded")
    created = json.loads(
        (folder / "test_manage_and_lookup_direct_messages__0.json").read_text(encoding="utf-8")
    )
    conversation = created["response_json"]["data"]["dm_conversation_id"]
    listed = json.loads(
        (folder / "test_manage_and_lookup_direct_messages__4.json").read_text(encoding="utf-8")
    )
    messages = [
        attrs.evolve(DirectMessage.from_x(raw), dm_conversation_id=conversation)
        for raw in listed["response_json"]["data"]
    ]
    # DMs carrying the text and entities (links, handles, tags) of recorded posts.
    rich = [p for p in posts if p.entities.urls or p.entities.hashtags][:20]
    rich += [p for p in posts if p.entities.mentions][:20]
    messages += [
        DirectMessage(
            id=str(9_000_000_000_000_000 + i),
            text=p.text,
            dm_conversation_id=conversation,
            sender_id=p.author_id,
            created_at=p.created_at,
            entities=p.entities,
        )
        for i, p in enumerate(rich)
    ]
    return messages


def test_recorded_posts_keep_display_text_range(store: Store) -> None:
    posts = _recorded_posts()
    assert len(posts) > 50
    assert any(p.display_text_range is not None and p.display_text_range[0] > 0 for p in posts)
    assert store.upsert_posts(posts) == len(posts)
    assert store.get_posts([p.id for p in posts]) == posts
    for post in posts[:5]:
        assert store.get_post(post.id) == post


def test_recorded_dms_keep_entities(store: Store) -> None:
    messages = _recorded_dms(_recorded_posts())
    assert any(m.entities.urls for m in messages)
    assert any(m.entities.mentions for m in messages)
    assert store.upsert_dms(messages) == len(messages)
    for message in messages:
        assert store.get_dm(message.id) == message
