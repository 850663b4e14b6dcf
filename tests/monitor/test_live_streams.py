"""The Monitor runs the filtered and activity streams itself, with polling as the safety net.

The sandbox serves the streams over HTTP on 127.0.0.1 (keep-alives every 50 ms). The
monitor lives in the sandbox's manual time; the tests advance it between a failure and
a reconnect so that the source's later signs of life count as newer. Waits poll a
condition with a generous limit and fail when it never holds: no timing asserts.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.storage.storage_support import drop_pg_schema, require_postgres

from socialcare import ManualClock, Monitor, Post
from socialcare.errors import StreamRuleError
from socialcare.platforms.x import ReconnectPolicy, StreamConnection, StreamedPost, XPlatform
from socialcare.query import Query
from socialcare.sandbox import Sandbox
from socialcare.storage import SQLiteStore, Store
from socialcare.webhooks import WebhookEvent, activity_stream

UTC = dt.timezone.utc
START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ONE_TRY = ReconnectPolicy(jitter=0.0, max_failures=1)  # a drop ends the connection at once


def wait_until(condition: Callable[[], bool], what: str, limit: float = 15.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"never happened: {what}")
        time.sleep(0.005)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def sandbox(clock: ManualClock) -> Sandbox:
    box = Sandbox(clock=clock)
    box.stream_keepalive = 0.05
    for handle in ("acme", "ann", "bob"):
        box.add_user(handle)
    return box


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock) -> Iterator[Store]:
    if request.param == "sqlite":
        opened: Store = SQLiteStore(tmp_path / "care.db", clock=clock, create_schema=True)
        yield opened
        opened.close()
        return
    dsn = require_postgres()
    from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415

    schema = f"sc_live_{uuid.uuid4().hex[:12]}"
    pg = PostgresStore(dsn, schema=schema, create_schema=True, clock=clock)
    try:
        yield pg
    finally:
        pg.close()
        drop_pg_schema(dsn, schema)


class GatedApp:
    """The app's XPlatform, whose new stream connections wait while the gate is shut."""

    def __init__(self, x: XPlatform) -> None:
        self.x = x
        self.gate = threading.Event()
        self.gate.set()
        self.opened = 0
        self.synced: list[dict[str, str]] = []

    def sync_stream_rules(self, queries: dict[str, str]) -> object:
        self.synced.append(dict(queries))
        return self.x.sync_stream_rules(queries)

    def filtered_stream(self, **options: object) -> StreamConnection[StreamedPost]:
        assert self.gate.wait(15), "the gate stayed shut"
        self.opened += 1
        return self.x.filtered_stream(**options)  # type: ignore[arg-type]


def source_live(monitor: Monitor, name: str) -> bool:
    return next(s for s in monitor.health().sources if s.name == name).live


def source_reason(monitor: Monitor, name: str) -> str | None:
    return next(s for s in monitor.health().sources if s.name == name).reason


def test_filtered_stream_run_by_the_monitor_fails_over_to_polling_and_back(
    sandbox: Sandbox, store: Store, clock: ManualClock
) -> None:
    handled: dict[str, list[str]] = {"support": [], "refunds": []}
    with sandbox.serve() as server:
        app = GatedApp(
            XPlatform(bearer_token=sandbox.credentials().bearer_token, api_host=server.url)
        )
        monitor = Monitor(sandbox.platform("acme"), store, start="now", poll_interval=1.0)
        monitor.add_filtered_stream(
            "support", Query.mentioning("acme"), platform=app, stall_timeout=0.5, policy=ONE_TRY
        )
        monitor.add_filtered_stream("refunds", "refund", platform=app)
        for name, got in handled.items():
            monitor.on(name)(lambda post, got=got: got.append(post.text))
        monitor.run_once()  # the cursors start now
        with monitor:
            wait_until(lambda: source_live(monitor, "filtered"), "stream connected")
            assert app.synced == [{"support": "@acme", "refunds": "refund"}]
            assert {r.tag: r.value for r in app.x.stream_rules()} == {
                "support": "@acme",
                "refunds": "refund",
            }
            sandbox.add_post("ann", "@acme I want a refund")
            wait_until(lambda: bool(handled["refunds"]), "the post streamed")
            wait_until(lambda: bool(handled["support"]), "the post streamed to both streams")
            health = monitor.health()
            assert health["support"].source == "filtered"
            assert health["support"].pushed == 1
            monitor.run_once()  # the safety net reads the same post: delivered once
            assert handled == {
                "support": ["@acme I want a refund"],
                "refunds": ["@acme I want a refund"],
            }

            # The connection drops and cannot come back yet: polling fills the gap.
            app.gate.clear()
            sandbox.drop_streams("filtered")
            wait_until(lambda: not source_live(monitor, "filtered"), "source down")
            down = next(s for s in monitor.health().sources if s.name == "filtered")
            assert down.reason is not None
            assert monitor.health()["support"].source == "polling"
            sandbox.add_post("bob", "@acme still no answer")
            clock.advance(1)
            report = monitor.run_due()  # failover: the source's streams are due at once
            assert "support" in report.polled
            assert handled["support"] == ["@acme I want a refund", "@acme still no answer"]

            # It reconnects: real time again, and the poll that follows delivers nothing new.
            clock.advance(1)
            app.gate.set()
            wait_until(lambda: source_live(monitor, "filtered"), "stream back")
            assert app.opened == 2
            assert len(app.synced) == 2  # rules synced again before the new connection
            sandbox.add_post("ann", "@acme refund please")
            wait_until(lambda: len(handled["refunds"]) == 2, "streamed after the reconnect")
            wait_until(lambda: len(handled["support"]) == 3, "streamed to support too")
            monitor.run_due()
            monitor.run_once()
        wait_until(lambda: sandbox.open_streams("filtered") == 0, "connection closed")
    assert handled == {
        "support": ["@acme I want a refund", "@acme still no answer", "@acme refund please"],
        "refunds": ["@acme I want a refund", "@acme refund please"],
    }


def test_a_stalled_stream_is_a_source_down_and_run_forever_stops_cleanly(
    sandbox: Sandbox, store: Store
) -> None:
    with sandbox.serve() as server:
        app = XPlatform(bearer_token=sandbox.credentials().bearer_token, api_host=server.url)
        monitor = Monitor(sandbox.platform("acme"), store, start="now", poll_interval=1.0)
        monitor.add_filtered_stream(
            "support", "@acme", platform=app, stall_timeout=0.3, policy=ONE_TRY
        )
        runner = threading.Thread(
            target=monitor.run_forever, kwargs={"handle_signals": False}, daemon=True
        )
        runner.start()
        wait_until(lambda: sandbox.open_streams("filtered") == 1, "stream connected")
        wait_until(lambda: source_live(monitor, "filtered"), "source live")
        sandbox.stall_streams("filtered")
        wait_until(lambda: not source_live(monitor, "filtered"), "the stall noticed")
        reason = next(s for s in monitor.health().sources if s.name == "filtered").reason
        assert reason is not None
        assert "stall" in reason.lower() or "keep-alive" in reason.lower()
        monitor.stop()
        runner.join(15)
        assert not runner.is_alive()
        wait_until(lambda: sandbox.open_streams("filtered") == 0, "connection closed")


def test_rules_x_refuses_are_reported_and_polling_goes_on(
    sandbox: Sandbox, store: Store, clock: ManualClock
) -> None:
    class Refusing:
        def sync_stream_rules(self, queries: dict[str, str]) -> object:
            raise StreamRuleError(f"refused {sorted(queries)}")

        def filtered_stream(self, **options: object) -> object:
            raise AssertionError("never opened: the rules failed")  # pragma: no cover

    monitor = Monitor(sandbox.platform("acme"), store, start="now", poll_interval=0.2)
    monitor.add_filtered_stream("support", "@acme", platform=Refusing())
    got: list[Post] = []
    monitor.on("support")(got.append)
    monitor.run_once()
    with monitor:
        wait_until(lambda: "refused" in (source_reason(monitor, "filtered") or ""), "failure seen")
        sandbox.add_post("ann", "@acme hello?")
        clock.advance(2)
        report = monitor.run_due()
    errors = [m for name, m in report.errors if name == "<filtered>"]
    assert errors
    assert "StreamRuleError" in errors[0]
    assert [p.text for p in got] == ["@acme hello?"]  # polling delivered it
    health = next(s for s in monitor.health().sources if s.name == "filtered")
    assert not health.live
    assert health.reason is not None
    assert "refused" in health.reason


def test_activity_stream_run_by_the_monitor_feeds_webhook_streams(
    sandbox: Sandbox, store: Store
) -> None:
    acme = sandbox.user("acme")
    sandbox.platform("acme").create_subscription("post.mention.create", user_id=acme.id)
    sandbox.platform("acme").create_subscription("dm.received", user_id=acme.id)
    posts: list[str] = []
    dms: list[str] = []
    with sandbox.serve() as server:
        app = XPlatform(bearer_token=sandbox.credentials().bearer_token, api_host=server.url)
        monitor = Monitor(sandbox.platform("acme"), store, start="now")
        monitor.add_webhook("care", source="activity")
        monitor.add_webhook_dms("care_dms", source="activity")
        monitor.on("care")(lambda post: posts.append(post.text))
        monitor.on_dm("care_dms")(lambda dm: dms.append(dm.text))

        def connect() -> StreamConnection[WebhookEvent]:
            return activity_stream(app, stall_timeout=0.5)

        monitor.add_activity_stream(connect, source="activity")
        with pytest.raises(ValueError, match="runs a connection already"):
            monitor.add_activity_stream(connect, source="activity")
        monitor.run_once()
        with monitor:
            wait_until(lambda: source_live(monitor, "activity"), "connected")
            sandbox.add_post("ann", "@acme where is my parcel?")
            sandbox.add_dm("bob", "acme", "order 1234")
            wait_until(lambda: bool(posts) and bool(dms), "events streamed")
            monitor.run_once()  # the safety net: nothing twice
            assert monitor.health()["care"].source == "activity"
        wait_until(lambda: sandbox.open_streams("activity") == 0, "connection closed")
    assert posts == ["@acme where is my parcel?"]
    assert dms == ["order 1234"]
