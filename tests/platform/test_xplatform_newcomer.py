"""What a new user hits first: handles, authors, full created posts, clear length limits."""

from __future__ import annotations

import httpx
import pytest

from socialcare.errors import ConfigurationError, InvalidRequestError, NotFoundError
from socialcare.models import Post, User
from socialcare.platforms import iter_posts_with_authors


def _requests(sandbox, endpoint):
    return [c for c in sandbox.calls if c.endpoint == endpoint]


def test_mentions_take_a_handle_resolved_once(sandbox):
    acme = sandbox.add_user("acme")
    ann = sandbox.add_user("ann")
    post = sandbox.add_post(ann, "@acme where is my parcel?")
    x = sandbox.platform(acme)
    assert [p.id for p in x.mentions("acme")] == [post.id]
    assert [p.id for p in x.mentions("@ACME")] == [post.id]
    assert len(_requests(sandbox, "GET /2/users/by/username/:username")) == 1
    assert [p.id for p in x.user_posts("ann")] == [post.id]
    assert x.user_by_username("@ann") == sandbox.user("ann")


def test_mentions_default_to_the_acting_user(sandbox):
    acme = sandbox.add_user("acme")
    ann = sandbox.add_user("ann")
    post = sandbox.add_post(ann, "@acme hello")
    for auth in ("oauth1", "oauth2"):
        assert [p.id for p in sandbox.platform(acme, auth=auth).mentions()] == [post.id]
    with pytest.raises(ConfigurationError):
        sandbox.platform().mentions()


def test_a_bad_or_unknown_handle_is_named(sandbox):
    acme = sandbox.add_user("acme")
    x = sandbox.platform(acme)
    with pytest.raises(ValueError, match="handle"):
        x.mentions("not a handle!")
    with pytest.raises(NotFoundError, match="nobody"):
        x.mentions("nobody")


def test_pages_keep_each_posts_author(sandbox):
    acme = sandbox.add_user("acme")
    customers = [sandbox.add_user(f"c{n}") for n in range(12)]
    for n, customer in enumerate(customers):
        sandbox.add_post(customer, f"@acme help {n}")
    x = sandbox.platform(acme)
    pairs = list(
        iter_posts_with_authors(lambda t: x.mentions(max_results=5, next_token=t), limit=11)
    )
    assert len(pairs) == 11
    for post, author in pairs:
        assert isinstance(post, Post)
        assert isinstance(author, User)
        assert author.id == post.author_id
        assert post.text.endswith(str(customers.index(sandbox.user(author.id))))
    # Without the author expansion there is nobody to join: None, not a wrong user.
    bare = list(iter_posts_with_authors(lambda t: x.mentions(next_token=t, expansions=()), limit=3))
    assert [author for _, author in bare] == [None, None, None]


def test_created_posts_carry_conversation_and_reply_target(sandbox):
    acme = sandbox.add_user("acme")
    ann = sandbox.add_user("ann")
    question = sandbox.add_post(ann, "@acme my order is late")
    x = sandbox.platform(acme)
    root = x.create_post("Status page is green")
    assert root.conversation_id == root.id
    assert root.author_id == acme.id
    # The parent was read through this platform: its conversation and author are known.
    x.mentions()
    reply = x.create_post("@ann on its way", in_reply_to=question.id)
    assert reply.replied_to_id == question.id
    assert reply.conversation_id == question.conversation_id == question.id
    assert reply.in_reply_to_user_id == ann.id
    assert reply.author_id == acme.id
    # A parent never read: full=True reads the new post back (one GET /2/tweets/:id).
    other = sandbox.add_post(ann, "@acme and another thing")
    fresh = sandbox.platform(acme)
    thin = fresh.create_post("@ann noted", in_reply_to=other.id)
    assert thin.conversation_id is None
    before = len(_requests(sandbox, "GET /2/tweets/:id"))
    full = fresh.create_post("@ann noted, again", in_reply_to=other.id, full=True)
    assert len(_requests(sandbox, "GET /2/tweets/:id")) == before + 1
    assert full.conversation_id == other.id
    assert full.in_reply_to_user_id == ann.id
    assert full.created_at == sandbox.clock.now()
    assert full == sandbox.post(full.id)


def test_too_long_text_is_refused_with_numbers_before_any_request(sandbox):
    acme = sandbox.add_user("acme")
    ann = sandbox.add_user("ann")
    x = sandbox.platform(acme)
    calls = len(sandbox.calls)
    with pytest.raises(InvalidRequestError, match=r"281 weighted characters.*at most 280") as post:
        x.create_post("b" * 281)
    assert (post.value.weighted_length, post.value.limit) == (281, 280)
    with pytest.raises(InvalidRequestError) as cjk:
        x.create_post("字" * 141)
    assert (cjk.value.weighted_length, cjk.value.limit) == (282, 280)
    # Every URL weighs 23, however long.
    x.create_post("see https://example.com/" + "a" * 300)
    with pytest.raises(InvalidRequestError, match="10001 characters") as dm:
        x.send_dm(ann.id, "x" * 10_001)
    assert (dm.value.weighted_length, dm.value.limit) == (10_001, 10_000)
    assert len(sandbox.calls) == calls + 1  # only the post that fit was sent


def test_the_sandbox_still_refuses_long_text_sent_around_the_client(sandbox):
    acme = sandbox.add_user("acme")
    token = sandbox.credentials(acme).user_token
    with sandbox.serve() as server, httpx.Client(base_url=server.url) as client:
        auth = {"Authorization": f"Bearer {token}"}
        too_long = client.post("/2/tweets", json={"text": "b" * 281}, headers=auth)
        assert too_long.status_code == 403
        assert "too long" in too_long.json()["detail"]


def test_expansions_are_checked_against_the_endpoint_table(sandbox):
    x = sandbox.platform(sandbox.add_user("acme"))
    with pytest.raises(ValueError, match="sender_id"):
        x.search_recent("hello", expansions=("sender_id",))
    with pytest.raises(TypeError, match="collection"):
        x.search_recent("hello", expansions="author_id")
    with pytest.raises(ValueError, match="nope"):
        sandbox.platform(expansions=("nope",))


def test_a_sandbox_platform_reads_the_bill_and_x_reports_none(sandbox):
    from socialcare.platforms.x import PRICES, Usage, XPlatform  # noqa: PLC0415

    acme = sandbox.add_user("acme")
    ann = sandbox.add_user("ann")
    sandbox.add_post(ann, "@acme hello")
    x = sandbox.platform(acme)
    before = x.usage()
    assert before == sandbox.usage()
    x.mentions(expansions=("author_id",))
    post, user = PRICES["post_read"].usd, PRICES["user_read"].usd
    assert x.usage() - before == Usage(counts={"post_read": 1, "user_read": 1}, total=post + user)
    assert x.usage() == sandbox.usage()
    assert XPlatform(bearer_token="not-a-real-token").usage() is None
