"""Filtered and activity streams: parsing, reconnects, backoff, keep-alives, limits, billing.

The sandbox pushes posts and events as they are created; keep-alives come every
50 ms here. Backoff waits go through a recording ``sleep`` that returns at once,
so reconnect schedules are asserted as numbers, never timed.
"""

from __future__ import annotations

import io
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TypeVar

import pytest
import requests
from tests.conftest import SHARED

from socialcare.errors import (
    AuthenticationError,
    ConfigurationError,
    PlatformUnavailableError,
    RateLimitError,
)
from socialcare.platforms.x import (
    ACTIVITY_STREAM,
    FILTERED_STREAM,
    ReconnectPolicy,
    StreamConnection,
    StreamedPost,
    XPlatform,
)
from socialcare.query import Query
from socialcare.sandbox import Sandbox
from socialcare.testing import OpenAPIContract
from socialcare.webhooks import PostEvent, activity_stream

T = TypeVar("T")

NO_JITTER = ReconnectPolicy(jitter=0.0)
STALL = 0.5  # seconds without a byte before the client reconnects (keep-alives every 0.05)


def wait_until(condition: Callable[[], bool], what: str, limit: float = 10.0) -> None:
    """Poll until ``condition`` holds; fail (never a timing assert) if it never does."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"never happened: {what}")
        time.sleep(0.005)


class Collector:
    """Runs a stream in a thread and keeps what it yields (or the error that ended it)."""

    def __init__(self, stream: StreamConnection[T]) -> None:
        self.stream = stream
        self.items: list[T] = []
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for item in self.stream:
                self.items.append(item)
        except BaseException as exc:
            self.error = exc

    def wait_items(self, count: int) -> list[T]:
        wait_until(lambda: len(self.items) >= count, f"{count} items")
        return self.items

    def close(self) -> None:
        self.stream.stop()
        self.thread.join(10)
        assert not self.thread.is_alive()


@pytest.fixture
def world(sandbox: Sandbox) -> Sandbox:
    sandbox.stream_keepalive = 0.05
    sandbox.add_user("acme")
    sandbox.add_user("ann")
    return sandbox


@pytest.fixture
def delays() -> list[float]:
    return []


@pytest.fixture
def x(world: Sandbox) -> XPlatform:
    x = world.platform()
    x.sync_stream_rules({"acme": Query.mentioning("acme"), "refund": "refund"})
    return x


@pytest.fixture
def collect() -> Iterator[Callable[[StreamConnection[T]], Collector]]:
    made: list[Collector] = []

    def start(stream: StreamConnection[T]) -> Collector:
        made.append(Collector(stream))
        return made[-1]

    yield start
    for collector in made:
        collector.close()


def test_posts_arrive_with_includes_and_matching_rules(
    world: Sandbox, x: XPlatform, collect, x_contract: OpenAPIContract | None
) -> None:
    lines: list[Mapping[str, object]] = []

    def parse(raw: Mapping[str, object]) -> StreamedPost:
        lines.append(raw)
        return StreamedPost.from_x(raw)

    stream = x.filtered_stream(stall_timeout=STALL)
    stream._parse = parse
    got = collect(stream)
    wait_until(lambda: world.open_streams("filtered") == 1, "connected")
    world.add_post("ann", "nothing to see")
    world.add_post("ann", "@acme I want a refund")
    items = got.wait_items(1)
    item = items[0]
    assert item.post.text == "@acme I want a refund"
    assert sorted(item.tags) == ["acme", "refund"]
    assert item.includes.user(item.post.author_id) is not None  # author_id expanded
    assert stream.stats.connected
    assert stream.stats.items == 1
    wait_until(lambda: stream.stats.keep_alives > 0, "a keep-alive")
    if x_contract is not None:
        for raw in lines:
            assert x_contract.check_payload(FILTERED_STREAM.name, raw) == []


def test_a_dropped_connection_reconnects_with_linear_backoff(
    world: Sandbox, x: XPlatform, collect, delays: list[float]
) -> None:
    stream = x.filtered_stream(stall_timeout=STALL, policy=NO_JITTER, sleep=delays.append)
    got = collect(stream)
    wait_until(lambda: world.open_streams("filtered") == 1, "connected")
    world.add_post("ann", "@acme one")
    got.wait_items(1)
    assert world.drop_streams() == 1
    wait_until(lambda: stream.stats.connects == 2, "reconnected")
    wait_until(lambda: world.open_streams("filtered") == 1, "connected again")
    world.add_post("ann", "@acme two")
    assert [i.post.text for i in got.wait_items(2)] == ["@acme one", "@acme two"]
    assert delays == [0.25]  # X: network errors back off linearly from 250 ms
    assert "closed by X" in (stream.stats.last_error or "")


def test_observers_hear_every_sign_of_life_and_every_loss(
    world: Sandbox, x: XPlatform, collect, delays: list[float]
) -> None:
    alive: list[int] = []
    lost: list[str] = []
    stream = x.filtered_stream(stall_timeout=STALL, policy=NO_JITTER, sleep=delays.append)
    stream.observe(alive=lambda: alive.append(stream.stats.connects), lost=lost.append)
    got = collect(stream)
    wait_until(lambda: stream.stats.keep_alives >= 2, "keep-alives")
    assert len(alive) >= 3  # the connection opened, then every keep-alive
    world.add_post("ann", "@acme one")
    got.wait_items(1)
    assert lost == []
    world.drop_streams()
    wait_until(lambda: bool(lost), "the loss heard")
    assert "closed by X" in lost[0]
    wait_until(lambda: 2 in alive, "the new connection heard")
    assert len(lost) == 1


def test_keep_alive_loss_is_a_stall_and_reconnects(
    world: Sandbox, x: XPlatform, collect, delays: list[float]
) -> None:
    stream = x.filtered_stream(stall_timeout=STALL, policy=NO_JITTER, sleep=delays.append)
    got = collect(stream)
    wait_until(lambda: world.open_streams("filtered") == 1, "connected")
    wait_until(lambda: stream.stats.keep_alives > 0, "a keep-alive")
    world.stall_streams()
    wait_until(lambda: stream.stats.connects == 2, "reconnected after the stall")
    assert "stalled" in (stream.stats.last_error or "")
    assert delays == [0.25]
    wait_until(lambda: world.open_streams("filtered") >= 1, "connected again")
    world.add_post("ann", "@acme after the stall")
    assert got.wait_items(1)[0].post.text == "@acme after the stall"


def test_http_errors_back_off_exponentially_then_recover(
    world: Sandbox, x: XPlatform, collect, delays: list[float]
) -> None:
    world.fail_next("server_error", endpoint=FILTERED_STREAM.name, times=3)
    stream = x.filtered_stream(stall_timeout=STALL, policy=NO_JITTER, sleep=delays.append)
    got = collect(stream)
    wait_until(lambda: stream.stats.connects == 1, "connected after three 503s")
    assert delays == [5.0, 10.0, 20.0]  # X: HTTP errors back off exponentially from 5 s
    assert stream.stats.failures == 3
    world.add_post("ann", "@acme hi")
    assert got.wait_items(1)[0].post.text == "@acme hi"


def test_an_operational_disconnect_backs_off_as_an_http_error(
    world: Sandbox, x: XPlatform, collect, delays: list[float]
) -> None:
    stream = x.filtered_stream(stall_timeout=STALL, policy=NO_JITTER, sleep=delays.append)
    collect(stream)
    wait_until(lambda: world.open_streams("filtered") == 1, "connected")
    world.drop_streams(message=True)
    wait_until(lambda: stream.stats.connects == 2, "reconnected")
    assert delays == [5.0]


def test_rate_limits_and_too_many_connections(
    world: Sandbox, x: XPlatform, collect, delays: list[float]
) -> None:
    world.fail_next("rate_limit", endpoint=FILTERED_STREAM.name)
    first = x.filtered_stream(stall_timeout=STALL, policy=NO_JITTER, sleep=delays.append)
    collect(first)
    wait_until(lambda: first.stats.connects == 1, "connected after a 429")
    assert delays == [60.0]  # X: 429 backs off exponentially from a minute
    wait_until(lambda: world.open_streams("filtered") == 1, "connected")

    second = x.filtered_stream(
        stall_timeout=STALL, policy=ReconnectPolicy(jitter=0.0, max_failures=2), sleep=delays.append
    )
    with pytest.raises(RateLimitError) as caught:
        list(second)
    assert caught.value.status == 429
    assert "maximum allowed connection limit" in (caught.value.detail or "")
    assert delays == [60.0, 60.0]  # one wait, then the second failure gave up
    assert world.open_streams("filtered") == 1  # the first connection is undisturbed
    assert second.stopped


def test_errors_x_will_not_fix_end_the_stream_at_once(
    world: Sandbox, x: XPlatform, delays: list[float]
) -> None:
    world.revoke(world.credentials().bearer_token)
    stream = x.filtered_stream(stall_timeout=STALL, sleep=delays.append)
    with pytest.raises(AuthenticationError):
        next(iter(stream))
    assert delays == []
    user = world.platform("acme", app_reads=False)
    with pytest.raises(ConfigurationError, match="App Only"):
        user.filtered_stream()
    with pytest.raises(ValueError, match="backfill_minutes"):
        x.filtered_stream(backfill_minutes=6)


def test_network_failures_on_connect_give_up_after_max_failures(
    world: Sandbox, x: XPlatform, delays: list[float]
) -> None:
    world.fail_next("timeout", endpoint=FILTERED_STREAM.name, times=5)
    policy = ReconnectPolicy(jitter=0.0, max_failures=3)
    stream = x.filtered_stream(stall_timeout=STALL, policy=policy, sleep=delays.append)
    with pytest.raises(PlatformUnavailableError):
        next(iter(stream))
    assert delays == [0.25, 0.5]
    assert stream.stats.failures == 3


def test_stop_from_the_handler_and_from_another_thread(world: Sandbox, x: XPlatform) -> None:
    seen: list[str] = []
    stream = x.filtered_stream(stall_timeout=STALL)

    def handler(item: StreamedPost) -> None:
        seen.append(item.post.text)
        stream.stop()

    thread = stream.start(handler)
    wait_until(lambda: world.open_streams("filtered") == 1, "connected")
    world.add_post("ann", "@acme stop here")
    thread.join(10)
    assert not thread.is_alive()
    assert seen == ["@acme stop here"]
    wait_until(lambda: world.open_streams("filtered") == 0, "the sandbox saw the close")

    idle = x.filtered_stream(stall_timeout=STALL)
    thread = idle.start(lambda _: None)
    wait_until(lambda: world.open_streams("filtered") == 1, "connected")
    with pytest.raises(RuntimeError, match="one reader"):
        next(iter(idle))
    idle.stop()  # interrupts a connection waiting for data
    thread.join(10)
    assert not thread.is_alive()
    assert not idle.stats.connected


def test_streamed_posts_are_billed_as_reads(world: Sandbox, x: XPlatform, collect) -> None:
    before = world.usage()
    stream = x.filtered_stream(stall_timeout=STALL, expansions=())
    got = collect(stream)
    wait_until(lambda: world.open_streams("filtered") == 1, "connected")
    world.add_post("ann", "@acme a")
    world.add_post("ann", "@acme b")
    world.add_post("ann", "not matched")
    got.wait_items(2)
    assert not got.items[0].includes
    cost = world.usage() - before
    assert cost.counts == {"post_read": 2}  # no expansions asked, none billed


def test_activity_stream_yields_typed_events_billed_once(
    world: Sandbox, collect, x_contract: OpenAPIContract | None
) -> None:
    acme = world.platform("acme")
    acme.create_subscription("post.mention.create", user_id=world.user("acme").id, tag="care")
    x = world.platform()
    before = world.usage()
    got = collect(activity_stream(x, stall_timeout=STALL))
    wait_until(lambda: world.open_streams("activity") == 1, "connected")
    post = world.add_post("ann", "@acme where is my parcel?")
    world.add_post("ann", "no mention")
    event = got.wait_items(1)[0]
    assert isinstance(event, PostEvent)
    assert event.kind == "post.mention.create"
    assert event.post.id == post.id
    assert event.tag == "care"
    assert (world.usage() - before).counts == {"activity_post_event": 1}
    got.close()

    raw = collect(x.activity_stream(stall_timeout=STALL))  # the envelopes as X sends them
    wait_until(lambda: world.open_streams("activity") == 1, "connected")
    world.add_post("ann", "@acme hello again")
    line = raw.wait_items(1)[0]
    data = line["data"]
    assert isinstance(data, Mapping)
    assert data["event_type"] == "post.mention.create"
    assert data["event_uuid"] != event.event_uuid
    if x_contract is not None:
        # X's OpenAPI document (2.159) models only profile, news and follow payloads on
        # this stream; the envelope around a post event's payload is checked.
        envelope = {k: v for k, v in data.items() if k not in {"payload", "includes"}}
        assert x_contract.check_payload(ACTIVITY_STREAM.name, {"data": envelope}) == []


def test_activity_stream_backfill_resends_recent_events_billed_once(
    world: Sandbox, collect
) -> None:
    acme = world.platform("acme")
    acme.create_subscription("post.mention.create", user_id=world.user("acme").id)
    x = world.platform()
    first = collect(activity_stream(x, stall_timeout=STALL))
    wait_until(lambda: world.open_streams("activity") == 1, "connected")
    seen = world.add_post("ann", "@acme seen live")
    first.wait_items(1)
    first.close()
    wait_until(lambda: world.open_streams("activity") == 0, "disconnected")
    missed = world.add_post("ann", "@acme made while away")
    world.advance(minutes=3)
    old = world.add_post("ann", "@acme three minutes later")
    before = world.usage()
    # Reconnect with a two-minute window: only the last event is resent; the one made
    # while away but three minutes ago is out of reach, like the one seen live.
    again = collect(activity_stream(x, stall_timeout=STALL, backfill_minutes=2))
    wait_until(lambda: world.open_streams("activity") == 1, "connected again")
    got = again.wait_items(1)
    assert [e.post.id for e in got if isinstance(e, PostEvent)] == [old.id]
    # billed on its first delivery, here (no webhook, no stream had it before)
    assert (world.usage() - before).counts == {"activity_post_event": 1}
    again.close()
    wait_until(lambda: world.open_streams("activity") == 0, "disconnected again")
    wide = collect(activity_stream(x, stall_timeout=STALL, backfill_minutes=5))
    wait_until(lambda: world.open_streams("activity") == 1, "connected a third time")
    ids = [e.post.id for e in wide.wait_items(3) if isinstance(e, PostEvent)]
    assert ids == [seen.id, missed.id, old.id]
    # each event is billed once, however often it is resent: only the missed one is new
    assert (world.usage() - before).counts == {"activity_post_event": 2}


def test_served_over_http_in_chunks(world: Sandbox, delays: list[float]) -> None:
    token = world.credentials().bearer_token
    with world.serve() as server:
        x = XPlatform(bearer_token=token, api_host=server.url)
        x.sync_stream_rules({"acme": "@acme"})
        stream = x.filtered_stream(stall_timeout=STALL, policy=NO_JITTER, sleep=delays.append)
        got = Collector(stream)
        try:
            wait_until(lambda: world.open_streams("filtered") == 1, "connected")
            with requests.get(
                f"{server.url}{FILTERED_STREAM.path}",
                headers={"Authorization": f"Bearer {token}"},
                stream=True,
                timeout=10,
            ) as second:
                assert second.status_code == 429
                assert second.json()["connection_issue"] == "TooManyConnections"
            world.add_post("ann", "@acme over http")
            assert got.wait_items(1)[0].post.text == "@acme over http"
            world.drop_streams()
            wait_until(lambda: stream.stats.connects == 2, "reconnected")
            wait_until(lambda: world.open_streams("filtered") == 1, "connected again")
            world.add_post("ann", "@acme again")
            assert [i.post.text for i in got.wait_items(2)][-1] == "@acme again"
            world.stall_streams()
            wait_until(lambda: stream.stats.connects == 3, "reconnected after a stall")
            assert delays == [0.25, 0.25]
        finally:
            got.close()
        x.close()


def test_parses_recorded_stream_output_and_skips_a_malformed_line() -> None:
    path = SHARED / "data" / "x-api-v2-samples" / "twarc-csv" / "streaming_output_with_error.jsonl"
    if not path.exists():
        pytest.skip("shared samples absent")
    lines = Path(path).read_bytes().splitlines()
    body = b"\r\n".join(lines) + b"\r\n\r\n"  # and one keep-alive

    def connect() -> requests.Response:
        response = requests.Response()
        response.status_code = 200
        response.raw = io.BytesIO(body)
        return response

    stream = StreamConnection(
        endpoint=FILTERED_STREAM.name,
        connect=connect,
        parse=StreamedPost.from_x,
        policy=ReconnectPolicy(max_failures=1),
        sleep=lambda _: None,
    )
    items: list[StreamedPost] = []
    with pytest.raises(PlatformUnavailableError, match="closed by X"):
        items.extend(stream)
    assert len(items) == len(lines) - 1
    assert stream.stats.skipped == 1
    assert stream.stats.keep_alives == 1
    assert all(item.matching_rules for item in items)
    assert items[0].post.id == "1377650090978992134"


def test_reconnect_policy_is_bounded_and_jittered() -> None:
    policy = ReconnectPolicy()
    assert [policy.base_delay("network", n) for n in (1, 2, 64, 1000)] == [0.25, 0.5, 16.0, 16.0]
    assert [policy.base_delay("http", n) for n in (1, 2, 7, 100)] == [5.0, 10.0, 320.0, 320.0]
    assert [policy.base_delay("rate_limit", n) for n in (1, 2, 5, 10**6)] == [
        60.0,
        120.0,
        960.0,
        960.0,
    ]
    rng = random.Random(7)
    for attempt in range(1, 50):
        for kind in ("network", "http", "rate_limit"):
            base = policy.base_delay(kind, attempt)
            assert base <= policy.delay(kind, attempt, rng) <= base * 1.1
    with pytest.raises(ValueError, match="jitter"):
        ReconnectPolicy(jitter=2)
    with pytest.raises(ValueError, match="max_failures"):
        ReconnectPolicy(max_failures=0)


@pytest.mark.parametrize("backfill", [None, 1])
def test_backfill_resends_what_arrived_while_disconnected(
    world: Sandbox, x: XPlatform, backfill: int | None
) -> None:
    gate = threading.Event()

    def held_sleep(seconds: float) -> None:
        del seconds
        assert gate.wait(10)  # the client stays away until the test lets it reconnect

    stream = x.filtered_stream(
        stall_timeout=STALL, backfill_minutes=backfill, expansions=(), sleep=held_sleep
    )
    got = Collector(stream)
    try:
        wait_until(lambda: world.open_streams("filtered") == 1, "connected")
        before = world.add_post("ann", "@acme before")
        got.wait_items(1)
        world.drop_streams()
        wait_until(lambda: stream.stats.failures == 1, "disconnected")
        missed = world.add_post("ann", "@acme missed")
        gate.set()
        wait_until(lambda: stream.stats.connects == 2, "reconnected")
        wait_until(lambda: world.open_streams("filtered") == 1, "connected again")
        world.add_post("ann", "@acme after")
        # Without backfill the post made while away is lost; with it, the window
        # (1 minute, sandbox time) resends it, and the one seen before the drop too:
        # X warns that backfilled posts may come twice.
        resent = ["@acme before", "@acme missed"] if backfill else []
        expected = ["@acme before", *resent, "@acme after"]
        texts = [i.post.text for i in got.wait_items(len(expected))]
        assert texts == expected
        ids = [i.post.id for i in got.items]
        assert ids.count(missed.id) == (1 if backfill else 0)
        assert ids.count(before.id) == (2 if backfill else 1)
    finally:
        got.close()
