"""Issue 11: backlogs beyond the page budget, poison posts, failing sinks (tests written first)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

import attrs
import pytest

from socialcare import Alert, AlertError, ManualClock, Monitor, Post
from socialcare.models import Page
from socialcare.sandbox import Sandbox
from socialcare.storage import MemoryStore, SQLiteStore


def _monitor(sandbox: Sandbox, store: object, clock: ManualClock, **kwargs: object) -> Monitor:
    return Monitor(sandbox.platform("acme"), store, clock=clock, **kwargs)  # type: ignore[arg-type]


def _ids(posts: Iterable[Post]) -> list[str]:
    return [p.id for p in posts]


# -- 1. backlogs larger than page_size x max_pages ---------------------------------------------


def test_a_search_backlog_beyond_the_page_budget_is_walked_over_later_polls(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    store = MemoryStore(clock=clock)
    monitor = _monitor(sandbox, store, clock, page_size=10, max_pages=2)
    monitor.add_search("brand", "acme")
    seen: list[Post] = []
    monitor.on("brand")(seen.append)
    monitor.run_once()  # cursor set on an empty stream
    sandbox.add_post("ann", "acme before")
    clock.advance(1)
    monitor.run_once()
    burst = []
    for n in range(25):
        burst.append(sandbox.add_post("bob", f"acme burst {n}"))
        clock.advance(1)
    first = monitor.run_once()
    assert first.delivered == 20
    cursor = store.get_cursor("brand")
    assert cursor is not None
    assert cursor.since_id == burst[-1].id  # the cursor moved to the newest
    assert cursor.has_backlog
    for _ in range(6):
        clock.advance(60)
        monitor.run_once()
    got = _ids(seen[1:])
    assert sorted(got, key=int) == _ids(burst)
    assert len(got) == len(set(got)) == 25
    cursor = store.get_cursor("brand")
    assert cursor is not None
    assert not cursor.has_backlog
    assert monitor.health().ok


def test_a_burst_of_1050_with_defaults_loses_nothing(sandbox: Sandbox, clock: ManualClock) -> None:
    monitor = _monitor(sandbox, MemoryStore(clock=clock), clock)
    monitor.add_search("brand", "acme")
    seen: list[Post] = []
    monitor.on("brand")(seen.append)
    sandbox.add_post("ann", "acme start")
    clock.advance(1)
    monitor.run_once()  # the cursor starts at the first post
    burst = []
    for n in range(1050):
        burst.append(sandbox.add_post("bob", f"acme flood {n}"))
        clock.advance(0.5)
    for _ in range(4):
        monitor.run_once()
        clock.advance(60)
    assert sorted(_ids(seen[1:]), key=int) == _ids(burst)
    assert len(seen) == 1051


def test_a_mentions_backlog_is_walked_oldest_window_last(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    monitor = _monitor(sandbox, MemoryStore(clock=clock), clock, page_size=10, max_pages=1)
    monitor.add_mentions()
    seen: list[Post] = []
    monitor.on("mentions")(seen.append)
    sandbox.add_post("cy", "@acme hi")
    clock.advance(1)
    monitor.run_once()
    burst = []
    for n in range(35):
        burst.append(sandbox.add_post("ann", f"@acme help {n}"))
        clock.advance(1)
    reports = []
    for _ in range(5):
        reports.append(monitor.run_once())
        clock.advance(60)
    assert sorted(_ids(seen[1:]), key=int) == _ids(burst)
    assert len(seen) == 36
    assert not any(r.gaps for r in reports)


def test_a_backlog_that_falls_out_of_the_search_window_is_a_reported_gap(
    sandbox: Sandbox, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    store = MemoryStore(clock=clock)
    monitor = _monitor(sandbox, store, clock, page_size=10, max_pages=1)
    monitor.add_search("brand", "acme")
    sandbox.add_post("ann", "acme start")
    clock.advance(1)
    monitor.run_once()
    for n in range(15):
        sandbox.add_post("bob", f"acme old {n}")
        clock.advance(1)
    monitor.run_once()  # 10 delivered, 5 left in the backlog
    cursor = store.get_cursor("brand")
    assert cursor is not None
    assert cursor.has_backlog
    clock.advance(days=8)  # the backlog is now older than recent search reaches
    with caplog.at_level("WARNING", logger="socialcare.monitor"):
        report = monitor.run_once()
    assert report.gaps
    assert report.gaps[0][0] == "brand"
    assert "7-day" in report.gaps[0][1]
    assert any("7-day" in r.getMessage() for r in caplog.records)
    health = monitor.health()
    assert health["brand"].gap is not None
    assert not health.ok
    cursor = store.get_cursor("brand")
    assert cursor is not None
    assert not cursor.has_backlog  # cleared only after the report
    assert any(e.action == "monitor.gap" for e in store.audit_entries())


# -- 2. poison posts ------------------------------------------------------------------------------


class _PoisonStore(MemoryStore):
    """A store that cannot encode one post (like a lone surrogate in SQLite)."""

    poison: str = ""

    def upsert_posts(self, posts: Iterable[Post]) -> int:
        batch = list(posts)
        if any(p.id == self.poison for p in batch):
            raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
        return super().upsert_posts(batch)


def test_a_poison_post_in_the_store_is_quarantined_and_the_stream_goes_on(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    store = _PoisonStore(clock=clock)
    monitor = _monitor(sandbox, store, clock)
    monitor.add_search("brand", "acme")
    seen: list[str] = []
    monitor.on("brand")(lambda p: seen.append(p.id))
    sandbox.add_post("ann", "acme start")
    clock.advance(1)
    monitor.run_once()
    seen.clear()
    good = sandbox.add_post("ann", "acme fine")
    bad = sandbox.add_post("bob", "acme poison")
    store.poison = bad.id
    clock.advance(1)
    report = monitor.run_once()
    assert report.quarantined == (("brand", bad.id, report.quarantined[0][2]),)
    assert "UnicodeEncodeError" in report.quarantined[0][2]
    assert any(bad.id in message for _, message in report.errors)
    cursor = store.get_cursor("brand")
    assert cursor is not None
    assert cursor.since_id == bad.id  # the cursor moved past the poison post
    assert store.get_post(good.id) is not None
    entries = list(store.audit_entries(subject=bad.id))
    assert [e.action for e in entries] == ["monitor.quarantine"]
    assert entries[0].detail["stream"] == "brand"
    later = sandbox.add_post("cy", "acme later")
    clock.advance(120)
    assert monitor.run_due().errors == ()  # not wedged, not re-run
    assert seen == [good.id, bad.id, later.id]
    assert monitor.health()["brand"].quarantined == ((bad.id, report.quarantined[0][2]),)


class _SurrogatePlatform:
    """The sandbox's platform, except that posts saying "poison" carry a lone surrogate.

    (The sandbox cannot serve lone surrogates itself; X's JSON can carry them.)
    """

    def __init__(self, inner: object) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def search_recent(self, query: object, **kwargs: object) -> Page[Post]:
        page: Page[Post] = self._inner.search_recent(query, **kwargs)  # type: ignore[attr-defined]
        items = tuple(
            attrs.evolve(p, text=p.text + " \ud800") if "poison" in p.text else p
            for p in page.items
        )
        return attrs.evolve(page, items=items)


def test_a_surrogate_post_does_not_wedge_a_sqlite_stream(
    sandbox: Sandbox, clock: ManualClock, tmp_path: Path
) -> None:
    store = SQLiteStore(tmp_path / "care.db", clock=clock, create_schema=True)
    platform = _SurrogatePlatform(sandbox.platform("acme"))
    monitor = Monitor(platform, store, clock=clock)  # type: ignore[arg-type]
    monitor.add_search("brand", "acme")
    sandbox.add_post("ann", "acme start")
    clock.advance(1)
    monitor.run_once()
    bad = sandbox.add_post("bob", "acme poison")
    good = sandbox.add_post("ann", "acme fine")
    clock.advance(1)
    report = monitor.run_once()
    assert [q[1] for q in report.quarantined] == [bad.id]
    cursor = store.get_cursor("brand")
    assert cursor is not None
    assert cursor.since_id == good.id
    assert store.get_post(bad.id) is None
    assert [e.action for e in store.audit_entries(subject=bad.id)] == ["monitor.quarantine"]
    clock.advance(120)
    assert monitor.run_once().errors == ()
    store.close()


def test_a_transient_store_failure_does_not_quarantine(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    from socialcare.errors import StorageError  # noqa: PLC0415

    class _Down(MemoryStore):
        down = False

        def upsert_posts(self, posts: Iterable[Post]) -> int:
            if self.down:
                raise StorageError("database is locked")
            return super().upsert_posts(posts)

    store = _Down(clock=clock)
    monitor = _monitor(sandbox, store, clock)
    monitor.add_search("brand", "acme")
    monitor.run_once()
    before = store.get_cursor("brand")
    sandbox.add_post("ann", "acme one")
    sandbox.add_post("ann", "acme two")
    clock.advance(1)
    store.down = True
    report = monitor.run_once()
    assert report.quarantined == ()
    assert report.errors
    after = store.get_cursor("brand")
    assert before is not None
    assert after is not None
    assert after.since_id == before.since_id
    assert store.audit_entries() == []


# -- 3. failing sinks ---------------------------------------------------------------------------


class _FlakySink:
    """Fails every delivery while ``down``; records what it delivered."""

    def __init__(self, name: str = "flaky") -> None:
        self.name = name
        self.down = True
        self.got: list[str] = []

    def deliver(self, alerts: Sequence[Alert]) -> None:
        if self.down:
            raise AlertError("webhook unreachable")
        self.got.extend(a.post.id for a in alerts)

    def flush(self) -> None:
        return None


def test_alerts_a_sink_failed_to_take_are_redelivered_from_the_outbox(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    store = MemoryStore(clock=clock)
    monitor = _monitor(sandbox, store, clock, poll_interval=60)
    monitor.add_search("brand", "acme")
    sink = _FlakySink()
    monitor.add_sink(sink)
    posts = [sandbox.add_post("ann", f"acme {n}") for n in range(5)]
    clock.advance(1)
    report = monitor.run_due()
    assert report.delivered == 5
    assert any("flaky" in message for _, message in report.errors)
    pending = store.list_actions(kind="alert", status="reserved")
    assert {r.key for r in pending} == {f"alert:flaky:brand:{p.id}" for p in posts}
    assert monitor.health().alerts_pending == 5
    sink.down = False
    for _ in range(10):
        clock.advance(600)
        monitor.run_due()
    assert sorted(sink.got, key=int) == [p.id for p in posts]
    assert store.list_actions(kind="alert", status="reserved") == []
    assert monitor.health().alerts_pending == 0


def test_an_alert_that_keeps_failing_is_given_up_and_reported(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    store = MemoryStore(clock=clock)
    monitor = _monitor(sandbox, store, clock, poll_interval=60, alert_attempts=3)
    monitor.add_search("brand", "acme")
    sink = _FlakySink()
    monitor.add_sink(sink)
    post = sandbox.add_post("ann", "acme help")
    clock.advance(1)
    for _ in range(12):
        monitor.run_due()
        clock.advance(dt.timedelta(hours=1).total_seconds())
    failed = store.list_actions(kind="alert", status="failed")
    assert [r.key for r in failed] == [f"alert:flaky:brand:{post.id}"]
    health = monitor.health()
    assert health.alerts_failed == (f"alert:flaky:brand:{post.id}",)
    assert not health.ok
    assert sink.got == []


def test_sinks_without_a_name_are_keyed_by_class_and_position(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    class Plain:
        def deliver(self, alerts: Sequence[Alert]) -> None:
            raise AlertError("down")

        def flush(self) -> None:
            return None

    store = MemoryStore(clock=clock)
    monitor = _monitor(sandbox, store, clock)
    monitor.add_search("brand", "acme")
    monitor.add_sink(_FlakySink("first"))
    monitor.add_sink(Plain())
    post = sandbox.add_post("ann", "acme x")
    clock.advance(1)
    monitor.run_once()
    keys = {r.key for r in store.list_actions(kind="alert")}
    assert keys == {f"alert:first:brand:{post.id}", f"alert:Plain#1:brand:{post.id}"}
