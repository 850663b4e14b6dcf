"""Pay-per-use billing: what a bot's calls would cost on X in 2026."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from socialcare.sandbox import PRICES
from socialcare.testing import assert_cost_at_most


def test_writes_are_billed_by_kind(sandbox):
    acme = sandbox.add_user("acme")
    ann = sandbox.add_user("ann")
    question = sandbox.add_post(ann, "@acme my order?")
    x = sandbox.platform(acme)
    x.create_post("Status page is green")
    x.create_post("Details at https://status.acme.com/today")
    x.create_post("On its way!", in_reply_to=question.id)
    x.send_dm(ann.id, "Tracking number follows")
    usage = sandbox.usage(acme)
    assert usage.counts == {
        "post_create": 1,
        "post_create_with_url": 1,
        "summoned_reply": 1,
        "dm_create": 1,
    }
    assert usage.total == Decimal("0.015") + Decimal("0.200") + Decimal("0.010") + Decimal("0.015")
    # A link costs about 13x a plain post.
    assert PRICES["post_create_with_url"] / PRICES["post_create"] > 13


def test_reads_are_billed_per_resource_once_a_day(sandbox):
    acme = sandbox.add_user("acme")
    customers = [sandbox.add_user(f"c{n}") for n in range(3)]
    posts = [sandbox.add_post(c, f"@acme help {n}") for n, c in enumerate(customers)]
    x = sandbox.platform(acme)
    x.get_posts([p.id for p in posts])
    x.get_posts([p.id for p in posts])  # same day: deduplicated
    usage = sandbox.usage("app")
    assert usage.counts["post_read"] == 3
    # Authors and the mentioned brand come back as expanded users.
    assert usage.counts["user_read"] == 4
    sandbox.advance(days=1)
    x.get_posts([posts[0].id])
    assert sandbox.usage("app").counts["post_read"] == 4
    assert sandbox.usage(acme).total == 0


def test_own_mentions_are_owned_reads_from_2026_04_20(new_sandbox):
    sandbox = new_sandbox(start=dt.datetime(2026, 5, 1, tzinfo=dt.timezone.utc))
    acme = sandbox.add_user("acme")
    ann = sandbox.add_user("ann")
    sandbox.add_post(ann, "@acme hello")
    sandbox.platform(acme, app_reads=False).mentions(acme.id)
    counts = sandbox.usage(acme).counts
    assert counts["owned_read"] == 1
    assert "post_read" not in counts


def test_assert_cost_at_most_itemizes_the_bill(sandbox):
    acme = sandbox.add_user("acme")
    x = sandbox.platform(acme)
    x.create_post("See https://status.acme.com/today")
    assert assert_cost_at_most(sandbox, "0.20", user="acme") == Decimal("0.200")
    with pytest.raises(AssertionError, match="post_create_with_url: 1"):
        assert_cost_at_most(sandbox, 0.05)


def _mentioned_by_51(new_sandbox):
    sandbox = new_sandbox()  # 2026-01-01: before owned reads, every post read is $0.005
    acme = sandbox.add_user("acme")
    for n in range(51):
        sandbox.add_post(sandbox.add_user(f"cust{n}"), f"@acme order {n} is late")
    return sandbox, acme


@pytest.mark.parametrize(
    ("expansions", "users", "cost"),
    [
        (None, 52, "0.775"),  # the default: 51 authors + the mentioned brand
        (("author_id",), 51, "0.765"),
        ((), 0, "0.255"),  # the posts alone
    ],
)
def test_a_page_of_mentions_costs_what_it_expands(new_sandbox, expansions, users, cost):
    sandbox, acme = _mentioned_by_51(new_sandbox)
    x = sandbox.platform(acme, app_reads=False)
    page = x.mentions(max_results=100, expansions=expansions)
    assert len(page) == 51
    assert len(page.includes.users) == users
    usage = sandbox.usage(acme)
    assert usage.counts.get("user_read", 0) == users
    assert usage.total == Decimal(cost)


def test_reads_are_deduplicated_per_app_and_utc_day(new_sandbox):
    sandbox, acme = _mentioned_by_51(new_sandbox)
    user_x = sandbox.platform(acme, app_reads=False)
    app_x = sandbox.platform(acme)  # reads with the app's bearer token
    user_x.mentions(max_results=100)
    first = sandbox.usage()
    assert first.total == Decimal("0.775")
    # The same posts and users again, through another endpoint and another token.
    app_x.search_recent("@acme", max_results=100)
    user_x.mentions(max_results=100, expansions=("author_id",))
    again = sandbox.usage() - first
    assert again.total == 0
    assert again.counts == {}
    # A new UTC day bills them again, once.
    sandbox.advance(days=1)
    before = sandbox.usage()
    app_x.search_recent("@acme", max_results=100, expansions=())
    app_x.search_recent("@acme", max_results=100, expansions=())
    day_two = sandbox.usage() - before
    assert day_two.counts == {"post_read": 51}
    assert day_two.total == Decimal("0.255")
    assert sandbox.usage("app").counts["post_read"] == 51
    assert sandbox.usage(acme).counts["post_read"] == 51


def test_an_owned_read_and_a_post_read_of_one_post_bill_once(new_sandbox):
    sandbox = new_sandbox(start=dt.datetime(2026, 5, 1, tzinfo=dt.timezone.utc))
    acme = sandbox.add_user("acme")
    post = sandbox.add_post(sandbox.add_user("ann"), "@acme hello")
    user_x = sandbox.platform(acme, app_reads=False)
    user_x.mentions(expansions=())
    user_x.get_posts([post.id], expansions=())
    assert sandbox.usage().counts == {"owned_read": 1}
