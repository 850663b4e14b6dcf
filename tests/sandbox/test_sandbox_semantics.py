"""The sandbox applies X's 2026 rules: windows, bounds, limits, threading, ids."""

from __future__ import annotations

import datetime as dt

import pytest

from socialcare._clock import SystemClock
from socialcare.errors import InvalidRequestError, RateLimitError, ReplyNotPermittedError
from socialcare.platforms import iter_items
from socialcare.query import Query
from socialcare.sandbox import LIMITS, Sandbox
from socialcare.sandbox._ids import snowflake_time

UTC = dt.timezone.utc


@pytest.fixture
def acme(sandbox):
    return sandbox.add_user("acme")


def test_ids_increase_with_time_and_encode_it(sandbox, acme):
    first = sandbox.add_post(acme, "one")
    same_instant = sandbox.add_post(acme, "two")
    sandbox.clock.advance(3)
    later = sandbox.add_post(acme, "three")
    assert int(first.id) < int(same_instant.id) < int(later.id)
    assert snowflake_time(int(later.id)) == sandbox.clock.now()


def test_recent_search_sees_only_the_last_7_days(sandbox, acme):
    ann = sandbox.add_user("ann")
    old = sandbox.add_post(ann, "@acme refund please")
    sandbox.clock.advance(days=8)
    new = sandbox.add_post(ann, "@acme refund still missing")
    sandbox.clock.advance(60)
    x = sandbox.platform(acme)
    assert [p.id for p in x.search_recent("refund")] == [new.id]
    assert [p.id for p in x.search_all("refund")] == [new.id, old.id]


def test_recent_search_rejects_start_time_before_the_window(sandbox, acme):
    x = sandbox.platform(acme)
    too_old = sandbox.clock.now() - dt.timedelta(days=8)
    with pytest.raises(InvalidRequestError, match="start_time"):
        x.search_recent("refund", start_time=too_old)


def test_end_time_must_be_10_seconds_in_the_past(sandbox, acme):
    x = sandbox.platform(acme)
    with pytest.raises(InvalidRequestError, match="10 seconds"):
        x.search_recent("refund", end_time=sandbox.clock.now())


def test_time_and_id_bounds(sandbox, acme):
    ann = sandbox.add_user("ann")
    posts = []
    for n in range(6):
        posts.append(sandbox.add_post(ann, f"delivery update {n}"))
        sandbox.clock.advance(minutes=10)
    x = sandbox.platform(acme)
    ids = [p.id for p in x.search_recent("delivery", since_id=posts[1].id, until_id=posts[4].id)]
    assert ids == [posts[3].id, posts[2].id]
    start = posts[2].created_at
    end = posts[5].created_at
    assert start is not None
    assert end is not None
    ids = [p.id for p in x.search_recent("delivery", start_time=start, end_time=end)]
    assert ids == [posts[4].id, posts[3].id, posts[2].id]
    with pytest.raises(InvalidRequestError):
        x.search_recent("delivery", since_id=posts[4].id, until_id=posts[1].id)


def test_search_pagination_is_stable_while_new_posts_arrive(sandbox, acme):
    ann = sandbox.add_user("ann")
    posts = [sandbox.add_post(ann, f"outage report {n}") for n in range(25)]
    sandbox.clock.advance(60)
    x = sandbox.platform(acme)
    first = x.search_recent("outage", max_results=10)
    sandbox.add_post(ann, "outage report late")
    sandbox.clock.advance(60)
    second = x.search_recent("outage", max_results=10, next_token=first.next_token)
    assert [p.id for p in first] + [p.id for p in second] == [p.id for p in reversed(posts)][:20]


def test_query_language_is_the_librarys(sandbox, acme):
    ann = sandbox.add_user("ann")
    bob = sandbox.add_user("bob")
    hit = sandbox.add_post(ann, "@acme my router is broken #help")
    sandbox.add_post(bob, "@acme my router works fine")
    sandbox.add_post(ann, "router broken but not telling acme")
    reply = sandbox.add_post(acme, "@ann sorry about the router", in_reply_to=hit)
    sandbox.clock.advance(60)
    x = sandbox.platform(acme)
    assert [p.id for p in x.search_recent("@acme broken")] == [hit.id]
    assert [p.id for p in x.search_recent("router from:bob")] == [sandbox.posts(author=bob)[0].id]
    assert [p.id for p in x.search_recent("#help")] == [hit.id]
    assert [p.id for p in x.search_recent("router is:reply")] == [reply.id]
    assert [p.id for p in x.search_recent(f"conversation_id:{hit.id}")] == [reply.id, hit.id]
    query = Query.parse('"is broken" -from:bob')
    assert [p.id for p in x.search_recent(query)] == [hit.id]


def test_query_errors_and_the_512_character_limit(sandbox, acme):
    x = sandbox.platform(acme)
    with pytest.raises(InvalidRequestError):
        x.search_recent("(unbalanced")
    long_query = " OR ".join(f"word{n:04d}" for n in range(60))
    assert 512 < len(long_query) <= 1024
    with pytest.raises(InvalidRequestError, match="too long"):
        x.search_recent(long_query)
    assert list(x.search_all(long_query)) == []


def test_mentions_timeline_is_capped_at_the_800_most_recent(new_sandbox):
    sandbox = new_sandbox(rate_limits=False)
    acme = sandbox.add_user("acme")
    ann = sandbox.add_user("ann")
    posts = [sandbox.add_post(ann, f"@acme ping {n}") for n in range(810)]
    x = sandbox.platform(acme)
    got = list(iter_items(lambda t: x.mentions(acme.id, max_results=100, next_token=t)))
    assert len(got) == 800
    assert got[-1].id == posts[10].id
    newer = x.mentions(acme.id, since_id=posts[0].id, max_results=100)
    assert newer.items[0].id == posts[-1].id


def test_replies_inherit_the_conversation(sandbox, acme):
    ann = sandbox.add_user("ann")
    root = sandbox.add_post(ann, "@acme internet down")
    x = sandbox.platform(acme)
    first = x.create_post("@ann Sorry! Which area?", in_reply_to=root.id)
    follow = sandbox.add_post(ann, "@acme Leeds", in_reply_to=first.id)
    second = x.create_post("@ann Thanks, engineers are on it", in_reply_to=follow.id)
    stored = sandbox.post(second.id)
    assert stored is not None
    assert stored.conversation_id == root.id
    assert stored.in_reply_to_user_id == ann.id
    assert [p.id for p in x.mentions(ann.id)] == [second.id, first.id]


def test_summoned_rule_applies_to_the_post_replied_to_not_the_thread(sandbox, acme):
    ann = sandbox.add_user("ann")
    root = sandbox.add_post(ann, "@acme internet down")
    x = sandbox.platform(acme)
    x.create_post("Which area?", in_reply_to=root.id)
    # Stored verbatim: a follow-up from which ann removed the @acme X would add.
    follow_up = sandbox.add_post(ann, "Leeds", in_reply_to=root.id, verbatim=True)
    assert follow_up.text == "Leeds"
    with pytest.raises(ReplyNotPermittedError):
        x.create_post("Thanks", in_reply_to=follow_up.id)


def test_post_length_uses_weighted_length(sandbox, acme):
    x = sandbox.platform(acme)
    x.create_post("a" * 280)
    with pytest.raises(InvalidRequestError, match="too long"):
        x.create_post("b" * 281)
    # Each CJK character weighs 2: 140 fit, 141 do not.
    x.create_post("漢" * 140)
    with pytest.raises(InvalidRequestError):
        x.create_post("字" * 141)


def test_created_posts_get_entities(sandbox, acme):
    sandbox.add_user("ann")
    post = sandbox.platform(acme).create_post(
        "@ann see #status $ACME https://status.acme.com/today"
    )
    stored = sandbox.post(post.id)
    assert stored is not None
    assert [m.username for m in stored.entities.mentions] == ["ann"]
    assert stored.entities.mentions[0].id == sandbox.user("ann").id
    assert [h.tag for h in stored.entities.hashtags] == ["status"]
    assert [c.tag for c in stored.entities.cashtags] == ["ACME"]
    assert len(stored.entities.urls) == 1


def test_dm_length_limit(sandbox, acme):
    ann = sandbox.add_user("ann")
    x = sandbox.platform(acme)
    x.send_dm(ann.id, "x" * 10_000)
    with pytest.raises(InvalidRequestError, match="10000"):
        x.send_dm(ann.id, "x" * 10_001)


def test_dm_deep_link_is_recorded(sandbox, acme):
    x = sandbox.platform(acme)
    link = f"https://twitter.com/messages/compose?recipient_id={acme.id}"
    post = x.create_post("Need help? DM us", direct_message_deep_link=link)
    assert sandbox.deep_link(post.id) == link


def test_rate_limit_numbers_are_xs():
    assert LIMITS["GET /2/tweets/search/recent"].app == 450
    assert LIMITS["GET /2/users/:id/mentions"].user == 300
    assert LIMITS["GET /2/tweets"].app == 3500
    assert LIMITS["POST /2/tweets"].user == 100
    assert LIMITS["POST /2/dm_conversations/with/:participant_id/messages"].user == 15


def test_create_post_limit_is_100_per_15_minutes_per_user(sandbox, acme):
    x = sandbox.platform(acme, max_rate_limit_wait=0)
    for n in range(100):
        x.create_post(f"status {n}")
    state = x.rate_limits()["POST /2/tweets"]
    assert (state.limit, state.remaining) == (100, 0)
    with pytest.raises(RateLimitError):
        x.create_post("one too many")
    sandbox.clock.advance(minutes=15)
    x.create_post("after the reset")


def test_recent_search_limit_is_per_app_450(sandbox, acme):
    x = sandbox.platform(acme, max_rate_limit_wait=0)
    x.search_recent("anything")
    assert x.rate_limits()["GET /2/tweets/search/recent"].limit == 450


def test_users_and_fault_arguments_are_checked(sandbox):
    with pytest.raises(ValueError, match="username"):
        sandbox.add_user("not a handle")
    sandbox.add_user("acme")
    with pytest.raises(ValueError, match="taken"):
        sandbox.add_user("ACME")
    with pytest.raises(ValueError, match="endpoint"):
        sandbox.fail_next("timeout", endpoint="GET /nope")
    with pytest.raises(KeyError):
        sandbox.user("nobody")


def test_manual_clock_default_start(sandbox):
    assert sandbox.clock.now() == dt.datetime(2026, 1, 1, tzinfo=UTC)


def test_keyword_search_no_longer_returns_retweets(sandbox, acme):
    # X, 2026-05-04: "retweets are no longer returned in keyword-based search results".
    ann = sandbox.add_user("ann")
    bob = sandbox.add_user("bob")
    original = sandbox.add_post(ann, "acme outage downtown")
    retweet = sandbox.add_post(bob, "RT @ann: acme outage downtown", retweet_of=original)
    sandbox.clock.advance(60)
    x = sandbox.platform(acme)
    assert [p.id for p in x.search_recent("outage")] == [original.id]
    assert [p.id for p in x.search_recent("outage is:retweet")] == [retweet.id]
    assert [p.id for p in x.search_recent("from:bob")] == [retweet.id]


def test_self_serve_posts_carry_at_most_one_cashtag(new_sandbox):
    sandbox = new_sandbox()
    acme = sandbox.add_user("acme")
    x = sandbox.platform(acme)
    x.create_post("Earnings call today $ACME")
    with pytest.raises(InvalidRequestError, match="cashtag"):
        x.create_post("Compare $ACME and $BETA")
    enterprise = new_sandbox(enterprise=True)
    corp = enterprise.add_user("corp")
    enterprise.platform(corp).create_post("Compare $ACME and $BETA")


def test_reply_settings_bind_every_tier(new_sandbox):
    sandbox = new_sandbox(enterprise=True)
    acme = sandbox.add_user("acme")
    vip = sandbox.add_user("vip", verified=True)
    ann = sandbox.add_user("ann")
    closed = sandbox.seed_x(
        {
            "data": {
                "id": "1900000000000000000",
                "text": "only people I mention may reply",
                "author_id": ann.id,
                "reply_settings": "mentionedUsers",
                "created_at": "2025-12-31T00:00:00.000Z",
            }
        }
    )[0][0]
    verified_only = sandbox.add_post(ann, "verified accounts only")
    sandbox._world.put_post(
        {**sandbox._world.post(verified_only.id).raw, "reply_settings": "verified"}
    )
    with pytest.raises(ReplyNotPermittedError):
        sandbox.platform(acme).create_post("hi", in_reply_to=closed)
    with pytest.raises(ReplyNotPermittedError):
        sandbox.platform(acme).create_post("hi", in_reply_to=verified_only.id)
    sandbox.platform(vip).create_post("hello", in_reply_to=verified_only.id)


def test_advance_moves_a_manual_clock_only(new_sandbox):
    sandbox = new_sandbox()
    start = sandbox.clock.now()
    assert sandbox.advance(minutes=5) == start + dt.timedelta(minutes=5)
    live = Sandbox(clock=SystemClock())
    with pytest.raises(TypeError, match="ManualClock"):
        live.advance(1)


@pytest.mark.parametrize("implicit", [False, True])
def test_reply_to_the_brand_without_a_mention_summons_only_if_configured(new_sandbox, implicit):
    sandbox = new_sandbox(implicit_reply_summons=implicit)
    acme = sandbox.add_user("acme")
    ann = sandbox.add_user("ann")
    announcement = sandbox.add_post(acme, "Maintenance tonight")
    # A reply whose stored text carries no @acme (X adds one: stored verbatim here).
    question = sandbox.add_post(
        ann, "how long will it take?", in_reply_to=announcement, verbatim=True
    )
    x = sandbox.platform(acme)
    if implicit:
        x.create_post("About an hour", in_reply_to=question.id)
    else:
        with pytest.raises(ReplyNotPermittedError):
            x.create_post("About an hour", in_reply_to=question.id)
