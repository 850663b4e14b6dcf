"""XPlatform reads through real tweepy: pagination, batching, partial errors, auth, secrets."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from socialcare.errors import ConfigurationError
from socialcare.models import DirectMessage, Page, Post, User
from socialcare.platforms import Platform, RateLimit, iter_items, iter_pages
from socialcare.platforms.x import ENV_VARS, XPlatform


@pytest.fixture
def brand(sandbox):
    acme = sandbox.add_user("acme")
    customers = [sandbox.add_user(f"cust{n}") for n in range(30)]
    posts = []
    for n, customer in enumerate(customers):
        posts.append(sandbox.add_post(customer, f"@acme order {n} is late"))
        sandbox.clock.advance(60)
    return sandbox, acme, customers, posts


def test_xplatform_satisfies_the_platform_protocol(brand):
    sandbox, acme, _, _ = brand
    assert isinstance(sandbox.platform(acme), Platform)


def test_mentions_paginate_newest_first_to_exhaustion(brand):
    sandbox, acme, _, posts = brand
    x = sandbox.platform(acme)
    pages = list(iter_pages(lambda token: x.mentions(acme.id, max_results=7, next_token=token)))
    assert [len(p) for p in pages] == [7, 7, 7, 7, 2]
    ids = [post.id for page in pages for post in page]
    assert ids == [p.id for p in reversed(posts)]
    assert pages[0].newest_id == posts[-1].id
    assert pages[-1].next_token is None


def test_iter_items_stops_at_the_limit_without_extra_requests(brand):
    sandbox, acme, _, posts = brand
    x = sandbox.platform(acme)
    before = len(sandbox.calls)
    got = list(iter_items(lambda t: x.mentions(acme.id, max_results=10, next_token=t), limit=15))
    assert [p.id for p in got] == [p.id for p in reversed(posts)][:15]
    assert len(sandbox.calls) - before == 2


def test_iter_pages_max_pages(brand):
    sandbox, acme, _, _ = brand
    x = sandbox.platform(acme)
    pages = list(
        iter_pages(lambda t: x.mentions(acme.id, max_results=5, next_token=t), max_pages=2)
    )
    assert len(pages) == 2


def test_mentions_since_id_returns_only_newer(brand):
    sandbox, acme, _, posts = brand
    page = sandbox.platform(acme).mentions(acme.id, since_id=posts[26].id, max_results=100)
    assert [p.id for p in page] == [posts[29].id, posts[28].id, posts[27].id]


def test_mentions_come_with_authors_expanded(brand):
    sandbox, acme, customers, _ = brand
    page = sandbox.platform(acme).mentions(acme.id, max_results=5)
    newest = page.items[0]
    author = page.includes.user(newest.author_id)
    assert author == sandbox.user(customers[-1])
    assert newest.created_at is not None
    assert newest.conversation_id == newest.id
    assert newest.entities.mentions[0].username == "acme"


def test_get_posts_batches_by_100_and_reports_missing_ids(brand):
    sandbox, acme, customers, posts = brand
    for n in range(200):
        posts.append(sandbox.add_post(customers[n % 30], f"status {n}"))
    sandbox.platform(customers[0]).delete_post(posts[0].id)
    x = sandbox.platform(acme)
    wanted = [p.id for p in posts] + ["42", "43"]
    before = len(sandbox.calls)
    page = x.get_posts(wanted)
    assert len(sandbox.calls) - before == 3  # 232 ids -> 100 + 100 + 32
    assert [p.id for p in page] == [p.id for p in posts[1:]]
    assert sorted(e.resource_id for e in page.errors) == sorted([posts[0].id, "42", "43"])
    assert all(e.is_not_found for e in page.errors)
    assert {u.id for u in page.includes.users} >= {c.id for c in customers}


def test_get_posts_rejects_bad_ids_before_sending(brand):
    sandbox, acme, _, _ = brand
    x = sandbox.platform(acme)
    with pytest.raises(ValueError, match="digits"):
        x.get_posts(["12", "abc"])
    with pytest.raises(TypeError):
        x.get_posts("123")


def test_get_users_reports_unknown_ids(brand):
    sandbox, acme, customers, _ = brand
    page = sandbox.platform(acme).get_users([customers[0].id, "77", acme.id])
    assert [u.username for u in page] == ["cust0", "acme"]
    assert [e.resource_id for e in page.errors] == ["77"]


def test_receives_your_dm_is_relative_to_the_acting_user(sandbox):
    acme = sandbox.add_user("acme")
    shy = sandbox.add_user("shy", receives_dms=False)
    x = sandbox.platform(acme, app_reads=False)
    assert x.get_users([shy.id]).items[0].receives_your_dm is False
    sandbox.add_dm(shy, acme, "hello")
    assert x.get_users([shy.id]).items[0].receives_your_dm is True


def test_dm_events_newest_first_with_since_id_and_participant(sandbox):
    acme = sandbox.add_user("acme")
    ann = sandbox.add_user("ann")
    bob = sandbox.add_user("bob")
    x = sandbox.platform(acme)
    first = x.send_dm(ann.id, "hi ann")
    sandbox.clock.advance(5)
    sandbox.add_dm(ann, acme, "order 991")
    sandbox.clock.advance(5)
    x.send_dm(bob.id, "hi bob")
    everything = x.dm_events()
    assert [d.text for d in everything] == ["hi bob", "order 991", "hi ann"]
    assert all(isinstance(d, DirectMessage) for d in everything)
    with_ann = x.dm_events(participant_id=ann.id)
    assert [d.text for d in with_ann] == ["order 991", "hi ann"]
    assert with_ann.items[0].sender_id == ann.id
    assert with_ann.includes.user(ann.id) is not None
    newer = x.dm_events(since_id=first.id)
    assert [d.text for d in newer] == ["hi bob", "order 991"]
    assert newer.next_token is None


def test_dm_events_paginate(sandbox):
    acme = sandbox.add_user("acme")
    ann = sandbox.add_user("ann")
    for n in range(5):
        sandbox.add_dm(ann, acme, f"message {n}")
        sandbox.clock.advance(1)
    x = sandbox.platform(acme)
    texts = [d.text for d in iter_items(lambda t: x.dm_events(max_results=2, next_token=t))]
    assert texts == [f"message {n}" for n in reversed(range(5))]


def test_dm_events_older_than_30_days_are_gone(sandbox):
    acme = sandbox.add_user("acme")
    ann = sandbox.add_user("ann")
    sandbox.add_dm(ann, acme, "old")
    sandbox.clock.advance(days=31)
    sandbox.add_dm(ann, acme, "new")
    assert [d.text for d in sandbox.platform(acme).dm_events()] == ["new"]


def test_oauth2_user_token_writes_and_reads(sandbox):
    acme = sandbox.add_user("acme")
    x = sandbox.platform(acme, auth="oauth2", app_reads=False)
    assert x.me() == sandbox.user(acme)
    post = x.create_post("Hello from OAuth 2.0")
    assert post.author_id == acme.id
    assert sandbox.post(post.id) is not None
    page = x.search_all("hello")
    assert [p.id for p in page] == [post.id]


def test_rate_limits_are_typed_frozen_snapshots(sandbox):
    acme = sandbox.add_user("acme")
    x = sandbox.platform(acme)
    x.mentions(acme.id)
    x.mentions(acme.id)
    limits = x.rate_limits()
    state = limits["GET /2/users/:id/mentions"]
    assert isinstance(state, RateLimit)
    assert (state.limit, state.remaining) == (450, 448)
    assert state.reset_at == dt.datetime(2026, 1, 1, 0, 15, tzinfo=dt.timezone.utc)
    assert not state.exhausted
    with pytest.raises(AttributeError):
        state.remaining = 3  # type: ignore[misc]
    x.mentions(acme.id)
    assert limits["GET /2/users/:id/mentions"].remaining == 448  # a snapshot
    assert x.rate_limits()["GET /2/users/:id/mentions"].remaining == 447


def test_user_context_reads_count_against_the_user_limit(sandbox):
    acme = sandbox.add_user("acme")
    x = sandbox.platform(acme, app_reads=False)
    x.mentions(acme.id)
    assert x.rate_limits()["GET /2/users/:id/mentions"].limit == 300


def test_credentials_from_environment(sandbox):
    acme = sandbox.add_user("acme")
    creds = sandbox.credentials(acme)
    env = {
        ENV_VARS["bearer_token"]: creds.bearer_token,
        ENV_VARS["consumer_key"]: creds.consumer_key,
        ENV_VARS["consumer_secret"]: creds.consumer_secret,
        ENV_VARS["access_token"]: creds.access_token,
        ENV_VARS["access_token_secret"]: creds.access_token_secret,
    }
    x = XPlatform.from_env(env, clock=sandbox.clock, transport=sandbox.transport())
    assert x.me().id == acme.id


def test_missing_or_partial_credentials_are_configuration_errors():
    with pytest.raises(ConfigurationError, match="SOCIALCARE_X_"):
        XPlatform.from_env({})
    with pytest.raises(ConfigurationError, match="access_token_secret"):
        XPlatform(consumer_key="a", consumer_secret="b", access_token="c")


def test_secrets_never_appear_in_repr_or_logs(sandbox, caplog):
    acme = sandbox.add_user("acme")
    creds = sandbox.credentials(acme)
    x = XPlatform(
        bearer_token=creds.bearer_token,
        consumer_key=creds.consumer_key,
        consumer_secret=creds.consumer_secret,
        access_token=creds.access_token,
        access_token_secret=creds.access_token_secret,
        clock=sandbox.clock,
        transport=sandbox.transport(),
    )
    secrets = [
        creds.bearer_token,
        creds.consumer_key,
        creds.consumer_secret,
        creds.access_token,
        creds.access_token_secret,
    ]
    with caplog.at_level(logging.DEBUG):
        x.mentions(acme.id)
        x.create_post("hello")
        sandbox.fail_next("server_error")
        x.mentions(acme.id)
    logged = caplog.text + "".join(repr(r.args) for r in caplog.records)
    assert "Making API request" in logged  # tweepy did log, with headers
    for text in (logged, repr(x), repr(creds)):
        for secret in secrets:
            assert secret not in text


def test_page_types(brand):
    sandbox, acme, _, _ = brand
    x = sandbox.platform(acme)
    page = x.search_recent("order", max_results=10)
    assert isinstance(page, Page)
    assert all(isinstance(p, Post) for p in page)
    assert isinstance(x.me(), User)


@pytest.mark.parametrize("host", ["https://api.x.com", "https://api.twitter.com"])
def test_requests_go_to_the_chosen_host_and_oauth1_signs_it(sandbox, host):
    acme = sandbox.add_user("acme")
    x = sandbox.platform(acme, api_host=host)
    x.create_post("signed for the right host")
    x.mentions(acme.id)
    assert {c.url.split("/2/")[0] for c in sandbox.calls} == {host}
    assert [c.status for c in sandbox.calls] == [201, 200]


def test_api_host_must_be_a_url():
    with pytest.raises(ValueError, match="api_host"):
        XPlatform(bearer_token="t", api_host="api.x.com")
