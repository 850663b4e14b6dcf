"""Issue 15's first newcomer scenario: a monitor on ``sandbox.platform(...)`` without ``clock=``.

The sandbox lives at its own time (2026-01-01 by default), weeks away from the system
clock. A monitor that polled it on system time decided the cursor was older than the
7-day search window, logged it, and never alerted again.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from socialcare import Alert, CallbackSink, ManualClock, Monitor, Post, SystemClock
from socialcare.platforms.x import XPlatform
from socialcare.sandbox import Sandbox
from socialcare.storage import MemoryStore, SQLiteStore

OLD = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.timezone.utc)
"""A sandbox start more than 7 days before any system time the tests run at."""


def _sandbox(clock: ManualClock) -> Sandbox:
    box = Sandbox(clock=clock)
    for handle in ("acme", "ann", "bob"):
        box.add_user(handle)
    return box


def test_xplatform_exposes_its_clock_read_only() -> None:
    clock = ManualClock(OLD)
    platform = XPlatform(bearer_token="t", clock=clock)
    assert platform.clock is clock
    assert isinstance(XPlatform(bearer_token="t").clock, SystemClock)
    try:
        platform.clock = ManualClock()  # type: ignore[misc]
    except AttributeError:
        pass
    else:  # pragma: no cover - the assertion below reports it
        raise AssertionError("XPlatform.clock must be read-only")


def test_sandbox_platform_shares_the_sandbox_clock() -> None:
    sandbox = _sandbox(ManualClock(OLD))
    assert sandbox.platform("acme").clock is sandbox.clock


def test_monitor_on_a_sandbox_platform_alerts_without_clock_argument() -> None:
    sandbox = _sandbox(ManualClock(OLD))
    assert dt.datetime.now(dt.timezone.utc) - OLD > dt.timedelta(days=7)
    alerts: list[Alert] = []
    handled: list[Post] = []
    sandbox.add_post("ann", "acme my order is late")
    sandbox.advance(5)
    with Monitor(sandbox.platform("acme"), MemoryStore()) as monitor:  # no clock=
        assert monitor.clock is sandbox.clock
        monitor.add_search("brand", "acme")
        monitor.on("brand")(handled.append)
        monitor.add_sink(CallbackSink(alerts.append))
        first = monitor.run_once()
        assert (first.delivered, first.gaps, first.ok) == (1, (), True)
        sandbox.add_post("bob", "acme still waiting")
        sandbox.advance(monitor.poll_interval)
        later = monitor.run_due()  # due in sandbox time
        assert later.polled == ("brand",)
        assert later.gaps == ()
        assert later.errors == ()
        assert later.delivered == 1
        assert monitor.health().ok
    assert [a.post.text for a in alerts] == ["acme my order is late", "acme still waiting"]
    assert [p.text for p in handled] == ["acme my order is late", "acme still waiting"]


def test_a_window_out_of_reach_is_reported_in_the_report_and_health() -> None:
    """The clock mix-up of the issue made explicit: the monitor's time is 8 days on."""
    sandbox = _sandbox(ManualClock(OLD))
    sandbox.add_post("ann", "acme my order is late")
    sandbox.advance(5)
    late = ManualClock(OLD + dt.timedelta(seconds=5))
    store = MemoryStore(clock=late)
    monitor = Monitor(sandbox.platform("acme"), store, clock=late)
    monitor.add_search("brand", "acme")
    assert monitor.run_once().delivered == 1
    late.advance(days=8)
    report = monitor.run_once()
    assert not report.ok
    assert [stream for stream, _ in report.gaps] == ["brand"]
    assert "older than the 7-day" in report.gaps[0][1]
    assert ("brand", "gap") in [(r["stream"], r["event"]) for r in report.to_records()]
    assert report.to_record()["gaps"] == 1
    health = monitor.health()
    assert not health.ok
    assert health["brand"].gap == report.gaps[0][1]
    assert not health["brand"].ok
    assert [e.action for e in store.audit_entries(subject="brand")][-1:] == ["monitor.gap"]


def test_a_restarted_sandbox_finds_the_stream_free(tmp_path: Path) -> None:
    """A notebook kernel restarted without close(): the new sandbox starts at its start time."""
    path = tmp_path / "care.db"
    first = _sandbox(ManualClock(OLD))
    first.advance(hours=6)  # the old session moved the sandbox on, then died
    with SQLiteStore(path, clock=first.clock, create_schema=True) as store:
        old = Monitor(first.platform("acme"), store, worker_id="kernel-1")
        old.add_search("brand", "acme")
        assert old.run_once().polled == ("brand",)  # never closed
    again = _sandbox(ManualClock(OLD))  # restarted at its start time
    again.add_post("ann", "acme anyone there?")
    again.advance(5)
    with (
        SQLiteStore(path, clock=again.clock) as store,
        Monitor(again.platform("acme"), store, worker_id="kernel-2") as monitor,
    ):
        monitor.add_search("brand", "acme")
        report = monitor.run_once()
        assert report.skipped == ()
        assert report.polled == ("brand",)
        lease = store.get_lease("monitor:stream:brand")
        assert lease is not None
        assert lease.owner == "kernel-2"
