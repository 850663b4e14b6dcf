"""Writes under every fault kind: never published twice, never lost, the right error otherwise.

Each fault kind of the sandbox strikes ``create_post`` (a reply stored as X stores
it: leading @mention, ``&amp;``, a t.co link) and ``send_dm``, with
``reconcile=True`` (the platform settles ambiguity itself) and ``reconcile=False``
(an ambiguous failure is raised at once, with no lookup and no retry).
"""

from __future__ import annotations

import datetime as dt

import pytest

from socialcare.errors import (
    DuplicateContentError,
    PlatformUnavailableError,
)
from socialcare.platforms.x._errors import ambiguous, never_sent

CREATE = "POST /2/tweets"
SEND_DM = "POST /2/dm_conversations/with/:participant_id/messages"
TIMELINE = "GET /2/users/:id/tweets"
DM_READ = "GET /2/dm_conversations/with/:participant_id/dm_events"
REPLY = "Sorry & thanks for waiting! Track it at example.com/track?id=42"
DM_TEXT = "Hi Ann & welcome: your refund is at https://example.com/r/42"

BEFORE = ("server_error", "timeout", "rate_limit")
AFTER = ("lost_response", "processed_server_error", "processed_timeout", "processed_reset")
KINDS = (*BEFORE, *AFTER, "slow")


@pytest.fixture
def world(sandbox):
    acme = sandbox.add_user("acme")
    ann = sandbox.add_user("ann")
    question = sandbox.add_post(ann, "@acme where is my parcel?")
    return sandbox, acme, ann, question


def _calls(sandbox, endpoint):
    return [c for c in sandbox.calls if c.endpoint == endpoint]


def _arm(sandbox, kind, endpoint):
    sandbox.fail_next(kind, endpoint=endpoint, retry_after=5, delay=60)


def _published(sandbox, acme, question):
    return [p for p in sandbox.posts(author=acme) if p.replied_to_id == question.id]


@pytest.mark.parametrize("kind", list(KINDS))
def test_create_post_reconciled_publishes_exactly_once(world, kind):
    sandbox, acme, _, question = world
    x = sandbox.platform(acme, timeout=10)
    _arm(sandbox, kind, CREATE)
    reply = x.create_post(REPLY, in_reply_to=question.id)
    (stored,) = _published(sandbox, acme, question)
    assert reply.id == stored.id
    assert stored.text.startswith("@ann Sorry &amp; thanks")
    assert reply.replied_to_id == question.id


@pytest.mark.parametrize("kind", list(KINDS))
def test_send_dm_reconciled_sends_exactly_once(world, kind):
    sandbox, acme, ann, _ = world
    x = sandbox.platform(acme, timeout=10)
    _arm(sandbox, kind, SEND_DM)
    sent = x.send_dm(ann.id, DM_TEXT)
    (stored,) = sandbox.dms(between=(acme, ann))
    assert sent.id == stored.id
    assert sent.sender_id == acme.id


@pytest.mark.parametrize("kind", [*AFTER, "slow"])
def test_create_post_unreconciled_raises_ambiguous_without_lookup(world, kind):
    sandbox, acme, _, question = world
    x = sandbox.platform(acme, timeout=10)
    _arm(sandbox, kind, CREATE)
    with pytest.raises(PlatformUnavailableError) as info:
        x.create_post(REPLY, in_reply_to=question.id, reconcile=False)
    assert info.value.ambiguous is True
    assert ambiguous(info.value)
    assert len(_published(sandbox, acme, question)) == 1  # it was processed: not lost
    assert len(_calls(sandbox, CREATE)) == 1  # no retry
    assert _calls(sandbox, TIMELINE) == []  # no lookup


@pytest.mark.parametrize("kind", [*AFTER, "slow"])
def test_send_dm_unreconciled_raises_ambiguous_without_lookup(world, kind):
    sandbox, acme, ann, _ = world
    x = sandbox.platform(acme, timeout=10)
    _arm(sandbox, kind, SEND_DM)
    with pytest.raises(PlatformUnavailableError) as info:
        x.send_dm(ann.id, DM_TEXT, reconcile=False)
    assert info.value.ambiguous is True
    assert len(sandbox.dms(between=(acme, ann))) == 1
    assert len(_calls(sandbox, SEND_DM)) == 1
    assert _calls(sandbox, DM_READ) == []


def test_a_5xx_before_processing_is_ambiguous_too_unreconciled(world):
    # The client cannot tell a 503 before processing from one after it.
    sandbox, acme, ann, question = world
    x = sandbox.platform(acme)
    sandbox.fail_next("server_error", endpoint=CREATE)
    with pytest.raises(PlatformUnavailableError) as info:
        x.create_post(REPLY, in_reply_to=question.id, reconcile=False)
    assert info.value.ambiguous is True
    assert info.value.status == 503
    assert _published(sandbox, acme, question) == []
    sandbox.fail_next("server_error", endpoint=SEND_DM, status=502)
    with pytest.raises(PlatformUnavailableError) as dm_info:
        x.send_dm(ann.id, DM_TEXT, reconcile=False)
    assert dm_info.value.ambiguous is True
    assert sandbox.dms(between=(acme, ann)) == []


@pytest.mark.parametrize("kind", ["timeout", "rate_limit"])
def test_failures_that_never_reached_x_are_retried_unreconciled(world, kind):
    sandbox, acme, ann, question = world
    x = sandbox.platform(acme)
    _arm(sandbox, kind, CREATE)
    reply = x.create_post(REPLY, in_reply_to=question.id, reconcile=False)
    assert [p.id for p in _published(sandbox, acme, question)] == [reply.id]
    _arm(sandbox, kind, SEND_DM)
    sent = x.send_dm(ann.id, DM_TEXT, reconcile=False)
    assert [d.id for d in sandbox.dms(between=(acme, ann))] == [sent.id]
    assert _calls(sandbox, TIMELINE) == []
    assert _calls(sandbox, DM_READ) == []


def test_a_processed_502_on_a_dm_is_not_sent_twice(world):
    # The measured fault: send_dm took any 502/503 as "not processed".
    sandbox, acme, ann, _ = world
    x = sandbox.platform(acme)
    sandbox.fail_next("processed_server_error", endpoint=SEND_DM, status=502)
    x.send_dm(ann.id, DM_TEXT)
    assert len(sandbox.dms(between=(acme, ann))) == 1
    assert [c.status for c in _calls(sandbox, SEND_DM)] == [502]


def test_a_processed_503_on_a_reply_returns_the_reply_not_duplicate_content(world):
    # The measured fault: the retry met 403 duplicate content.
    sandbox, acme, _, question = world
    x = sandbox.platform(acme)
    sandbox.fail_next("processed_server_error", endpoint=CREATE)
    reply = x.create_post(REPLY, in_reply_to=question.id)
    assert [p.id for p in _published(sandbox, acme, question)] == [reply.id]
    assert [c.status for c in _calls(sandbox, CREATE)] == [503]


def test_a_duplicate_refusal_after_an_ambiguous_failure_is_reconciled(world, monkeypatch):
    # X's timeline may lag: the first lookup misses the post, the retry is refused as
    # a duplicate, and the second lookup finds it.
    sandbox, acme, _, question = world
    x = sandbox.platform(acme)
    real_find = x.find_post
    lookups = []

    def lagging(*args, **kwargs):
        lookups.append(kwargs)
        return None if len(lookups) == 1 else real_find(*args, **kwargs)

    monkeypatch.setattr(x, "find_post", lagging)
    sandbox.fail_next("processed_timeout", endpoint=CREATE)
    reply = x.create_post(REPLY, in_reply_to=question.id)
    assert [p.id for p in _published(sandbox, acme, question)] == [reply.id]
    assert [c.status for c in _calls(sandbox, CREATE)] == [0, 403]
    assert len(lookups) == 2


def test_a_genuine_duplicate_still_raises(world):
    sandbox, acme, _, question = world
    x = sandbox.platform(acme)
    x.create_post(REPLY, in_reply_to=question.id)
    sandbox.advance(minutes=10)
    sandbox.fail_next("server_error", endpoint=CREATE)
    # A 503 before processing: the lookup (from 2 minutes before this call) finds
    # nothing, the retry is refused as the duplicate of the post of 10 minutes ago,
    # a second lookup finds nothing either: the refusal stands.
    with pytest.raises(DuplicateContentError):
        x.create_post(REPLY, in_reply_to=question.id, full=True)
    assert len(_published(sandbox, acme, question)) == 1


def test_a_failing_lookup_leaves_the_failure_ambiguous(world):
    sandbox, acme, _, question = world
    x = sandbox.platform(acme, max_attempts=2)
    sandbox.fail_next("processed_reset", endpoint=CREATE)
    sandbox.fail_next("server_error", times=2, endpoint=TIMELINE)
    with pytest.raises(PlatformUnavailableError) as info:
        x.create_post(REPLY, in_reply_to=question.id)
    assert info.value.ambiguous is True
    assert len(_published(sandbox, acme, question)) == 1
    assert len(_calls(sandbox, CREATE)) == 1


def test_ambiguous_failures_beyond_max_attempts_raise_ambiguous_and_publish_at_most_once(world):
    sandbox, acme, _, question = world
    x = sandbox.platform(acme, max_attempts=3)
    sandbox.fail_next("server_error", times=10, endpoint=CREATE)
    with pytest.raises(PlatformUnavailableError) as info:
        x.create_post(REPLY, in_reply_to=question.id)
    assert info.value.ambiguous is True
    assert _published(sandbox, acme, question) == []
    # max_attempts sends in all, with a lookup before each retry and after the last
    assert len(_calls(sandbox, CREATE)) == 3
    assert len(_calls(sandbox, TIMELINE)) == 3


def test_reads_are_never_ambiguous(world):
    sandbox, acme, _, _ = world
    x = sandbox.platform(acme, max_attempts=1)
    sandbox.fail_next("processed_reset", endpoint="GET /2/users/:id/mentions")
    with pytest.raises(PlatformUnavailableError) as info:
        x.mentions(acme.id)
    assert info.value.ambiguous is False
    assert not ambiguous(info.value)


def test_a_refused_connection_never_reached_x():
    from socialcare.platforms.x import XPlatform  # noqa: PLC0415 - tweepy

    x = XPlatform(user_token="t", api_host="http://127.0.0.1:9", max_attempts=1, timeout=2)
    with pytest.raises(PlatformUnavailableError) as info:
        x.send_dm("1", "hello", reconcile=False)
    assert info.value.ambiguous is False
    assert never_sent(info.value)


# ---------------------------------------------------------------- find_post / find_dm


def test_find_post_matches_on_what_x_stores(world):
    sandbox, acme, _, question = world
    x = sandbox.platform(acme)
    since = sandbox.clock.now()
    reply = x.create_post(REPLY, in_reply_to=question.id)
    assert reply.text != REPLY  # X stored it differently
    found = x.find_post(REPLY, in_reply_to=question.id, since=since)
    assert found is not None
    assert found.id == reply.id
    assert found.display_text_range is not None
    assert x.find_post(REPLY, since=since) is None  # not a reply to nothing
    assert x.find_post(REPLY + "!", in_reply_to=question.id, since=since) is None
    later = sandbox.advance(minutes=5)
    assert x.find_post(REPLY, in_reply_to=question.id, since=later) is None


def test_find_post_tolerates_clock_skew_and_checks_quotes(world):
    sandbox, acme, _, question = world
    x = sandbox.platform(acme)
    quote = x.create_post("Our answer: yes & no", quote_of=question.id)
    assert quote.quoted_id == question.id
    skewed = sandbox.clock.now() + dt.timedelta(seconds=90)
    found = x.find_post("Our answer: yes & no", quote_of=question.id, since=skewed)
    assert found is not None
    assert found.id == quote.id
    assert x.find_post("Our answer: yes & no", since=skewed) is None


def test_find_dm(world):
    sandbox, acme, ann, _ = world
    x = sandbox.platform(acme)
    since = sandbox.clock.now()
    sent = x.send_dm(ann.id, DM_TEXT)
    found = x.find_dm(ann.id, DM_TEXT, since=since)
    assert found is not None
    assert found.id == sent.id
    assert x.find_dm(ann.id, "another text", since=since) is None
    sandbox.add_dm(ann, acme, DM_TEXT)  # the same words from the customer are not ours
    later = sandbox.advance(minutes=5)
    assert x.find_dm(ann.id, DM_TEXT, since=later) is None


def test_find_needs_an_aware_since(world):
    sandbox, acme, ann, _ = world
    x = sandbox.platform(acme)
    naive = dt.datetime(2026, 1, 1)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="timezone-aware"):
        x.find_post("x", since=naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        x.find_dm(ann.id, "x", since=naive)


# ------------------------------------------------------------------ delete_post

DELETE = "DELETE /2/tweets/:id"


@pytest.mark.parametrize("kind", [*AFTER, "server_error"])
def test_a_delete_whose_answer_was_lost_succeeds(world, kind):
    sandbox, acme, _, question = world
    x = sandbox.platform(acme)
    reply = x.create_post(REPLY, in_reply_to=question.id)
    sandbox.fail_next(kind, endpoint=DELETE)
    x.delete_post(reply.id)
    assert _published(sandbox, acme, question) == []
    statuses = [c.status for c in _calls(sandbox, DELETE)]
    assert statuses[-1] in {200, 404}
    assert len(statuses) == 2


def test_deleting_a_missing_post_still_raises(world):
    from socialcare.errors import NotFoundError  # noqa: PLC0415

    sandbox, acme, _, _ = world
    x = sandbox.platform(acme)
    with pytest.raises(NotFoundError):
        x.delete_post("123")


def test_find_dm_expands_the_links_x_wrapped(world):
    from socialcare.models import DirectMessage, Entities, UrlEntity  # noqa: PLC0415
    from socialcare.platforms._match import dm_matches  # noqa: PLC0415

    link = UrlEntity(
        start=8, end=31, url="https://t.co/AbCdEfGhIj", expanded_url="https://example.com/r/42"
    )
    dm = DirectMessage(
        id="1", text="Refund: https://t.co/AbCdEfGhIj", entities=Entities(urls=(link,))
    )
    assert dm_matches(dm, "Refund: https://example.com/r/42")
    assert DirectMessage.from_x(dm.to_x()) == dm
