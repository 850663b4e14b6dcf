"""The domain model against every real recorded X API v2 payload, and against bad ones."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.conftest import assert_emitted_subset, shared_path

from socialcare import (
    DirectMessage,
    Entities,
    Page,
    PayloadError,
    Post,
    ReferencedPost,
    SocialCareError,
    User,
)

SAMPLES = ("data", "x-api-v2-samples")


def _twarc_pages(*, posts_only: bool = False) -> Iterator[tuple[str, Mapping[str, object]]]:
    folder = shared_path(*SAMPLES, "twarc-csv")
    for path in sorted(folder.glob("*.jsonl")):
        if posts_only and path.name == "users.jsonl":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            try:
                payload = json.loads(line)
            except json.JSONDecodeError:
                # streaming_output_with_error.jsonl carries one deliberately broken line.
                continue
            yield f"{path.name}:{number}", payload


def _tweepy_responses() -> Iterator[tuple[str, Mapping[str, object]]]:
    folder = shared_path(*SAMPLES, "tweepy-decoded")
    for path in sorted(folder.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        yield path.name, record


def _check_page(name: str, payload: Mapping[str, object]) -> int:
    is_users = "users.jsonl" in name or "get_me" in name
    page = Page.users_from_x(payload) if is_users else Page.posts_from_x(payload)
    raw_items = payload.get("data")
    raw_list = [raw_items] if isinstance(raw_items, dict) else list(raw_items or [])
    assert len(page.items) == len(raw_list)
    for item, raw in zip(page.items, raw_list, strict=True):
        again = type(item).from_x(item.to_x())
        assert again == item, name
        assert_emitted_subset(item.to_x(), raw, name)
    includes = payload.get("includes")
    if isinstance(includes, dict):
        for user, raw_user in zip(page.includes.users, includes.get("users", []), strict=True):
            assert_emitted_subset(user.to_x(), raw_user, f"{name} includes.users")
        for post, raw_post in zip(page.includes.posts, includes.get("tweets", []), strict=True):
            assert_emitted_subset(post.to_x(), raw_post, f"{name} includes.tweets")
    assert len(page.errors) == len(payload.get("errors", []))  # type: ignore[arg-type]
    for problem, raw_problem in zip(page.errors, payload.get("errors", []), strict=True):  # type: ignore[call-overload]
        assert problem.title == raw_problem["title"]
    # The whole page survives a trip through to_x and back.
    serialize = User.to_x if is_users else Post.to_x
    rebuilt = page.to_x(serialize)  # type: ignore[arg-type]
    again_page = Page.users_from_x(rebuilt) if is_users else Page.posts_from_x(rebuilt)
    assert again_page == page
    return len(page.items)


def test_every_twarc_page_parses_and_round_trips() -> None:
    total = 0
    pages = 0
    for name, payload in _twarc_pages():
        total += _check_page(name, payload)
        pages += 1
    assert pages >= 20
    assert total >= 400


def test_every_tweepy_recorded_response_parses() -> None:
    seen_dm_events = 0
    for name, record in _tweepy_responses():
        body = record["response_json"]
        uri = record["request"]["uri"]
        if "dm_events" in uri:
            page = Page.dms_from_x(body)
            for event in page.items:
                assert DirectMessage.from_x(event.to_x()) == event
                assert event.event_type == "MessageCreate"
            seen_dm_events += len(page.items)
        elif uri.endswith(("/messages", "/dm_conversations")):
            data = body["data"]
            assert data["dm_conversation_id"]
        elif "/users/me" in uri:
            user = User.from_x(body["data"])
            assert user.username == "TweepyDev"
            assert_emitted_subset(user.to_x(), body["data"], name)
        elif "data" in body and isinstance(body["data"], dict) and "id" not in body["data"]:
            continue  # {"deleted": true} / {"hidden": true} acknowledgements
        else:
            _check_page(name, body)
    assert seen_dm_events == 4


def test_reply_fields_are_read() -> None:
    for _, payload in _twarc_pages(posts_only=True):
        page = Page.posts_from_x(payload)
        for post in page.items:
            if post.is_reply:
                assert post.replied_to_id is not None
                assert post.in_reply_to_user_id is not None
                assert post.conversation_id is not None
                assert post.created_at is not None
                assert post.created_at.tzinfo is not None
                return
    pytest.fail("no reply in the samples")


def test_withheld_and_edits_are_read() -> None:
    withheld = edited = quotes = 0
    for _, payload in _twarc_pages(posts_only=True):
        page = Page.posts_from_x(payload)
        for post in (*page.items, *page.includes.posts):
            withheld += post.withheld is not None
            edited += len(post.edit_history_ids) > 1
            quotes += post.is_quote
    assert withheld > 0
    assert edited > 0
    assert quotes > 0


def test_long_post_note_text() -> None:
    long_text = "My order #123 never arrived " * 20
    post = Post.from_x(
        {
            "id": "10",
            "text": long_text[:270] + "…",
            "note_tweet": {
                "text": long_text,
                "entities": {"hashtags": [{"start": 12, "end": 16, "tag": "123"}]},
            },
        }
    )
    assert post.full_text == long_text
    assert post.note_entities == Entities(hashtags=(post.note_entities.hashtags[0],))  # type: ignore[union-attr]
    assert Post.from_x(post.to_x()) == post


def test_minimal_post_and_derived_properties() -> None:
    post = Post.from_x(
        {
            "id": "2",
            "text": "RT @acme: hi",
            "referenced_tweets": [{"type": "retweeted", "id": "1"}],
            "created_at": "2026-01-02T03:04:05.678Z",
        }
    )
    assert post.is_retweet
    assert not post.is_reply
    assert post.retweeted_id == "1"
    assert post.created_at == dt.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=dt.timezone.utc)
    assert post.to_x()["created_at"] == "2026-01-02T03:04:05.678Z"


def test_dm_event_with_participants() -> None:
    event = DirectMessage.from_x(
        {"id": "5", "event_type": "ParticipantsJoin", "participant_ids": ["1", "2"]}
    )
    assert event.text == ""
    assert event.participant_ids == ("1", "2")
    assert DirectMessage.from_x(event.to_x()) == event


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"text": "no id"}, "data.id"),
        ({"id": "1"}, "data.text"),
        ({"id": 1.5, "text": "x"}, "data.id"),
        ({"id": "12a", "text": "x"}, "data.id"),
        ({"id": "1", "text": 7}, "data.text"),
        ({"id": "1", "text": "x", "created_at": "yesterday"}, "data.created_at"),
        ({"id": "1", "text": "x", "created_at": "2026-01-01T00:00:00"}, "data.created_at"),
        (
            {"id": "1", "text": "x", "referenced_tweets": {"type": "quoted"}},
            "data.referenced_tweets",
        ),
        (
            {"id": "1", "text": "x", "referenced_tweets": [{"type": "liked", "id": "2"}]},
            "data.referenced_tweets[0].type",
        ),
        (
            {"id": "1", "text": "x", "referenced_tweets": [{"type": "quoted"}]},
            "data.referenced_tweets[0].id",
        ),
        (
            {
                "id": "1",
                "text": "x",
                "entities": {"mentions": [{"start": "0", "end": 3, "username": "a"}]},
            },
            "data.entities.mentions[0].start",
        ),
        ({"id": "1", "text": "x", "possibly_sensitive": "no"}, "data.possibly_sensitive"),
        ({"id": "1", "text": "x", "edit_history_tweet_ids": [1]}, "data.edit_history_tweet_ids[0]"),
    ],
)
def test_bad_post_payload_names_the_field(payload: dict[str, object], field: str) -> None:
    with pytest.raises(PayloadError) as info:
        Post.from_x(payload)
    assert info.value.field == field
    assert field in str(info.value)
    assert isinstance(info.value, SocialCareError)


def test_bad_user_and_page_payloads() -> None:
    with pytest.raises(PayloadError, match=r"data\.username"):
        User.from_x({"id": "1", "name": "n"})
    with pytest.raises(PayloadError, match=r"data\.public_metrics\.followers_count"):
        User.from_x(
            {"id": "1", "name": "n", "username": "u", "public_metrics": {"followers_count": "9"}}
        )
    with pytest.raises(PayloadError, match=r"data\[1\]\.id"):
        Page.posts_from_x({"data": [{"id": "1", "text": "a"}, {"text": "b"}]})
    with pytest.raises(PayloadError, match=r"includes\.users\[0\]\.username"):
        Page.posts_from_x({"data": [], "includes": {"users": [{"id": "1", "name": "n"}]}})
    with pytest.raises(PayloadError, match="payload"):
        Page.posts_from_x([])  # type: ignore[arg-type]
    with pytest.raises(PayloadError, match=r"meta\.result_count"):
        Page.posts_from_x({"meta": {"result_count": "3"}})
    with pytest.raises(PayloadError, match=r"data\.text"):
        DirectMessage.from_x({"id": "1", "event_type": "MessageCreate"})


def test_models_are_frozen_and_validate_times() -> None:
    post = Post(id="1", text="hi")
    with pytest.raises(AttributeError):
        post.text = "changed"  # type: ignore[misc]
    with pytest.raises(ValueError, match="timezone-aware"):
        Post(id="1", text="x", created_at=dt.datetime(2026, 1, 1))  # noqa: DTZ001
    assert ReferencedPost(type="quoted", id="3").to_x() == {"type": "quoted", "id": "3"}
    assert hash(post) == hash(Post(id="1", text="hi"))


def test_page_is_iterable_and_reports_problems(tmp_path: Path) -> None:
    payload = {
        "data": [{"id": "1", "text": "a"}],
        "errors": [
            {
                "value": "2",
                "detail": "Could not find tweet with ids: [2].",
                "title": "Not Found Error",
                "resource_type": "tweet",
                "parameter": "ids",
                "resource_id": "2",
                "type": "https://api.twitter.com/2/problems/resource-not-found",
            }
        ],
        "meta": {"result_count": 1, "next_token": "abc"},
    }
    page = Page.posts_from_x(payload)
    assert [p.id for p in page] == ["1"]
    assert len(page) == 1
    assert page.next_token == "abc"
    assert page.errors[0].is_not_found
    assert page.errors[0].resource_id == "2"


# -- valid Unicode at the boundary, bounded errors, time range, DM events ---------------------


def test_lone_surrogates_become_replacement_characters() -> None:
    post = Post.from_x(
        {
            "id": "1",
            "text": "@acme \ud83d",
            "lang": "e\udc00",
            "edit_history_tweet_ids": ["1"],
            "entities": {"mentions": [{"start": 0, "end": 5, "username": "ac\ud800me"}]},
            "note_tweet": {"text": "long \udfff note"},
            "withheld": {"country_codes": ["D\ud800"]},
        }
    )
    assert post.text == "@acme \ufffd"
    assert post.lang == "e\ufffd"
    assert post.entities.mentions[0].username == "ac\ufffdme"
    assert post.note_text == "long \ufffd note"
    assert post.withheld is not None
    assert post.withheld.country_codes == ("D\ufffd",)
    # A pair spelled as two code points is the character it encodes.
    assert Post.from_x({"id": "1", "text": "\ud83d\ude00"}).text == "\U0001f600"
    user = User.from_x(
        {"id": "2", "username": "d\ud800", "name": "\udc00", "description": "\ud800"}
    )
    assert (user.username, user.name, user.description) == ("d\ufffd", "\ufffd", "\ufffd")
    dm = DirectMessage.from_x({"id": "3", "text": "hi \ud800", "dm_conversation_id": "1-\ud800"})
    assert dm.text == "hi \ufffd"
    page = Page.posts_from_x(
        {
            "data": [{"id": "4", "text": "\ud800"}],
            "includes": {"users": [{"id": "2", "username": "u", "name": "\ud800"}]},
            "errors": [{"title": "\udc00", "value": "\ud800"}],
        }
    )
    assert page.items[0].text == "\ufffd"
    assert page.includes.users[0].name == "\ufffd"
    assert (page.errors[0].title, page.errors[0].value) == ("\ufffd", "\ufffd")
    ascii_text = "plain ascii stays the same object"
    assert Post.from_x({"id": "1", "text": ascii_text}).text is ascii_text


_SURROGATE_TEXT = st.text(
    alphabet=st.one_of(
        st.integers(min_value=0xD800, max_value=0xDFFF).map(chr),  # lone surrogates
        st.characters(codec="utf-8"),
    )
)


@given(text=_SURROGATE_TEXT, name=_SURROGATE_TEXT, tags=st.lists(_SURROGATE_TEXT, max_size=3))
def test_models_from_any_text_encode_and_round_trip(text: str, name: str, tags: list[str]) -> None:
    post = Post.from_x(
        {
            "id": "1",
            "text": text,
            "edit_history_tweet_ids": ["1"],
            "withheld": {"country_codes": tags},
            "entities": {"hashtags": [{"start": 0, "end": 1, "tag": t} for t in tags]},
        }
    )
    user = User.from_x({"id": "2", "username": name, "name": text})
    for model in (post, user):
        json.dumps(model.to_x(), ensure_ascii=False).encode("utf-8")
    assert Post.from_x(post.to_x()) == post
    assert User.from_x(user.to_x()) == user


@pytest.mark.parametrize("created_at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_times_outside_utc_range_are_payload_errors(created_at: str) -> None:
    with pytest.raises(PayloadError, match=r"out of range|representable") as info:
        Post.from_x({"id": "1", "text": "a", "created_at": created_at})
    assert info.value.field == "data.created_at"
    with pytest.raises(PayloadError) as user_info:
        User.from_x({"id": "1", "username": "u", "name": "n", "created_at": created_at})
    assert user_info.value.field == "data.created_at"
    # The UTC extremes themselves are representable and parse.
    edge = Post.from_x({"id": "1", "text": "a", "created_at": "0001-01-01T01:00:00+01:00"})
    assert edge.created_at == dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc)
    with pytest.raises(ValueError, match="out of range"):
        Post(
            id="1",
            text="a",
            created_at=dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        )


@pytest.mark.parametrize("event_type", ["MessageCreate", "ParticipantsJoin", "ParticipantsLeave"])
@pytest.mark.parametrize("text", ["", "hello"])
def test_dm_events_of_every_type_round_trip(event_type: str, text: str) -> None:
    payload: dict[str, object] = {
        "id": "9",
        "event_type": event_type,
        "dm_conversation_id": "1-2",
        "participant_ids": ["2"],
        "created_at": "2026-01-01T00:00:00.000Z",
    }
    if text or event_type == "MessageCreate":
        payload["text"] = text
    dm = DirectMessage.from_x(payload)
    assert DirectMessage.from_x(dm.to_x()) == dm
    assert DirectMessage(id="9", event_type=event_type, text=text) == DirectMessage.from_x(
        DirectMessage(id="9", event_type=event_type, text=text).to_x()
    )


def test_error_messages_clip_huge_values() -> None:
    huge = "9" * 100 + "x" * 2_000_000
    cases: list[dict[str, object]] = [
        {"id": huge, "text": "a"},
        {"id": "1", "text": "a", "created_at": huge},
        {"id": "1", "text": "a", "referenced_tweets": [{"type": huge, "id": "2"}]},
    ]
    for payload in cases:
        with pytest.raises(PayloadError) as info:
            Post.from_x(payload)
        assert len(str(info.value)) < 300


def test_a_dm_that_shares_a_post_refers_to_it_by_id_alone() -> None:
    # X's DM events carry referenced_tweets items with an id and no type.
    payload = {
        "id": "1",
        "event_type": "MessageCreate",
        "text": "this one https://t.co/x",
        "sender_id": "2",
        "dm_conversation_id": "2-3",
        "referenced_tweets": [{"id": "123"}],
    }
    message = DirectMessage.from_x(payload)
    assert [(r.type, r.id) for r in message.referenced] == [(None, "123")]
    assert message.to_x()["referenced_tweets"] == [{"id": "123"}]
    assert DirectMessage.from_x(message.to_x()) == message


def test_a_post_reference_still_needs_its_type() -> None:
    with pytest.raises(PayloadError, match=r"referenced_tweets\[0\]\.type"):
        Post.from_x({"id": "1", "text": "t", "referenced_tweets": [{"id": "2"}]})


def test_display_text_range_marks_a_replys_body():
    raw = {"id": "2", "text": "@ann Sorry &amp; thanks", "display_text_range": [5, 23]}
    post = Post.from_x(raw)
    assert post.display_text_range == (5, 23)
    assert post.display_text == "Sorry &amp; thanks"
    assert post.to_x()["display_text_range"] == [5, 23]
    assert Post.from_x(post.to_x()) == post
    assert Post(id="1", text="hi").display_text == "hi"
    for bad in ([5], [3, 1], ["0", "2"], [-1, 2], [True, 2]):
        with pytest.raises(PayloadError, match="display_text_range"):
            Post.from_x({**raw, "display_text_range": bad})
