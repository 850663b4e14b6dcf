"""Every X failure reaches the caller as the right socialcare error, through real tweepy."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
import tweepy

from socialcare.errors import (
    AuthenticationError,
    ConfigurationError,
    DirectMessageNotPermittedError,
    DuplicateContentError,
    InvalidRequestError,
    NotFoundError,
    PlatformUnavailableError,
    RateLimitError,
    ReplyNotPermittedError,
)
from socialcare.platforms.x import XPlatform
from socialcare.sandbox import _world


@pytest.fixture
def world(sandbox):
    acme = sandbox.add_user("acme")
    ann = sandbox.add_user("ann")
    return sandbox, acme, ann


def test_wrong_oauth1_secret_is_an_authentication_error(world):
    sandbox, acme, _ = world
    creds = sandbox.credentials(acme)
    x = XPlatform(
        consumer_key=creds.consumer_key,
        consumer_secret="not-the-secret",
        access_token=creds.access_token,
        access_token_secret=creds.access_token_secret,
        clock=sandbox.clock,
        transport=sandbox.transport(),
    )
    with pytest.raises(AuthenticationError) as info:
        x.create_post("hello")
    assert info.value.status == 401
    assert info.value.endpoint == "POST /2/tweets"
    assert isinstance(info.value.__cause__, tweepy.errors.Unauthorized)
    assert sandbox.posts(author=acme) == []


def test_revoked_bearer_token_is_an_authentication_error(world):
    sandbox, acme, _ = world
    x = sandbox.platform(None)
    sandbox.revoke(sandbox.credentials().bearer_token)
    with pytest.raises(AuthenticationError) as info:
        x.mentions(acme.id)
    assert info.value.status == 401


def test_app_only_token_on_a_user_endpoint_is_a_403_authentication_error(world):
    sandbox, _, _ = world
    app = sandbox.credentials()
    # An app-only token passed where a user token belongs: X answers 403.
    x = XPlatform(user_token=app.bearer_token, clock=sandbox.clock, transport=sandbox.transport())
    with pytest.raises(AuthenticationError) as info:
        x.me()
    assert info.value.status == 403
    assert info.value.title == "Unsupported Authentication"


def test_app_only_platform_refuses_writes_before_sending(world):
    sandbox, _, _ = world
    x = sandbox.platform(None)
    calls = len(sandbox.calls)
    with pytest.raises(ConfigurationError, match="user context"):
        x.create_post("hello")
    assert len(sandbox.calls) == calls


def test_reply_to_an_author_who_did_not_summon_is_refused(world):
    sandbox, acme, ann = world
    question = sandbox.add_post(ann, "my order never arrived")
    x = sandbox.platform(acme)
    with pytest.raises(ReplyNotPermittedError) as info:
        x.create_post("so sorry, DM us", in_reply_to=question.id)
    assert info.value.status == 403
    assert "mentioned" in (info.value.detail or "")
    assert sandbox.posts(author=acme) == []


def test_reply_is_allowed_when_mentioned(world):
    sandbox, acme, ann = world
    question = sandbox.add_post(ann, "@acme my order never arrived")
    reply = sandbox.platform(acme).create_post("So sorry!", in_reply_to=question.id)
    stored = sandbox.post(reply.id)
    assert stored is not None
    assert stored.replied_to_id == question.id
    assert stored.conversation_id == question.id
    assert stored.in_reply_to_user_id == ann.id


def test_reply_is_allowed_when_the_author_quoted_the_account(world):
    sandbox, acme, ann = world
    announcement = sandbox.add_post(acme, "New store hours")
    quote = sandbox.add_post(ann, "closed again??", quote_of=announcement)
    reply = sandbox.platform(acme).create_post("Open until 9 today", in_reply_to=quote.id)
    assert reply.replied_to_id == quote.id


def test_enterprise_access_is_not_bound_by_the_summoned_rule(new_sandbox):
    sandbox = new_sandbox(enterprise=True)
    acme = sandbox.add_user("acme")
    ann = sandbox.add_user("ann")
    question = sandbox.add_post(ann, "my order never arrived")
    reply = sandbox.platform(acme).create_post("We can help", in_reply_to=question.id)
    assert sandbox.post(reply.id) is not None


def test_reply_to_a_deleted_post_is_not_found(world):
    sandbox, acme, ann = world
    question = sandbox.add_post(ann, "@acme hello")
    sandbox.platform(ann).delete_post(question.id)
    with pytest.raises(NotFoundError) as info:
        sandbox.platform(acme).create_post("hi", in_reply_to=question.id)
    assert info.value.status == 403


def test_dm_to_a_user_who_does_not_accept_it_is_refused(world):
    sandbox, acme, _ = world
    bob = sandbox.add_user("bob", receives_dms=False)
    x = sandbox.platform(acme)
    with pytest.raises(DirectMessageNotPermittedError) as info:
        x.send_dm(bob.id, "Please send your order number")
    assert info.value.status == 403
    assert sandbox.dms() == []
    # Once bob writes first, the brand may answer.
    sandbox.add_dm(bob, acme, "hi, order 123")
    sent = x.send_dm(bob.id, "Thanks, looking into it")
    assert sent.dm_conversation_id == "-".join(sorted((acme.id, bob.id), key=int))


def test_duplicate_content_is_refused(world):
    sandbox, acme, _ = world
    x = sandbox.platform(acme)
    x.create_post("We are back online.")
    with pytest.raises(DuplicateContentError) as info:
        x.create_post("We are back online.")
    assert info.value.status == 403
    assert len(sandbox.posts(author=acme)) == 1
    sandbox.clock.advance(hours=25)
    x.create_post("We are back online.")
    assert len(sandbox.posts(author=acme)) == 2


def test_deleting_a_missing_post_is_not_found(world):
    sandbox, acme, _ = world
    with pytest.raises(NotFoundError) as info:
        sandbox.platform(acme).delete_post("123456")
    assert info.value.status == 404


def test_deleting_someone_elses_post_is_an_authentication_error(world):
    sandbox, acme, ann = world
    post = sandbox.add_post(ann, "mine")
    with pytest.raises(AuthenticationError) as info:
        sandbox.platform(acme).delete_post(post.id)
    assert info.value.status == 403
    assert sandbox.post(post.id) is not None


def test_mentions_of_an_unknown_user_is_not_found(world):
    sandbox, acme, _ = world
    with pytest.raises(NotFoundError):
        sandbox.platform(acme).mentions("999")


def test_exhausted_rate_limit_beyond_the_cap_raises_with_reset(world):
    sandbox, acme, _ = world
    x = sandbox.platform(acme, max_rate_limit_wait=0)
    x.mentions(acme.id)
    sandbox.exhaust_rate_limit("GET /2/users/:id/mentions")
    with pytest.raises(RateLimitError) as info:
        x.mentions(acme.id)
    error = info.value
    assert error.status == 429
    assert error.limit == 450
    assert error.remaining == 0
    assert error.reset_at == sandbox.clock.now().replace(microsecond=0) + dt.timedelta(minutes=15)
    assert isinstance(error.__cause__, tweepy.errors.TooManyRequests)
    assert x.rate_limits()["GET /2/users/:id/mentions"].exhausted


def test_bad_parameters_are_invalid_requests(world):
    sandbox, acme, _ = world
    x = sandbox.platform(acme)
    with pytest.raises(InvalidRequestError) as info:
        x.search_recent("order", max_results=5)
    assert info.value.status == 400
    assert "max_results" in str(info.value)


def test_server_errors_after_retries_are_unavailable(world):
    sandbox, acme, _ = world
    x = sandbox.platform(acme, max_attempts=3)
    sandbox.fail_next("server_error", times=3, status=503)
    with pytest.raises(PlatformUnavailableError) as info:
        x.mentions(acme.id)
    assert info.value.status == 503
    assert isinstance(info.value.__cause__, tweepy.errors.TwitterServerError)


def test_timeouts_after_retries_are_unavailable(world):
    sandbox, acme, _ = world
    x = sandbox.platform(acme, max_attempts=2)
    sandbox.fail_next("timeout", times=2)
    with pytest.raises(PlatformUnavailableError) as info:
        x.get_posts(["1"])
    assert info.value.status is None
    assert isinstance(info.value.__cause__, requests.exceptions.Timeout)


def test_unknown_http_status_is_a_platform_error(world):
    sandbox, acme, _ = world
    x = sandbox.platform(acme, max_attempts=1)
    sandbox.fail_next("server_error", status=502)
    with pytest.raises(PlatformUnavailableError) as info:
        x.mentions(acme.id)
    assert info.value.status == 502


def test_full_archive_search_needs_a_bearer_token(world):
    sandbox, acme, _ = world
    x = sandbox.platform(acme, app_reads=False)
    with pytest.raises(ConfigurationError, match="bearer"):
        x.search_all("anything")


def test_a_forbidden_reply_of_any_wording_is_reply_not_permitted(world, monkeypatch):
    # X words its refusals in prose; a reply refused for any reason but duplicate
    # content, a deleted target or length is the summoned-reply rule.
    sandbox, acme, ann = world
    monkeypatch.setattr(_world, "REPLY_NOT_PERMITTED", "You are not permitted to do that.")
    question = sandbox.add_post(ann, "no mention here")
    with pytest.raises(ReplyNotPermittedError):
        sandbox.platform(acme).create_post("hi", in_reply_to=question.id)


def test_revoked_user_tokens_fail_writes(world):
    sandbox, acme, _ = world
    creds = sandbox.credentials(acme)
    x1 = XPlatform(
        consumer_key=creds.consumer_key,
        consumer_secret=creds.consumer_secret,
        access_token=creds.access_token,
        access_token_secret=creds.access_token_secret,
        clock=sandbox.clock,
        transport=sandbox.transport(),
    )
    x2 = XPlatform(user_token=creds.user_token, clock=sandbox.clock, transport=sandbox.transport())
    x1.create_post("first")
    x2.create_post("second")
    sandbox.revoke(creds.access_token or "")
    sandbox.revoke(creds.user_token or "")
    for x in (x1, x2):
        with pytest.raises(AuthenticationError) as info:
            x.create_post("third")
        assert info.value.status == 401
