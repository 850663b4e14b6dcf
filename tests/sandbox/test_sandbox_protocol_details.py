"""Wire-level details: OAuth 1.0a signatures, pagination tokens, paging properties."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import itertools

import pytest
import tweepy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialcare.errors import InvalidRequestError
from socialcare.platforms import iter_items
from socialcare.sandbox import Sandbox
from socialcare.sandbox._auth import sign, signature_base
from socialcare.sandbox._limits import RateLimiter


def test_oauth1_signature_matches_xs_published_example():
    # The worked example of X's "Creating a signature" guide.
    oauth = {
        "oauth_consumer_key": "xvz1evFS4wEEPTGEFPHBog",
        "oauth_nonce": "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
        "oauth_signature_method": "HMAC-SHA1",
        "oauth_timestamp": "1318622958",
        "oauth_token": "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
        "oauth_version": "1.0",
    }
    base = signature_base(
        "POST",
        "https://api.twitter.com/1.1/statuses/update.json?include_entities=true",
        oauth,
        [("status", "Hello Ladies + Gentlemen, a signed OAuth request!")],
    )
    assert base.startswith("POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&")
    secret = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw"
    token_secret = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"
    assert sign(base, secret, token_secret) == "hCtSmYh+iHYCEqBWrE7C7hYmtUk="


def test_forged_pagination_tokens_are_rejected(sandbox):
    acme = sandbox.add_user("acme")
    x = sandbox.platform(acme)
    with pytest.raises(InvalidRequestError, match="pagination_token"):
        x.mentions(acme.id, next_token="not-a-token")


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    gaps=st.lists(st.integers(min_value=0, max_value=3600), min_size=0, max_size=40),
    page_size=st.integers(min_value=5, max_value=12),
)
def test_mentions_pages_cover_every_post_once_newest_first(new_sandbox, gaps, page_size):
    sandbox = new_sandbox(rate_limits=False)
    acme = sandbox.add_user("acme")
    ann = sandbox.add_user("ann")
    posts = []
    for n, gap in enumerate(gaps):
        sandbox.clock.advance(gap)
        posts.append(sandbox.add_post(ann, f"@acme message {n}"))
    x = sandbox.platform(acme)
    got = list(iter_items(lambda t: x.mentions(acme.id, max_results=page_size, next_token=t)))
    assert [p.id for p in got] == [p.id for p in reversed(posts)]
    times = [p.created_at for p in got]
    assert all(a >= b for a, b in itertools.pairwise(times))
    assert all(isinstance(t, dt.datetime) for t in times)


def test_dm_daily_cap_reports_the_24_hour_window():
    limiter = RateLimiter()
    now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    endpoint = "POST /2/dm_conversations/with/:participant_id/messages"
    sent = 0
    while sent < 1440:
        quota = limiter.take(endpoint, "user:1", is_user=True, now=now)
        if quota.allowed:
            sent += 1
        else:
            assert quota.limit == 15
            now = quota.reset_at
    refused = limiter.take(endpoint, "user:1", is_user=True, now=now + dt.timedelta(minutes=1))
    assert not refused.allowed
    assert refused.limit == 1440
    assert refused.reset_at == dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    assert limiter.take(endpoint, "user:2", is_user=True, now=now).allowed


def test_unknown_fields_and_expansions_are_400(sandbox):
    acme = sandbox.add_user("acme")
    client = tweepy.Client(bearer_token=sandbox.credentials().bearer_token, return_type=dict)
    client.session.mount("https://api.twitter.com/", sandbox.transport())
    with pytest.raises(tweepy.errors.BadRequest, match=r"tweet\.fields"):
        client.get_users_mentions(acme.id, tweet_fields=["author_id", "authorid"])
    with pytest.raises(tweepy.errors.BadRequest, match="expansions"):
        client.get_users_mentions(acme.id, expansions=["sender_id"])
    with pytest.raises(tweepy.errors.BadRequest, match="not one of"):
        client.request("GET", f"/2/users/{acme.id}/mentions", params={"query": "x"})
    assert client.get_users_mentions(acme.id, tweet_fields=["author_id"]) == {
        "meta": {"result_count": 0}
    }


def test_concurrent_clients_share_one_consistent_sandbox(new_sandbox):
    sandbox = new_sandbox(rate_limits=False)
    users = [sandbox.add_user(f"agent{n}") for n in range(4)]

    def work(user):
        x = sandbox.platform(user)
        return [x.create_post(f"{user.username} update {i}").id for i in range(25)]

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(work, users))
    ids = [i for batch in results for i in batch]
    assert len(set(ids)) == 100
    assert len(sandbox.posts()) == 100
    for user, batch in zip(users, results, strict=True):
        assert [p.id for p in sandbox.posts(author=user)] == list(reversed(batch))


def test_unknown_fault_kind_is_refused(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="unknown fault kind 'error'"):
        sandbox.fail_next("error")  # type: ignore[arg-type]
