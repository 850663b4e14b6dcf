"""Real time as a way for the Monitor to listen: webhook events and polling, one delivery path.

Every test runs the sandbox's signed webhook deliveries (``deliver_pending()``, so
deterministic) into a ``WebhookReceiver`` served on 127.0.0.1 whose events go to
``Monitor.receive_event``, next to the monitor's own polls, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.storage.storage_support import drop_pg_schema, require_postgres
from tests.webhooks.conftest import Served

from socialcare import Alert, CallbackSink, ConfigurationError, ManualClock, Monitor, Post, Stream
from socialcare.alerts import MemoryReplayGuard
from socialcare.errors import InvalidRequestError
from socialcare.models import ActivityFilter, DirectMessage
from socialcare.sandbox import Sandbox
from socialcare.storage import SQLiteStore, Store
from socialcare.testing import OpenAPIContract
from socialcare.webhooks import UnknownEvent, WebhookReceiver

UTC = dt.timezone.utc
START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
KINDS = (
    "post.create",
    "post.mention.create",
    "post.reply.create",
    "post.quote.create",
    "dm.received",
    "dm.sent",
)


def _not_xaa_event_types(problem: str) -> bool:
    # X's OpenAPI 2.159 enumerates only the first XAA event types (see tests/webhooks).
    return "event_type: 'post." not in problem and "event_type: 'dm." not in problem


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def sandbox(clock: ManualClock, x_contract: OpenAPIContract | None) -> Iterator[Sandbox]:
    box = Sandbox(clock=clock)
    before = 0 if x_contract is None else len(x_contract.violations)
    if x_contract is not None:
        box.observe(x_contract)
    for handle in ("acme", "ann", "bob"):
        box.add_user(handle)
    yield box
    if x_contract is None:
        return
    new = [v for v in x_contract.violations[before:] if _not_xaa_event_types(v)]
    del x_contract.violations[before:]
    assert not new, "exchanges that break X's OpenAPI contract:\n" + "\n".join(new[:20])


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def open_store(
    request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock
) -> Iterator[Callable[[], Store]]:
    """Opens handles on one store (as separate workers would): SQLite or PostgreSQL."""
    opened: list[Store] = []
    if request.param == "sqlite":

        def sqlite() -> Store:
            opened.append(SQLiteStore(tmp_path / "care.db", clock=clock, create_schema=True))
            return opened[-1]

        yield sqlite
        for store in opened:
            store.close()
        return
    dsn = require_postgres()
    from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415

    schema = f"sc_rt_{uuid.uuid4().hex[:12]}"

    def postgres() -> Store:
        opened.append(PostgresStore(dsn, schema=schema, create_schema=True, clock=clock))
        return opened[-1]

    try:
        yield postgres
    finally:
        for store in opened:
            store.close()
        drop_pg_schema(dsn, schema)


class Switch:
    """A WSGI app in front of the receiver that can be down (503, as a crashed receiver)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.down = False

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if self.down:
            start_response("503 Service Unavailable", [("content-type", "text/plain")])
            return [b"down"]
        result: Iterable[bytes] = self.app(environ, start_response)
        return result


class World:
    """acme's care monitor: webhook streams fed by the sandbox, polling as the safety net."""

    def __init__(self, sandbox: Sandbox, store: Store, clock: ManualClock) -> None:
        self.sandbox = sandbox
        self.clock = clock
        self.acme = sandbox.user("acme")
        self.receiver = WebhookReceiver(
            sandbox.credentials().consumer_secret,
            replay_guard=MemoryReplayGuard(),
            clock=clock,
        )
        self.switch = Switch(self.receiver.wsgi_app())
        self.served = Served(self.switch)
        self.monitor = self.new_monitor(store)
        self.hook = sandbox.platform().create_webhook(self.served.url)
        x = sandbox.platform(self.acme)
        for kind in KINDS:
            x.create_subscription(kind, user_id=self.acme.id, webhook_id=self.hook.id)
        self.receiver.on_any(self.monitor.receive_event)

    def new_monitor(self, store: Store, **kwargs: Any) -> Monitor:
        monitor = Monitor(
            self.sandbox.platform(self.acme),
            store,
            clock=self.clock,
            poll_interval=60,
            safety_interval=900,
            realtime_timeout=90,
            **kwargs,
        )
        monitor.add_webhook("care", events=KINDS[:4])
        monitor.add_webhook_dms("care_dms")
        return monitor

    def collect(self, monitor: Monitor | None = None) -> tuple[list[Post], list[DirectMessage]]:
        monitor = monitor or self.monitor
        posts: list[Post] = []
        dms: list[DirectMessage] = []
        monitor.on("care")(posts.append)
        monitor.on_dm("care_dms")(dms.append)
        return posts, dms

    def deliver(self) -> int:
        return self.sandbox.deliver_pending().delivered

    def stop(self) -> None:
        self.served.stop()


@pytest.fixture
def world(sandbox: Sandbox, open_store: Callable[[], Store], clock: ManualClock) -> Iterator[World]:
    made = World(sandbox, open_store(), clock)
    yield made
    made.stop()


def test_a_post_and_a_dm_seen_both_ways_are_delivered_once(world: World) -> None:
    posts, dms = world.collect()
    world.monitor.run_once()  # the first polls: nothing yet
    mention = world.sandbox.add_post("ann", "@acme my parcel is late")
    dm = world.sandbox.add_dm("ann", "acme", "order 1234")
    world.clock.advance(5)
    assert world.deliver() == 2
    assert [p.id for p in posts] == [mention.id]
    assert [d.id for d in dms] == [dm.id]
    cursor = world.monitor.store.get_cursor("care")
    report = world.monitor.run_once()  # polling reads both again: nothing twice
    assert report.delivered == 0
    assert [p.id for p in posts] == [mention.id]
    assert [d.id for d in dms] == [dm.id]
    assert cursor is not None
    assert cursor.since_id is None  # pushes never move the cursor
    moved = world.monitor.store.get_cursor("care")
    assert moved is not None
    assert moved.since_id == mention.id  # polling does

    # The other way round: polling first, then the late webhook delivery.
    world.clock.advance(60)
    second = world.sandbox.add_post("bob", "@acme still waiting")
    world.monitor.run_once()
    assert [p.id for p in posts] == [mention.id, second.id]
    assert world.deliver() == 1  # answered 200, handled by the monitor as a duplicate
    assert [p.id for p in posts] == [mention.id, second.id]
    health = world.monitor.health()
    assert health["care"].posts_delivered == 2
    assert health["care"].pushed == 2


def test_every_event_kind_goes_through_the_push_path(world: World) -> None:
    posts, dms = world.collect()
    alerts: list[Alert] = []
    world.monitor.add_sink(CallbackSink(alerts.append), query="refund")
    own = world.sandbox.add_post("acme", "Our spring sale starts today")
    mention = world.sandbox.add_post("ann", "@acme where is my refund?")
    reply = world.sandbox.add_post("bob", "the sale page is broken", in_reply_to=own)
    quote = world.sandbox.add_post("bob", "look at this", quote_of=own)
    received = world.sandbox.add_dm("ann", "acme", "order 1234")
    sent = world.sandbox.add_dm("acme", "ann", "thanks, looking into it")
    world.clock.advance(2)
    attempts_before = len(world.sandbox.delivery_attempts())
    assert world.deliver() == 6
    kinds = sorted(a.event_type for a in world.sandbox.delivery_attempts()[attempts_before:])
    assert kinds == sorted(KINDS)
    # Inbound posts and DMs reach the handlers; the brand's own post and DM do not.
    assert [p.id for p in posts] == [mention.id, reply.id, quote.id]
    assert [d.id for d in dms] == [received.id]
    # Everything is stored, authors too (they came with the events).
    store = world.monitor.store
    for post in (own, mention, reply, quote):
        stored = store.get_post(post.id)
        assert stored is not None
        assert (stored.text, stored.author_id) == (post.text, post.author_id)
    assert store.get_dm(sent.id) is not None
    assert store.get_dm(received.id) is not None
    assert store.get_user(world.sandbox.user("ann").id) is not None
    # Query-filtered sinks see the alerts of their query only, with the author.
    assert [(a.post.id, a.author.username if a.author else None) for a in alerts] == [
        (mention.id, "ann")
    ]
    # An event the monitor does not model is a sign of life, never delivered.
    world.clock.advance(200)
    assert not world.monitor.health().source("webhook").live
    other = UnknownEvent("post.delete", "1", ActivityFilter(), {"event_type": "post.delete"})
    assert world.monitor.receive_event(other) == 0
    assert world.monitor.health().source("webhook").live


def test_a_handler_that_fails_quarantines_the_pushed_post(world: World) -> None:
    def broken(post: Post) -> None:
        raise RuntimeError("bug in triage")

    world.monitor.on("care")(broken)
    post = world.sandbox.add_post("ann", "@acme hello")
    assert world.deliver() == 1  # the receiver answered 200: the monitor went on
    quarantined = world.monitor.health()["care"].quarantined
    assert [q[0] for q in quarantined] == [post.id]
    assert world.monitor.store.audit_entries(subject=post.id)[0].action == "monitor.quarantine"
    world.monitor.run_once()  # polling does not hand it to the handler again
    assert len(world.monitor.health()["care"].quarantined) == 1


def test_failover_to_polling_and_back(world: World) -> None:
    posts, _ = world.collect()
    monitor, clock = world.monitor, world.clock
    monitor.run_due()
    first = world.sandbox.add_post("ann", "@acme first")
    assert world.deliver() == 1
    health = monitor.health()
    assert health.source("webhook").live
    assert health["care"].source == "webhook"
    monitor.run_due()  # real time came: one catch-up poll, then the safety-net cadence
    next_poll = monitor.health()["care"].next_poll_at
    assert next_poll == clock.now() + dt.timedelta(seconds=900)

    # The receiver goes down: X's deliveries fail, nothing arrives.
    world.switch.down = True
    missed = [world.sandbox.add_post("bob", f"@acme missed {i}") for i in range(3)]
    failed = world.sandbox.deliver_pending()
    assert (failed.delivered, failed.retrying) == (0, 3)
    clock.advance(60)
    assert monitor.run_due().polled == ()  # still within the timeout: the safety net waits
    clock.advance(31)  # 91 s without an event or keep-alive
    health = monitor.health()
    assert not health.source("webhook").live
    assert health.source("webhook").reason == "no event or keep-alive for 90s"
    assert health["care"].source == "polling"
    report = monitor.run_due()  # the source is down: polled at once
    assert "care" in report.polled
    assert [p.id for p in posts] == [first.id] + [p.id for p in missed]
    assert monitor.health()["care"].next_poll_at == clock.now() + dt.timedelta(seconds=60)
    clock.advance(60)
    during = world.sandbox.add_post("ann", "@acme during the outage")
    monitor.run_due()
    assert posts[-1].id == during.id

    # The receiver is back: X retries the failed deliveries (and makes the first attempt
    # of the one created meanwhile); polling had them all, nothing is delivered twice.
    world.switch.down = False
    clock.advance(3)
    assert world.deliver() == 4
    assert [p.id for p in posts] == [first.id] + [p.id for p in missed] + [during.id]
    assert monitor.health().source("webhook").live
    report = monitor.run_due()  # back: one more poll at once, then the safety net
    assert "care" in report.polled
    assert monitor.health()["care"].next_poll_at == clock.now() + dt.timedelta(seconds=900)
    assert monitor.health()["care"].source == "webhook"
    after = world.sandbox.add_post("ann", "@acme back again")
    assert world.deliver() == 1
    assert posts[-1].id == after.id
    assert len({p.id for p in posts}) == len(posts) == 6


def test_a_signalled_failure_switches_to_polling_until_the_next_event(world: World) -> None:
    posts, _ = world.collect()
    monitor, clock = world.monitor, world.clock
    world.sandbox.add_post("ann", "@acme hi")
    world.deliver()
    monitor.run_due()
    monitor.source_down("webhook", "CRC failing")
    source = monitor.health().source("webhook")
    assert (source.live, source.reason, source.down_since) == (False, "CRC failing", clock.now())
    clock.advance(1)
    assert "care" in monitor.run_due().polled  # due at once, not in 15 minutes
    late = world.sandbox.add_post("bob", "@acme anyone?")
    clock.advance(60)
    monitor.run_due()
    assert posts[-1].id == late.id
    monitor.heartbeat("webhook")  # a keep-alive (or any event) brings it back
    assert monitor.health().source("webhook").live
    with pytest.raises(ValueError, match="real-time source 'stream'"):
        monitor.heartbeat("stream")


def test_a_pushed_post_does_not_move_the_cursor_past_what_real_time_missed(
    world: World,
) -> None:
    posts, _ = world.collect()
    world.monitor.run_once()
    world.switch.down = True
    missed = world.sandbox.add_post("ann", "@acme the receiver never saw this")
    world.deliver()
    world.switch.down = False
    world.sandbox.clear_faults()
    newer = world.sandbox.add_post("bob", "@acme but it saw this")
    world.clock.advance(1)
    world.sandbox.deliver_pending()
    assert [p.id for p in posts] == [newer.id]
    world.clock.advance(60)
    world.monitor.run_once()  # the safety net finds the older one
    assert [p.id for p in posts] == [newer.id, missed.id]


def test_two_workers_pushing_and_polling_deliver_each_post_once(
    world: World, open_store: Callable[[], Store]
) -> None:
    other = world.new_monitor(open_store(), worker_id="w2")
    posts, _ = world.collect()
    posts2, _ = world.collect(other)
    items = [world.sandbox.add_post("ann", f"@acme number {i}") for i in range(5)]
    world.monitor.push("care", items[:3])
    other.push("care", items[1:])  # X delivered some to both workers
    other.run_once()
    world.monitor.run_once()
    assert sorted([p.id for p in posts + posts2], key=int) == [p.id for p in items]


def test_a_filtered_stream_feeds_a_search_stream_through_push(
    sandbox: Sandbox, open_store: Callable[[], Store], clock: ManualClock
) -> None:
    monitor = Monitor(
        sandbox.platform("acme"), open_store(), clock=clock, poll_interval=60, start="now"
    )
    monitor.add(Stream.search("brand", "acme router", realtime="filtered"))
    seen: list[Post] = []
    monitor.on("brand")(seen.append)
    monitor.run_once()
    pushed = sandbox.add_post("ann", "my acme router blinks red")
    assert monitor.push("brand", [pushed]) == 1
    assert monitor.health()["brand"].source == "filtered"
    assert monitor.run_due().delivered == 0  # the catch-up poll finds the pushed post seen
    clock.advance(60)
    polled = sandbox.add_post("bob", "acme router died")
    assert monitor.run_due().polled == ()  # live: the safety net waits 15 minutes
    assert [p.id for p in seen] == [pushed.id]
    clock.advance(31)
    monitor.run_due()  # the stream's keep-alives stopped: polling catches up
    assert [p.id for p in seen] == [pushed.id, polled.id]


def test_push_and_configuration_errors(world: World) -> None:
    monitor = world.monitor
    monitor.add_mentions("polled")
    post = world.sandbox.add_post("ann", "@acme hi")
    with pytest.raises(ValueError, match="only polled"):
        monitor.push("polled", [post])
    with pytest.raises(ValueError, match="takes DirectMessages"):
        monitor.push("care_dms", [post])
    with pytest.raises(ValueError, match="no stream named"):
        monitor.push("nope", [post])
    with pytest.raises(ValueError, match="real-time source 'other'"):
        monitor.receive_event(UnknownEvent("x", None, ActivityFilter(), {}), source="other")
    with pytest.raises(ValueError, match="post events"):
        Stream.webhook("bad", events=("dm.received",))
    with pytest.raises(ValueError, match="other than 'polling'"):
        Stream.search("s", "acme", realtime="polling")
    with pytest.raises(ConfigurationError, match="safety_interval"):
        Monitor(world.sandbox.platform("acme"), monitor.store, safety_interval=0)
    assert monitor.health()["polled"].realtime is None


def test_events_about_another_user_are_not_delivered(world: World) -> None:
    posts, _ = world.collect()
    bob = world.sandbox.user("bob")
    world.sandbox.platform(bob).create_subscription(
        "post.mention.create", user_id=bob.id, webhook_id=world.hook.id
    )
    world.sandbox.add_post("ann", "@bob lunch?")
    assert world.deliver() == 1
    assert posts == []


def test_a_webhook_that_fails_x_crc_switches_to_polling(world: World) -> None:
    posts, _ = world.collect()
    monitor, clock = world.monitor, world.clock
    monitor.watch_webhook(world.hook.id, every=600)
    world.sandbox.add_post("ann", "@acme hi")
    world.deliver()
    monitor.run_due()
    assert monitor.health().source("webhook").live
    world.switch.down = True  # the receiver breaks; X's next CRC fails
    with pytest.raises(InvalidRequestError, match="CrcValidationFailed"):
        world.sandbox.platform().validate_webhook(world.hook.id)
    assert world.sandbox.platform().webhooks()[0].valid is False
    clock.advance(30)
    monitor.run_due()  # the last check was 30 s ago: not checked yet
    assert monitor.health().source("webhook").live
    clock.advance(570)
    late = world.sandbox.add_post("bob", "@acme are you there?")
    report = monitor.run_due()  # checked: invalid, so polled at once
    source = monitor.health().source("webhook")
    assert not source.live
    assert source.reason == f"webhook {world.hook.id} failed X's CRC"
    assert "care" in report.polled
    assert posts[-1].id == late.id
    with pytest.raises(ValueError, match="real-time source 'nope'"):
        monitor.watch_webhook(world.hook.id, source="nope")
