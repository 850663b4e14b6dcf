"""What a monitor pays X (issue 15): expansions per stream, billed price, authors not re-read."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Iterable
from decimal import Decimal
from typing import cast

import pytest

from socialcare import Alert, CallbackSink, ManualClock, Monitor, Post, Stream, User
from socialcare.models import Page
from socialcare.platforms import Platform
from socialcare.platforms.x import MENTIONS, PRICES, SEARCH_RECENT, Usage, XPlatform
from socialcare.sandbox import Sandbox
from socialcare.storage import MemoryStore

POST = PRICES["post_read"].usd
USER = PRICES["user_read"].usd
OWNED = PRICES["owned_read"].usd


def _params(sandbox: Sandbox, endpoint: str) -> list[dict[str, str]]:
    """The query parameters of every call to ``endpoint``, in order."""
    return [
        dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(call.url).query))
        for call in sandbox.calls
        if call.endpoint == endpoint
    ]


def _monitor(sandbox: Sandbox, clock: ManualClock, **options: object) -> Monitor:
    store = options.pop("store", None) or MemoryStore(clock=clock)
    return Monitor(sandbox.platform("acme"), store, clock=clock, **options)  # type: ignore[arg-type]


# -- 1. expansions chosen per stream and per monitor, passed through to the reads --------------


def test_a_streams_expansions_reach_the_request(sandbox: Sandbox, clock: ManualClock) -> None:
    sandbox.add_post("ann", "acme help")
    clock.advance(5)
    monitor = _monitor(sandbox, clock)
    monitor.add_search("expanded", "acme", expansions=["author_id"])
    monitor.add_search("bare", "help", expansions=())
    monitor.add_search("policy", "router")
    monitor.run_once()
    asked = {p["query"]: p.get("expansions") for p in _params(sandbox, SEARCH_RECENT.name)}
    assert asked == {"acme": "author_id", "help": None, "router": None}  # never packed together


def test_monitor_expansions_are_the_default_of_its_streams(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    sandbox.add_post("ann", "@acme hello")
    clock.advance(5)
    monitor = _monitor(sandbox, clock, expansions=["author_id", "entities.mentions.username"])
    monitor.add_mentions()
    monitor.add_search("mine", "hello", expansions=["author_id"])
    monitor.run_once()
    assert [p.get("expansions") for p in _params(sandbox, MENTIONS.name)] == [
        "author_id,entities.mentions.username"
    ]
    assert [p.get("expansions") for p in _params(sandbox, SEARCH_RECENT.name)] == ["author_id"]


def test_unknown_expansions_are_refused_before_any_request(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    with pytest.raises(ValueError, match="pinned_tweet_id"):
        Stream.search("s", "acme", expansions=["pinned_tweet_id"])
    with pytest.raises(ValueError, match=r"geo\.nowhere"):
        Stream.mentions(expansions=["geo.nowhere"])
    with pytest.raises(TypeError, match="collection"):
        Monitor(sandbox.platform("acme"), MemoryStore(clock=clock), expansions="author_id")
    assert sandbox.calls == []


class _FixedReads:
    """A platform whose reads take no ``expansions`` (a third-party Platform)."""

    def __init__(self, inner: XPlatform) -> None:
        self._inner = inner

    def search_recent(
        self,
        query: str,
        *,
        since_id: str | None = None,
        until_id: str | None = None,
        start_time: dt.datetime | None = None,
        end_time: dt.datetime | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> Page[Post]:
        return self._inner.search_recent(
            query,
            since_id=since_id,
            until_id=until_id,
            start_time=start_time,
            end_time=end_time,
            max_results=max_results,
            next_token=next_token,
            expansions=(),
        )

    def get_users(self, ids: Iterable[str]) -> Page[User]:
        return self._inner.get_users(ids)

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)


def test_a_platform_without_expansions_is_read_as_it_reads(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    sandbox.add_post("ann", "acme help")
    clock.advance(5)
    platform = cast("Platform", _FixedReads(sandbox.platform("acme")))
    monitor = Monitor(platform, MemoryStore(clock=clock), clock=clock)
    monitor.add_search("brand", "acme")
    alerts: list[Alert] = []
    monitor.add_sink(CallbackSink(alerts.append))
    report = monitor.run_once()
    assert (report.errors, report.delivered) == ((), 1)
    assert [a.author.username if a.author else None for a in alerts] == ["ann"]


# -- 2. the billed price of a cycle -----------------------------------------------------------


def test_cycle_cost_is_what_the_ledger_billed(sandbox: Sandbox, clock: ManualClock) -> None:
    sandbox.add_post("ann", "@acme my router")
    sandbox.add_post("bob", "@acme my modem")
    clock.advance(5)
    # user context only: X bills one's own mentions as owned reads ($0.001, not $0.005)
    platform = sandbox.platform("acme", app_reads=False)
    monitor = Monitor(platform, MemoryStore(clock=clock), clock=clock)
    monitor.add_mentions()
    before = sandbox.usage()
    first = monitor.run_once()
    billed = sandbox.usage() - before
    assert first.cost_basis == "billed"
    assert first.usage == billed
    assert first.cost == billed.total
    # own mentions at the owned-read price; me() and the two authors as user reads
    assert billed.counts == {"owned_read": 2, "user_read": 3}
    assert first.cost == 2 * OWNED + 3 * USER
    assert first.to_record()["cost_basis"] == "billed"
    sandbox.add_post("ann", "@acme still broken")
    clock.advance(120)
    second = monitor.run_once()
    assert second.usage == Usage(counts={"owned_read": 1}, total=OWNED)  # ann is known
    clock.advance(120)
    idle = monitor.run_once()
    assert (idle.cost, idle.cost_basis) == (Decimal(0), "billed")


def test_the_ledger_dedupes_reads_per_utc_day_and_the_report_follows(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    sandbox.add_post("ann", "acme one")
    clock.advance(5)
    monitor = _monitor(sandbox, clock, expansions=["author_id"])
    monitor.add_search("a", "acme")
    monitor.add_search("b", "one", expansions=["author_id", "entities.mentions.username"])
    first = monitor.run_once()  # both streams read ann's post and expand ann
    assert first.usage is not None
    assert first.usage.counts == {"post_read": 1, "user_read": 2}  # the post once, acme, ann
    sandbox.add_post("ann", "acme two")
    clock.advance(days=1)
    later = monitor.run_once()  # a new UTC day: ann expanded, so billed again
    assert later.usage is not None
    assert later.usage.counts == {"post_read": 1, "user_read": 1}


# -- 3. users already in the store are not read again -----------------------------------------


def test_authors_in_the_store_are_not_read_again(sandbox: Sandbox, clock: ManualClock) -> None:
    ann = sandbox.user("ann")
    store = MemoryStore(clock=clock)
    store.upsert_users([ann])
    sandbox.add_post("ann", "acme help")
    sandbox.add_post("bob", "acme too")
    clock.advance(5)
    monitor = _monitor(sandbox, clock, store=store)
    monitor.add_search("brand", "acme")
    alerts: list[Alert] = []
    monitor.add_sink(CallbackSink(alerts.append))
    report = monitor.run_once()
    assert [p.get("ids") for p in _params(sandbox, "GET /2/users")] == [sandbox.user("bob").id]
    assert _params(sandbox, SEARCH_RECENT.name)[0].get("expansions") is None
    assert {a.author.username for a in alerts if a.author} == {"ann", "bob"}
    assert report.usage is not None
    assert report.usage.counts == {"post_read": 2, "user_read": 2}  # me() and bob only
    assert store.get_user(sandbox.user("bob").id) == sandbox.user("bob")
    sandbox.add_post("bob", "acme again")
    clock.advance(days=1)  # a new UTC day: an expansion would bill bob again
    again = monitor.run_once()
    assert again.usage == Usage(counts={"post_read": 1}, total=POST)
    assert len(_params(sandbox, "GET /2/users")) == 1


def test_the_author_policy_is_cheaper_than_expanding_authors(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    """The same two days of posts, read by two monitors on two sandboxes: the bills differ."""

    def two_days(box: Sandbox, expansions: tuple[str, ...] | None) -> Decimal:
        for handle in ("dee", "eve"):
            box.add_user(handle)
        monitor = Monitor(
            box.platform("acme"), MemoryStore(clock=clock), clock=clock, expansions=expansions
        )
        monitor.add_search("brand", "acme")
        total = Decimal(0)
        for day in range(2):
            for handle in ("ann", "bob", "cy", "dee", "eve"):
                box.add_post(handle, f"acme day {day} from {handle}")
            clock.advance(5)
            total += monitor.run_once().cost
            clock.advance(days=1)
        return total

    policy = two_days(sandbox, None)
    other = Sandbox(clock=clock)
    for handle in ("acme", "ann", "bob", "cy"):
        other.add_user(handle)
    expanded = two_days(other, tuple(SEARCH_RECENT.expansions))
    assert policy == 10 * POST + 6 * USER  # me() and five authors, once
    assert expanded == 10 * POST + 11 * USER  # me() once, and five authors each day
    assert policy < expanded


def test_packed_streams_still_sort_by_author_without_expansions(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    sandbox.add_post("ann", "acme is down")
    sandbox.add_post("bob", "acme is down too")
    clock.advance(5)
    monitor = _monitor(sandbox, clock, expansions=())
    monitor.add_search("from_ann", "from:ann acme")
    monitor.add_search("down", "down")
    seen: dict[str, list[str]] = {"from_ann": [], "down": []}
    for name, got in seen.items():
        monitor.on(name)(lambda post, got=got: got.append(post.text))
    report = monitor.run_once()
    assert len(_params(sandbox, SEARCH_RECENT.name)) == 1  # packed
    assert report.errors == ()
    assert seen == {
        "from_ann": ["acme is down"],
        "down": ["acme is down", "acme is down too"],
    }


def test_nobody_is_read_for_posts_that_are_not_delivered(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    for handle in ("ann", "bob", "cy"):
        sandbox.add_post(handle, f"acme old from {handle}")
    sandbox.add_post("acme", "acme here: our own post")
    clock.advance(5)
    monitor = _monitor(sandbox, clock, start="now")
    monitor.add_search("brand", "acme")
    first = monitor.run_once()  # "now": what exists is not delivered, so no author is read
    assert first.delivered == 0
    assert first.usage is not None
    assert first.usage.counts.get("user_read") == 1  # me(), the brand, and nobody else
    assert _params(sandbox, "GET /2/users") == []
    sandbox.add_post("acme", "acme again: our own post")
    clock.advance(120)
    own = monitor.run_once()  # the brand's own posts are never inbound: nobody to read
    assert (own.delivered, _params(sandbox, "GET /2/users")) == (0, [])
