"""Retries under injected faults: reads recover, writes never happen twice."""

from __future__ import annotations

import datetime as dt

import pytest

from socialcare.errors import PlatformUnavailableError, RateLimitError


@pytest.fixture
def world(sandbox):
    acme = sandbox.add_user("acme")
    ann = sandbox.add_user("ann")
    question = sandbox.add_post(ann, "@acme where is my parcel?")
    return sandbox, acme, ann, question


def _calls(sandbox, endpoint):
    return [c for c in sandbox.calls if c.endpoint == endpoint]


def test_reads_retry_through_transient_server_errors(world):
    sandbox, acme, _, question = world
    x = sandbox.platform(acme, max_attempts=4)
    start = sandbox.clock.now()
    sandbox.fail_next("server_error", times=2, endpoint="GET /2/users/:id/mentions")
    page = x.mentions(acme.id)
    assert [p.id for p in page] == [question.id]
    statuses = [c.status for c in _calls(sandbox, "GET /2/users/:id/mentions")]
    assert statuses == [503, 503, 200]
    # The backoff slept on the sandbox's clock: jittered, bounded by the 30 s cap.
    waited = (sandbox.clock.now() - start).total_seconds()
    assert 0 <= waited <= 60


def test_reads_retry_through_timeouts(world):
    sandbox, acme, _, question = world
    x = sandbox.platform(acme)
    sandbox.fail_next("timeout", times=3)
    assert [p.id for p in x.get_posts([question.id])] == [question.id]
    assert [c.status for c in _calls(sandbox, "GET /2/tweets")] == [0, 0, 0, 200]


def test_retries_are_bounded(world):
    sandbox, acme, _, _ = world
    x = sandbox.platform(acme, max_attempts=2)
    sandbox.fail_next("server_error", times=5)
    with pytest.raises(PlatformUnavailableError):
        x.mentions(acme.id)
    assert len(_calls(sandbox, "GET /2/users/:id/mentions")) == 2
    assert sandbox.pending_faults == 3


def test_max_attempts_one_disables_retries(world):
    sandbox, acme, _, _ = world
    x = sandbox.platform(acme, max_attempts=1)
    sandbox.fail_next("server_error")
    with pytest.raises(PlatformUnavailableError):
        x.mentions(acme.id)
    assert len(_calls(sandbox, "GET /2/users/:id/mentions")) == 1


def test_rate_limit_within_the_cap_waits_for_the_reset(world):
    sandbox, acme, _, question = world
    x = sandbox.platform(acme, max_rate_limit_wait=120)
    sandbox.fail_next("rate_limit", endpoint="GET /2/users/:id/mentions", retry_after=90)
    before = sandbox.clock.now()
    page = x.mentions(acme.id)
    assert [p.id for p in page] == [question.id]
    waited = sandbox.clock.now() - before
    assert dt.timedelta(seconds=89) <= waited <= dt.timedelta(seconds=91)


def test_rate_limit_beyond_the_cap_raises_at_once(world):
    sandbox, acme, _, _ = world
    x = sandbox.platform(acme, max_rate_limit_wait=60)
    sandbox.fail_next("rate_limit", retry_after=600)
    before = sandbox.clock.now()
    with pytest.raises(RateLimitError) as info:
        x.mentions(acme.id)
    assert sandbox.clock.now() == before
    assert info.value.reset_at is not None
    assert info.value.reset_at >= before + dt.timedelta(seconds=600)


def test_real_window_exhaustion_recovers_after_reset(world):
    sandbox, acme, ann, _ = world
    x = sandbox.platform(acme, max_rate_limit_wait=15 * 60)
    for n in range(15):
        sandbox.add_user(f"cust{n}")
        x.send_dm(sandbox.user(f"cust{n}").id, f"hello {n}")
    assert x.rate_limits()["POST /2/dm_conversations/with/:participant_id/messages"].remaining == 0
    before = sandbox.clock.now()
    x.send_dm(ann.id, "the 16th DM waits for the window to reset")
    assert sandbox.clock.now() - before >= dt.timedelta(minutes=14)
    assert len(sandbox.dms()) == 16


def test_created_post_with_lost_response_is_found_not_duplicated(world):
    sandbox, acme, _, question = world
    x = sandbox.platform(acme)
    sandbox.fail_next("lost_response", endpoint="POST /2/tweets")
    reply = x.create_post("Sorry! Tracking shows tomorrow.", in_reply_to=question.id)
    mine = sandbox.posts(author=acme)
    assert [p.id for p in mine] == [reply.id]
    assert reply.replied_to_id == question.id
    assert [c.status for c in _calls(sandbox, "POST /2/tweets")] == [0]


def test_slow_create_beyond_the_timeout_is_found_not_duplicated(world):
    sandbox, acme, _, _ = world
    x = sandbox.platform(acme, timeout=5)
    sandbox.fail_next("slow", endpoint="POST /2/tweets", delay=30)
    post = x.create_post("Maintenance tonight 22:00-23:00 UTC")
    assert [p.id for p in sandbox.posts(author=acme)] == [post.id]


def test_create_that_never_reached_x_is_retried_once(world):
    sandbox, acme, _, _ = world
    x = sandbox.platform(acme)
    sandbox.fail_next("timeout", endpoint="POST /2/tweets")
    post = x.create_post("All systems normal")
    assert [p.id for p in sandbox.posts(author=acme)] == [post.id]
    assert [c.status for c in _calls(sandbox, "POST /2/tweets")] == [0, 201]


def test_create_after_a_server_error_checks_before_retrying(world):
    sandbox, acme, _, _ = world
    x = sandbox.platform(acme)
    sandbox.fail_next("server_error", endpoint="POST /2/tweets", status=500)
    post = x.create_post("Back soon")
    assert [p.id for p in sandbox.posts(author=acme)] == [post.id]
    assert [c.status for c in _calls(sandbox, "POST /2/tweets")] == [500, 201]
    assert len(_calls(sandbox, "GET /2/users/:id/tweets")) == 1


def test_dm_with_lost_response_is_found_not_resent(world):
    sandbox, acme, ann, _ = world
    x = sandbox.platform(acme)
    endpoint = "POST /2/dm_conversations/with/:participant_id/messages"
    sandbox.fail_next("lost_response", endpoint=endpoint)
    sent = x.send_dm(ann.id, "Could you DM us your order number?")
    (stored,) = sandbox.dms(between=(acme, ann))
    assert sent.id == stored.id
    assert sent.sender_id == acme.id
    assert [c.status for c in _calls(sandbox, endpoint)] == [0]


def test_dm_that_never_reached_x_after_a_server_error_is_sent_once(world):
    sandbox, acme, ann, _ = world
    x = sandbox.platform(acme)
    endpoint = "POST /2/dm_conversations/with/:participant_id/messages"
    sandbox.fail_next("server_error", endpoint=endpoint, status=500)
    x.send_dm(ann.id, "Hello again")
    assert len(sandbox.dms(between=(acme, ann))) == 1
    assert [c.status for c in _calls(sandbox, endpoint)] == [500, 201]


def test_slow_read_within_the_timeout_succeeds(world):
    sandbox, acme, _, question = world
    x = sandbox.platform(acme, timeout=10)
    sandbox.fail_next("slow", delay=4)
    before = sandbox.clock.now()
    assert [p.id for p in x.get_posts([question.id])] == [question.id]
    assert sandbox.clock.now() - before == dt.timedelta(seconds=4)
