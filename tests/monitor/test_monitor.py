"""The Monitor against the sandbox: real tweepy, real stores, a manual clock."""

from __future__ import annotations

import datetime as dt
import signal
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.storage.storage_support import drop_pg_schema, require_postgres

from socialcare import (
    Alert,
    CallbackSink,
    ConfigurationError,
    DirectMessage,
    ManualClock,
    Monitor,
    Post,
    Query,
    QueryError,
    Stream,
)
from socialcare.sandbox import Sandbox
from socialcare.storage import MemoryStore, SQLiteStore, Store
from socialcare.testing import OpenAPIContract

UTC = dt.timezone.utc


@pytest.fixture
def open_sqlite(tmp_path: Path, clock: ManualClock) -> Iterator[Callable[[], SQLiteStore]]:
    """Opens stores on one SQLite file (as separate processes would); closes them after."""
    opened: list[SQLiteStore] = []

    def open_store() -> SQLiteStore:
        opened.append(SQLiteStore(tmp_path / "care.db", clock=clock, create_schema=True))
        return opened[-1]

    yield open_store
    for store in opened:
        store.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_store(
    request: pytest.FixtureRequest, open_sqlite: Callable[[], SQLiteStore], clock: ManualClock
) -> Iterator[Callable[[], Store]]:
    """Opens connections to one shared store, as separate worker processes would."""
    opened: list[Store] = []
    if request.param == "sqlite":
        yield open_sqlite
    else:
        dsn = require_postgres()
        from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415

        schema = f"sc_mon_{uuid.uuid4().hex[:12]}"

        def open_store() -> Store:
            opened.append(PostgresStore(dsn, schema=schema, create_schema=True, clock=clock))
            return opened[-1]

        try:
            yield open_store
        finally:
            for store in opened:
                store.close()
            drop_pg_schema(dsn, schema)
        return
    for store in opened:
        store.close()


def _monitor(sandbox: Sandbox, store: object, clock: ManualClock, **kwargs: object) -> Monitor:
    return Monitor(sandbox.platform("acme"), store, clock=clock, **kwargs)  # type: ignore[arg-type]


def _collect(monitor: Monitor, stream: str) -> list[Post]:
    seen: list[Post] = []
    monitor.on(stream)(seen.append)
    return seen


def test_search_stream_delivers_new_posts_once(
    sandbox: Sandbox, clock: ManualClock, open_sqlite: Callable[[], SQLiteStore]
) -> None:
    sandbox.add_post("ann", "my acme router is down again")
    sandbox.add_post("bob", "lunch was great")
    clock.advance(60)
    monitor = _monitor(sandbox, open_sqlite(), clock)
    monitor.add_search("brand", Query().terms("acme"))
    seen = _collect(monitor, "brand")

    report = monitor.run_once()
    assert [p.text for p in seen] == ["my acme router is down again"]
    assert report.polled == ("brand",)
    assert report.delivered == 1
    assert report.requests == 2  # the search, and one lookup of the new author

    assert monitor.run_once().requests == 1  # nothing new: no lookup
    assert len(seen) == 1  # nothing new, nothing twice

    clock.advance(60)
    later = sandbox.add_post("cy", "does ACME ship to Canada?")
    monitor.run_once()
    assert [p.id for p in seen][-1] == later.id
    assert all(isinstance(p, Post) for p in seen)


def test_restart_resumes_without_gap_or_duplicate(
    sandbox: Sandbox, clock: ManualClock, open_sqlite: Callable[[], SQLiteStore]
) -> None:
    first = _monitor(sandbox, open_sqlite(), clock)
    first.add_search("brand", "acme")
    seen_first = _collect(first, "brand")
    sandbox.add_post("ann", "acme one")
    clock.advance(30)
    first.run_once()
    first.close()

    for n in range(3):
        clock.advance(30)
        sandbox.add_post("bob", f"acme while we were down {n}")

    second = _monitor(sandbox, open_sqlite(), clock)  # a new process, same file
    second.add_search("brand", "acme")
    seen_second = _collect(second, "brand")
    second.run_once()
    assert [p.text for p in seen_first] == ["acme one"]
    assert [p.text for p in seen_second] == [f"acme while we were down {n}" for n in range(3)]


def test_posts_arrive_oldest_first_across_pages(sandbox: Sandbox, clock: ManualClock) -> None:
    for n in range(250):
        sandbox.add_post("ann", f"acme post {n}")
        clock.advance(1)
    monitor = _monitor(sandbox, MemoryStore(clock=clock), clock)
    monitor.add_search("brand", "acme")
    seen = _collect(monitor, "brand")
    monitor.run_once()  # first poll: the newest full page only
    assert len(seen) == 100
    for n in range(250, 480):
        sandbox.add_post("ann", f"acme post {n}")
        clock.advance(1)
    report = monitor.run_once()
    assert report.requests == 3  # 230 new posts: three full-size pages
    texts = [p.text for p in seen[100:]]
    assert texts == [f"acme post {n}" for n in range(250, 480)]
    ids = [int(p.id) for p in seen]
    assert ids == sorted(ids)


def test_echo_and_retweets_are_dropped(sandbox: Sandbox, clock: ManualClock) -> None:
    ask = sandbox.add_post("ann", "@acme where is my parcel")
    sandbox.add_post("acme", "@ann we are on it: acme support", in_reply_to=ask)
    clock.advance(5)
    monitor = _monitor(sandbox, MemoryStore(clock=clock), clock)
    monitor.add_mentions("mentions")
    seen = _collect(monitor, "mentions")
    monitor.run_once()
    assert [p.id for p in seen] == [ask.id]


def test_every_stream_gets_each_of_its_posts(sandbox: Sandbox, clock: ManualClock) -> None:
    # Changed on purpose (issue 15): a post on two streams reaches both streams' handlers
    # (it used to go to the first stream only); each stream still gets it once.
    post = sandbox.add_post("ann", "@acme acme app crashes")
    clock.advance(5)
    monitor = _monitor(sandbox, MemoryStore(clock=clock), clock)
    monitor.add_mentions("mentions")
    monitor.add_search("keyword", "acme")
    mentions = _collect(monitor, "mentions")
    keyword = _collect(monitor, "keyword")
    monitor.run_once()
    clock.advance(120)
    monitor.run_once()
    assert [p.id for p in mentions] == [post.id]
    assert [p.id for p in keyword] == [post.id]


def test_packed_search_streams_share_requests(sandbox: Sandbox, clock: ManualClock) -> None:
    sandbox.add_post("ann", "acme outage in Berlin")
    sandbox.add_post("bob", "loving my new acme phone")
    sandbox.add_post("cy", "#acmefail refund please")
    sandbox.add_post("cy", "unrelated chatter")
    clock.advance(5)
    monitor = _monitor(sandbox, MemoryStore(clock=clock), clock)
    monitor.add_search("outages", Query().terms("acme").any_of("outage", "down"))
    monitor.add_search("praise", Query().terms("acme", "phone"))
    monitor.add_search("complaints", Query().hashtag("acmefail"))
    got = {name: _collect(monitor, name) for name in ("outages", "praise", "complaints")}
    report = monitor.run_once()
    assert report.requests == 2  # one packed query for three streams, one author lookup
    assert [p.text for p in got["outages"]] == ["acme outage in Berlin"]
    assert [p.text for p in got["praise"]] == ["loving my new acme phone"]
    assert [p.text for p in got["complaints"]] == ["#acmefail refund please"]
    searches = [c for c in sandbox.calls if c.endpoint == "GET /2/tweets/search/recent"]
    assert len(searches) == 1
    assert [c.endpoint for c in sandbox.calls].count("GET /2/users") == 1


def test_unpacked_streams_poll_separately(sandbox: Sandbox, clock: ManualClock) -> None:
    monitor = _monitor(sandbox, MemoryStore(clock=clock), clock, pack_queries=False)
    monitor.add_search("a", "acme")
    monitor.add_search("b", "widget")
    assert monitor.run_once().requests == 2


def test_full_load_never_meets_a_429(sandbox: Sandbox, clock: ManualClock) -> None:
    monitor = _monitor(
        sandbox, MemoryStore(clock=clock), clock, poll_interval=1.0, pack_queries=False
    )
    for n in range(12):
        monitor.add_search(f"s{n}", f"keyword{n}")
    monitor.add_mentions("mentions")
    monitor.add_direct_messages("dms")
    for minute in range(90):
        if minute % 3 == 0:
            sandbox.add_post("ann", f"@acme keyword{minute % 12} help")
        monitor.run_due()
        clock.advance(20)
    statuses = {c.status for c in sandbox.calls}
    assert 429 not in statuses
    health = monitor.health()
    polls = [c for c in sandbox.calls if c.endpoint != "GET /2/users/me"]
    assert health.requests_used == len(polls)
    # The budget was the binding constraint: DM reads stay within 15 per 15 minutes.
    dm_calls = [c for c in sandbox.calls if c.endpoint == "GET /2/dm_events"]
    assert len(dm_calls) <= 15 * 2 + 1


def test_stale_search_cursor_is_reported_as_a_gap(sandbox: Sandbox, clock: ManualClock) -> None:
    store = MemoryStore(clock=clock)
    monitor = _monitor(sandbox, store, clock)
    monitor.add_search("brand", "acme")
    sandbox.add_post("ann", "acme first")
    clock.advance(10)
    monitor.run_once()
    assert monitor.health()["brand"].gap is None
    clock.advance(days=9)
    recent = sandbox.add_post("bob", "acme after the holiday")
    clock.advance(10)
    seen = _collect(monitor, "brand")
    monitor.run_once()
    health = monitor.health()["brand"]
    assert health.gap is not None
    assert "7-day" in health.gap
    assert not health.ok
    assert [p.id for p in seen] == [recent.id]


def test_dm_stream(sandbox: Sandbox, clock: ManualClock) -> None:
    sandbox.add_dm("ann", "acme", "my account number is 1234")
    sandbox.add_dm("acme", "ann", "thanks, looking")
    clock.advance(5)
    monitor = _monitor(sandbox, MemoryStore(clock=clock), clock)
    monitor.add_direct_messages("dms")
    seen: list[DirectMessage] = []
    monitor.on_dm("dms")(seen.append)
    monitor.run_once()
    assert [m.text for m in seen] == ["my account number is 1234"]
    monitor.run_once()
    assert len(seen) == 1
    with pytest.raises(ValueError, match="on_dm"):
        monitor.on("dms")
    monitor.add_search("s", "acme")
    with pytest.raises(ValueError, match="on\\("):
        monitor.on_dm("s")


def test_platform_errors_are_recorded_and_recovered(sandbox: Sandbox, clock: ManualClock) -> None:
    monitor = _monitor(sandbox, MemoryStore(clock=clock), clock)
    monitor.add_search("brand", "acme")
    sandbox.fail_next("server_error", times=10, endpoint="GET /2/tweets/search/recent", status=503)
    report = monitor.run_once()
    assert report.errors
    assert report.errors[0][0] == "brand"
    health = monitor.health()["brand"]
    assert health.last_error is not None
    assert "PlatformUnavailableError" in health.last_error
    sandbox.clear_faults()
    clock.advance(120)
    sandbox.add_post("ann", "acme back")
    clock.advance(1)
    seen = _collect(monitor, "brand")
    monitor.run_once()
    assert [p.text for p in seen] == ["acme back"]
    assert monitor.health()["brand"].last_error is None


def test_a_failing_handler_does_not_stop_the_monitor(sandbox: Sandbox, clock: ManualClock) -> None:
    sandbox.add_post("ann", "acme 1")
    sandbox.add_post("ann", "acme 2")
    clock.advance(1)
    monitor = _monitor(sandbox, MemoryStore(clock=clock), clock)
    monitor.add_search("brand", "acme")
    seen: list[str] = []

    @monitor.on("brand")
    def flaky(post: Post) -> None:
        if post.text == "acme 1":
            raise RuntimeError("bug in my handler")
        seen.append(post.text)

    monitor.run_once()
    assert seen == ["acme 2"]
    cursor = monitor.store.get_cursor("brand")
    assert cursor is not None
    assert cursor.last_error is not None
    assert "bug in my handler" in cursor.last_error


def test_alert_sinks_get_posts_with_authors(sandbox: Sandbox, clock: ManualClock) -> None:
    sandbox.add_post("ann", "acme billing error")
    clock.advance(1)
    monitor = _monitor(sandbox, MemoryStore(clock=clock), clock)
    monitor.add_search("billing", "acme billing")
    monitor.add_search("other", "zzz")
    alerts: list[Alert] = []
    monitor.add_sink(CallbackSink(alerts.append), streams=["billing"])
    monitor.run_once()
    assert len(alerts) == 1
    assert alerts[0].author is not None
    assert alerts[0].author.username == "ann"
    assert alerts[0].stream == "billing"
    with pytest.raises(ValueError, match="no stream named"):
        monitor.add_sink(CallbackSink(print), streams=["nope"])


def test_two_workers_share_streams_through_leases(
    sandbox: Sandbox, clock: ManualClock, shared_store: Callable[[], Store]
) -> None:
    for n in range(5):
        sandbox.add_post("ann", f"acme {n} widget")
    clock.advance(1)
    seen: list[tuple[str, str]] = []
    workers = []
    for worker in ("w1", "w2"):
        monitor = _monitor(sandbox, shared_store(), clock, worker_id=worker)
        monitor.add_search("brand", "acme")
        monitor.add_search("widgets", "widget")
        monitor.on("brand")(lambda p, w=worker: seen.append((w, p.id)))
        monitor.on("widgets")(lambda p, w=worker: seen.append((w, p.id)))
        workers.append(monitor)
    first = workers[0].run_once()
    second = workers[1].run_once()
    assert set(first.polled) == {"brand", "widgets"}
    assert second.polled == ()
    # Changed on purpose (issue 15): the message names the holder and the expiry, and a
    # post on both streams reaches both (10 deliveries of 5 posts, all by w1).
    expiry = (clock.now() + dt.timedelta(seconds=workers[1].lease_ttl)).isoformat()
    assert {reason for _, reason in second.skipped} == {
        (
            f"polled by another worker: 'w1' holds the lease until {expiry} "
            "(that worker's Monitor.close() releases it; this worker is 'w2')"
        )
    }
    assert len(seen) == 10
    assert {w for w, _ in seen} == {"w1"}
    assert len({post_id for _, post_id in seen}) == 5
    workers[0].close()  # releases its leases: the other worker takes over
    sandbox.add_post("bob", "acme 6")
    clock.advance(1)
    assert set(workers[1].run_once().polled) == {"brand", "widgets"}
    assert seen[-1][0] == "w2"


def test_expired_lease_is_taken_over(
    sandbox: Sandbox, clock: ManualClock, open_sqlite: Callable[[], SQLiteStore]
) -> None:
    one = _monitor(sandbox, open_sqlite(), clock, worker_id="one", lease_ttl=60)
    two = _monitor(sandbox, open_sqlite(), clock, worker_id="two", lease_ttl=60)
    for monitor in (one, two):
        monitor.add_search("brand", "acme")
    assert one.run_once().polled == ("brand",)
    assert two.run_once().polled == ()
    clock.advance(61)  # worker one died without releasing
    assert two.run_once().polled == ("brand",)


def test_run_forever_stops_on_sigterm_and_restores_handlers(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    store = MemoryStore(clock=clock)
    monitor = _monitor(sandbox, store, clock)
    monitor.add_search("brand", "acme")
    polls: list[int] = []

    @monitor.on("brand")
    def on_post(post: Post) -> None:
        polls.append(1)
        signal.raise_signal(signal.SIGTERM)

    previous = signal.getsignal(signal.SIGTERM)
    sandbox.add_post("ann", "acme stop me")
    clock.advance(1)
    monitor.run_forever(max_cycles=50)
    assert polls == [1]
    assert signal.getsignal(signal.SIGTERM) is previous
    assert store.get_lease("monitor:stream:brand") is None


def test_run_forever_polls_on_schedule(sandbox: Sandbox, clock: ManualClock) -> None:
    monitor = _monitor(sandbox, MemoryStore(clock=clock), clock, poll_interval=60)
    monitor.add_search("brand", "acme")
    start = clock.now()
    monitor.run_forever(max_cycles=5, handle_signals=False)
    searches = [c for c in sandbox.calls if c.endpoint == "GET /2/tweets/search/recent"]
    assert len(searches) == 5
    assert clock.now() - start >= dt.timedelta(seconds=4 * 60)


def test_health_summary(sandbox: Sandbox, clock: ManualClock) -> None:
    monitor = _monitor(sandbox, MemoryStore(clock=clock), clock)
    monitor.add_search("brand", "acme")
    monitor.add_mentions()
    before = monitor.health()
    assert not before.ok
    assert before["brand"].last_success_at is None
    monitor.run_once()
    clock.advance(30)
    health = monitor.health()
    assert health.ok
    assert health["brand"].lag == dt.timedelta(seconds=30)
    assert health["mentions"].requests_used == 1
    assert health.requests_used == 2
    with pytest.raises(KeyError):
        health["nope"]


def test_configuration_errors(sandbox: Sandbox, clock: ManualClock) -> None:
    store = MemoryStore(clock=clock)
    with pytest.raises(ConfigurationError, match="poll_interval"):
        _monitor(sandbox, store, clock, poll_interval=0)
    with pytest.raises(ConfigurationError, match="budget_share"):
        _monitor(sandbox, store, clock, budget_share=1.5)
    with pytest.raises(ConfigurationError, match="page_size"):
        _monitor(sandbox, store, clock, page_size=500)
    monitor = _monitor(sandbox, store, clock)
    with pytest.raises(ConfigurationError, match="no streams"):
        monitor.run_forever(max_cycles=1)
    monitor.add_search("brand", "acme")
    with pytest.raises(ValueError, match="exists already"):
        monitor.add_search("brand", "other")
    with pytest.raises(QueryError):
        monitor.add_search("long", " OR ".join(f"word{n}" for n in range(200)))
    with pytest.raises(QueryError):
        Stream.search("bad", '"unbalanced')
    with pytest.raises(ValueError, match="non-empty"):
        Stream.mentions(" ")


def test_more_than_800_mentions_back_is_a_gap(sandbox: Sandbox, clock: ManualClock) -> None:
    monitor = _monitor(sandbox, MemoryStore(clock=clock), clock)
    monitor.add_mentions()
    sandbox.add_post("ann", "@acme hello")
    clock.advance(1)
    monitor.run_once()
    assert monitor.health()["mentions"].gap is None
    for n in range(850):
        sandbox.add_post("bob", f"@acme flood {n}")
        clock.advance(1)
    seen = _collect(monitor, "mentions")
    monitor.run_once()
    health = monitor.health()["mentions"]
    assert health.gap is not None
    assert "800" in health.gap
    assert len(seen) == 800
    assert seen[-1].text == "@acme flood 849"


def test_failures_back_off_exponentially_then_recover(sandbox: Sandbox, clock: ManualClock) -> None:
    monitor = _monitor(sandbox, MemoryStore(clock=clock), clock, poll_interval=60)
    monitor.add_search("brand", "acme")
    sandbox.fail_next("server_error", times=1000, endpoint="GET /2/tweets/search/recent")
    waits: list[float] = []
    for _ in range(6):
        monitor.run_due()
        next_poll = monitor.health()["brand"].next_poll_at
        assert next_poll is not None
        waits.append((next_poll - clock.now()).total_seconds())
        clock.set(next_poll)
    # Jittered exponential backoff: each wait within [0.5, 1] x 60 * 2**n, capped at 15 minutes.
    for n, wait in enumerate(waits):
        ceiling = min(900.0, 60.0 * 2**n)
        assert ceiling / 2 <= wait <= ceiling
    assert waits[-1] > waits[0] * 4
    sandbox.clear_faults()
    monitor.run_due()
    assert monitor.health()["brand"].last_error is None
    next_poll = monitor.health()["brand"].next_poll_at
    assert next_poll is not None
    assert (next_poll - clock.now()).total_seconds() == 60


def test_a_429_waits_for_the_announced_reset(sandbox: Sandbox, clock: ManualClock) -> None:
    platform = sandbox.platform("acme", max_rate_limit_wait=0)
    monitor = Monitor(platform, MemoryStore(clock=clock), clock=clock, poll_interval=60)
    monitor.add_search("brand", "acme")
    sandbox.fail_next("rate_limit", endpoint="GET /2/tweets/search/recent", retry_after=600)
    report = monitor.run_due()
    assert "RateLimitError" in report.errors[0][1]
    next_poll = monitor.health()["brand"].next_poll_at
    assert next_poll is not None
    assert (next_poll - clock.now()).total_seconds() >= 599


def test_monitor_traffic_is_checked_against_the_contract(
    sandbox: Sandbox, clock: ManualClock, x_contract: OpenAPIContract | None
) -> None:
    if x_contract is None:
        pytest.skip("X's OpenAPI document is not available (outside CI)")
    before = x_contract.checked
    monitor = _monitor(sandbox, MemoryStore(clock=clock), clock)
    monitor.add_search("brand", "acme")
    monitor.add_mentions()
    monitor.add_direct_messages()
    sandbox.add_post("ann", "@acme acme help")
    sandbox.add_dm("ann", "acme", "hello")
    clock.advance(5)
    monitor.run_once()
    assert x_contract.checked - before >= 4  # me, search, mentions, DM events
