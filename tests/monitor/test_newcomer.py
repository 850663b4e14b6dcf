"""What a new user meets first (issue 15): the platform's clock, leases, sinks, start, price."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import cast

import pytest

from socialcare import Alert, CallbackSink, ConfigurationError, ManualClock, Monitor, Post
from socialcare.platforms import Platform
from socialcare.platforms.x import PRICES, XPlatform
from socialcare.sandbox import Sandbox
from socialcare.storage import MemoryStore


class _ClockedPlatform:
    """An XPlatform on the sandbox that exposes its clock (the optional ``clock`` attribute)."""

    def __init__(self, platform: XPlatform, clock: ManualClock) -> None:
        self._platform = platform
        self.clock = clock

    def __getattr__(self, name: str) -> object:
        return getattr(self._platform, name)


def _clocked(sandbox: Sandbox, clock: ManualClock) -> Platform:
    return cast("Platform", _ClockedPlatform(sandbox.platform("acme"), clock))


def test_monitor_takes_the_platforms_clock(sandbox: Sandbox, clock: ManualClock) -> None:
    sandbox.add_post("ann", "acme help")
    clock.advance(5)
    monitor = Monitor(_clocked(sandbox, clock), MemoryStore(clock=clock))  # no clock=
    assert monitor.clock is clock
    monitor.add_search("brand", "acme")
    assert monitor.run_once().delivered == 1
    sandbox.add_post("bob", "acme again")
    clock.advance(monitor.poll_interval)  # sandbox time, not system time, makes it due
    report = monitor.run_due()
    assert report.polled == ("brand",)
    assert report.delivered == 1


def test_with_block_releases_leases(sandbox: Sandbox, clock: ManualClock) -> None:
    store = MemoryStore(clock=clock)
    with Monitor(sandbox.platform("acme"), store, clock=clock, worker_id="cell-1") as monitor:
        monitor.add_search("brand", "acme")
        monitor.run_once()
        assert [lease.owner for lease in store.list_leases()] == ["cell-1"]
    assert store.list_leases() == []
    rerun = Monitor(sandbox.platform("acme"), store, clock=clock, worker_id="cell-2")
    rerun.add_search("brand", "acme")
    assert rerun.run_once().polled == ("brand",)


def test_sink_filtered_by_query_and_handlers_see_everything(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    sandbox.add_post("ann", "@acme my router is on fire #outage")
    sandbox.add_post("bob", "@acme thanks for the quick help")
    clock.advance(5)
    monitor = Monitor(sandbox.platform("acme"), MemoryStore(clock=clock), clock=clock)
    monitor.add_mentions("mentions")
    handled: list[Post] = []
    monitor.on("mentions")(handled.append)
    urgent: list[Alert] = []
    everything: list[Alert] = []
    monitor.add_sink(CallbackSink(urgent.append), query="#outage OR fire")
    monitor.add_sink(CallbackSink(everything.append))
    monitor.run_once()
    assert len(handled) == 2
    assert len(everything) == 2
    assert [a.post.text for a in urgent] == ["@acme my router is on fire #outage"]
    with pytest.raises(ValueError, match="place"):
        monitor.add_sink(CallbackSink(print), query="place:berlin")


def _first_poll(sandbox: Sandbox, clock: ManualClock, start: object) -> list[str]:
    monitor = Monitor(
        sandbox.platform("acme"),
        MemoryStore(clock=clock),
        clock=clock,
        start=start,  # type: ignore[arg-type]
    )
    monitor.add_search("brand", "acme")
    seen: list[str] = []
    monitor.on("brand")(lambda p: seen.append(p.text))
    monitor.run_once()
    sandbox.add_post("cy", "acme new")
    clock.advance(120)
    monitor.run_once()
    return seen


def test_start_positions(sandbox: Sandbox, clock: ManualClock) -> None:
    for n in range(5):
        sandbox.add_post("ann", f"acme old {n}")
        clock.advance(60)
    boundary = clock.now()
    for n in range(3):
        sandbox.add_post("bob", f"acme recent {n}")
        clock.advance(60)
    assert _first_poll(sandbox, clock, "now") == ["acme new"]
    assert _first_poll(sandbox, clock, 2) == ["acme recent 2", "acme new", "acme new"]
    since = _first_poll(sandbox, clock, boundary)
    assert since[:3] == ["acme recent 0", "acme recent 1", "acme recent 2"]
    assert len(_first_poll(sandbox, clock, None)) == 5 + 3 + 3 + 1  # the newest page, then new
    with pytest.raises(ConfigurationError, match="start"):
        Monitor(sandbox.platform("acme"), MemoryStore(clock=clock), start=0)
    with pytest.raises(ConfigurationError, match="aware"):
        Monitor(sandbox.platform("acme"), MemoryStore(clock=clock), start=dt.datetime(2026, 1, 1))  # noqa: DTZ001


class _Unbilled:
    """An XPlatform on the sandbox that cannot read the bill (as on X): ``usage()`` is None."""

    def __init__(self, platform: XPlatform) -> None:
        self._platform = platform

    def usage(self) -> None:
        return None

    def __getattr__(self, name: str) -> object:
        return getattr(self._platform, name)


def test_cycle_report_prices_reads_and_dedupes_users_per_day(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    sandbox.add_post("ann", "acme one")
    sandbox.add_post("ann", "acme two")
    sandbox.add_post("bob", "acme three")
    clock.advance(5)
    platform = cast("Platform", _Unbilled(sandbox.platform("acme")))
    monitor = Monitor(platform, MemoryStore(clock=clock), clock=clock, expansions=["author_id"])
    monitor.add_search("brand", "acme")
    post, user = PRICES["post_read"].usd, PRICES["user_read"].usd
    first = monitor.run_once()
    assert (first.cost_basis, first.usage) == ("estimated", None)
    assert first.cost == 3 * post + 2 * user
    sandbox.add_post("ann", "acme four")
    clock.advance(120)
    assert monitor.run_once().cost == post  # ann was read today already
    sandbox.add_post("ann", "acme five")
    clock.advance(days=1)
    assert monitor.run_once().cost == post + user  # a new UTC day: read again
    clock.advance(120)
    idle = monitor.run_once()
    assert idle.cost == Decimal(0)
    assert idle.ok
    assert idle.to_record()["cost"] == 0.0


def test_cycle_report_records(sandbox: Sandbox, clock: ManualClock) -> None:
    clock.advance(5)
    store = MemoryStore(clock=clock)
    assert store.claim_lease("monitor:stream:busy", "other", ttl=600)
    monitor = Monitor(sandbox.platform("acme"), store, clock=clock)
    monitor.add_search("brand", "acme")
    monitor.add_search("busy", "widget")
    report = monitor.run_once()
    rows = report.to_records()
    assert [(r["stream"], r["event"]) for r in rows] == [("brand", "polled"), ("busy", "skipped")]
    assert rows[0]["at"] == clock.now()
    assert "'other' holds the lease until" in str(rows[1]["detail"])
    record = report.to_record()
    assert (record["polled"], record["skipped"], record["at"]) == (1, 1, clock.now())
