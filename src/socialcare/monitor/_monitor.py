"""Monitoring: named streams (columns) polled inside X's rate limits, with persisted cursors.

A :class:`Monitor` owns a set of streams. Each stream is a recent-search query,
an account's mentions timeline, or the account's DM events. Polling a stream
asks the platform only for what is newer than the stream's cursor (``since_id``),
hands every new post to the stream's handlers and alert sinks, stores the posts,
and then moves the cursor in the store, so that a restarted monitor resumes
exactly where it stopped: no gap, and no post handled twice by the same store.

Delivery is *at least once*: posts are handed to handlers before the cursor
moves, so a crash in between means those posts come again after a restart
(the store's record of seen posts filters them when the crash happened after
they were stored).

Economy. Search streams are packed into as few requests as X's query-length
limit allows (``(q1) OR (q2) ...``) and the results are sorted back into
streams with the same local matcher the sandbox uses; pages are always full
size (100). Requests are spread across streams inside each endpoint's rate
limit (a token bucket per endpoint, refilled over the 15-minute window, that
also respects the ``x-rate-limit-remaining`` the platform last reported), so a
monitor under full load waits instead of hitting 429.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import random
import signal
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import FrameType
from typing import Literal, TypeVar

import attrs

from socialcare._clock import Clock, SystemClock
from socialcare._snowflake import snowflake_time
from socialcare.alerts._sinks import Alert, AlertSink
from socialcare.errors import (
    AlertError,
    ConfigurationError,
    PlatformError,
    QueryError,
    RateLimitError,
    SocialCareError,
    StorageError,
)
from socialcare.models import DirectMessage, Page, Post, User
from socialcare.platforms import Platform, RateLimit
from socialcare.query import Query
from socialcare.storage import Store

__all__ = [
    "CycleReport",
    "Monitor",
    "MonitorHealth",
    "Stream",
    "StreamHealth",
    "StreamKind",
]

log = logging.getLogger("socialcare.monitor")

StreamKind = Literal["search", "mentions", "dms"]
"""What a stream polls: recent search, a mentions timeline, or DM events."""

PostHandler = Callable[[Post], object]
DMHandler = Callable[[DirectMessage], object]
T = TypeVar("T")
E = TypeVar("E", Post, DirectMessage)
PH = TypeVar("PH", bound=PostHandler)
DH = TypeVar("DH", bound=DMHandler)

SEARCH_WINDOW = dt.timedelta(days=7)
"""How far back recent search reaches."""
MENTIONS_CAP = 800
"""How many of the most recent mentions the mentions timeline keeps."""
RATE_WINDOW = 15 * 60.0
"""X's rate-limit window, in seconds."""
MAX_BACKOFF = 15 * 60.0
"""The longest wait after repeated failures, in seconds."""

_ENDPOINTS: Mapping[StreamKind, str] = {
    "search": "GET /2/tweets/search/recent",
    "mentions": "GET /2/users/:id/mentions",
    "dms": "GET /2/dm_events",
}
# Requests per 15-minute window when the platform has not told us yet. Search and
# mentions use the per-user numbers (the lower of app and user), DM reads 15.
_DEFAULT_LIMITS: Mapping[str, int] = {
    "GET /2/tweets/search/recent": 300,
    "GET /2/users/:id/mentions": 300,
    "GET /2/dm_events": 15,
}


@attrs.frozen
class Stream:
    """A named column of the monitor. Build one with the class methods.

    Attributes:
        name: unique name; also the key of the stream's cursor in the store.
        kind: ``"search"``, ``"mentions"`` or ``"dms"``.
        query: the X search query (search streams).
        user_id: whose mentions (mentions streams; ``None`` means the acting account).
    """

    name: str
    kind: StreamKind
    query: str | None = None
    user_id: str | None = None

    @classmethod
    def search(cls, name: str, query: Query | str) -> Stream:
        """A recent-search stream.

        Raises:
            QueryError: the query is not valid X search syntax.
        """
        parsed = query if isinstance(query, Query) else Query.parse(query)
        return cls(name=_check_name(name), kind="search", query=parsed.render())

    @classmethod
    def mentions(cls, name: str = "mentions", *, user_id: str | None = None) -> Stream:
        """The mentions timeline of ``user_id`` (default: the acting account)."""
        return cls(name=_check_name(name), kind="mentions", user_id=user_id)

    @classmethod
    def direct_messages(cls, name: str = "dms") -> Stream:
        """The acting account's DM events."""
        return cls(name=_check_name(name), kind="dms")

    @property
    def endpoint(self) -> str:
        """The X endpoint this stream polls."""
        return _ENDPOINTS[self.kind]


def _check_name(name: str) -> str:
    if not name or not name.strip():
        msg = f"a stream name must be a non-empty string, got {name!r}"
        raise ValueError(msg)
    return name


@attrs.frozen
class StreamHealth:
    """How one stream is doing.

    Attributes:
        name: the stream.
        kind: its kind.
        since_id: its cursor.
        last_success_at: the last successful poll.
        last_error: the last error's message (``None`` once a later poll succeeded).
        last_error_at: when it happened.
        lag: how long ago the last successful poll was (``None`` before the first).
        requests_used: requests this monitor made for the stream since it started (a
            packed search request counts for every stream it served).
        posts_delivered: posts (or DM events) handed to handlers since it started.
        gap: why posts may have been missed for good (cursor older than the search
            window, or more than 800 mentions back), or ``None``.
        next_poll_at: when the stream is due next.
    """

    name: str
    kind: StreamKind
    since_id: str | None
    last_success_at: dt.datetime | None
    last_error: str | None
    last_error_at: dt.datetime | None
    lag: dt.timedelta | None
    requests_used: int
    posts_delivered: int
    gap: str | None
    next_poll_at: dt.datetime | None

    @property
    def ok(self) -> bool:
        """Whether the stream has polled successfully and has no open error or gap."""
        return self.last_success_at is not None and self.last_error is None and self.gap is None


@attrs.frozen
class MonitorHealth:
    """A summary of every stream's health.

    Attributes:
        checked_at: when the summary was made.
        streams: each stream's health, in the order added.
        requests_used: platform requests this monitor made since it started (a packed
            request serving several streams counts once here).
    """

    checked_at: dt.datetime
    streams: tuple[StreamHealth, ...]
    requests_used: int = 0

    @property
    def ok(self) -> bool:
        """Whether every stream is healthy."""
        return all(s.ok for s in self.streams)

    def __getitem__(self, name: str) -> StreamHealth:
        for stream in self.streams:
            if stream.name == name:
                return stream
        raise KeyError(name)


@attrs.frozen
class CycleReport:
    """What one polling cycle did.

    Attributes:
        polled: streams polled (in the order polled).
        skipped: streams not polled, with why (rate budget, another worker's lease).
        delivered: posts and DM events handed to handlers.
        requests: platform requests made.
        errors: ``(stream, message)`` for every stream that failed.
    """

    polled: tuple[str, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()
    delivered: int = 0
    requests: int = 0
    errors: tuple[tuple[str, str], ...] = ()


@attrs.define
class _Bucket:
    """A token bucket for one endpoint, refilled evenly over the rate window."""

    capacity: float
    tokens: float
    updated: dt.datetime

    def refill(self, now: dt.datetime) -> None:
        elapsed = max(0.0, (now - self.updated).total_seconds())
        self.tokens = min(self.capacity, self.tokens + elapsed * self.capacity / RATE_WINDOW)
        self.updated = now


@attrs.define
class _State:
    """Per-stream bookkeeping that lives in this process."""

    requests: int = 0
    delivered: int = 0
    gap: str | None = None
    next_due: dt.datetime | None = None
    last_error: str | None = None
    failures: int = 0


class _Budget:
    """Rate-limit budgets for every endpoint this monitor polls."""

    def __init__(self, clock: Clock, share: float) -> None:
        self._clock = clock
        self._share = share
        self._buckets: dict[str, _Bucket] = {}

    def _bucket(self, endpoint: str, observed: RateLimit | None) -> _Bucket:
        limit = observed.limit if observed is not None else _DEFAULT_LIMITS.get(endpoint, 15)
        capacity = max(1.0, math.floor(limit * self._share))
        bucket = self._buckets.get(endpoint)
        now = self._clock.now()
        if bucket is None:
            bucket = self._buckets[endpoint] = _Bucket(capacity, capacity, now)
        elif bucket.capacity != capacity:
            bucket.tokens = min(bucket.tokens, capacity)
            bucket.capacity = capacity
        bucket.refill(now)
        return bucket

    def capacity(self, endpoint: str, observed: RateLimit | None) -> float:
        return self._bucket(endpoint, observed).capacity

    def available(self, endpoint: str, observed: RateLimit | None) -> bool:
        """Whether a request to ``endpoint`` fits the budget now."""
        bucket = self._bucket(endpoint, observed)
        if bucket.tokens < 1:
            return False
        now = self._clock.now()
        return observed is None or observed.remaining > 0 or observed.reset_at <= now

    def spend(self, endpoint: str) -> None:
        bucket = self._buckets.get(endpoint)
        if bucket is not None:
            bucket.tokens = max(0.0, bucket.tokens - 1)

    def drain(self, endpoint: str) -> None:
        """Empty the bucket after a 429: the platform's view wins."""
        bucket = self._buckets.get(endpoint)
        if bucket is not None:
            bucket.tokens = 0.0

    def seconds_until_token(self, endpoint: str) -> float:
        bucket = self._buckets.get(endpoint)
        if bucket is None or bucket.tokens >= 1:
            return 0.0
        return (1 - bucket.tokens) * RATE_WINDOW / bucket.capacity


@attrs.frozen
class _Fetched:
    """What one unit of polling brought back."""

    posts: tuple[Post, ...] = ()
    users: Mapping[str, User] = attrs.field(factory=dict)
    complete: bool = True
    requests: int = 0
    gap: str | None = None


class Monitor:
    """Poll named streams, deliver new posts to handlers and alert sinks, persist cursors.

    Args:
        platform: where to read (an :class:`~socialcare.platforms.x.XPlatform`, or the sandbox's).
        store: where cursors, seen posts and leases live.
        clock: time for schedules and budgets (``ManualClock`` in tests).
        worker_id: this worker's name for stream leases (default: a random one).
        poll_interval: the shortest time between two polls of a stream, seconds.
        include_retweets: deliver reposts too (by default they are dropped).
        pack_queries: combine search streams into as few requests as the query
            length allows, and sort results back locally.
        max_query_length: X's query length limit for your access (512 self-serve,
            1,024 full archive, 4,096 Enterprise).
        budget_share: the share of each endpoint's rate limit this monitor may use.
        page_size: results per request (X allows at most 100).
        max_pages: pages fetched per stream per poll, at most; a backlog larger
            than that is fetched over the next polls without a gap.
        lease_ttl: how long a stream lease lasts, seconds (default: three poll intervals).
        brand_user_id: the account whose own posts never count as inbound
            (default: the acting account, from ``platform.me()``).
    """

    def __init__(
        self,
        platform: Platform,
        store: Store,
        *,
        clock: Clock | None = None,
        worker_id: str | None = None,
        poll_interval: float = 60.0,
        include_retweets: bool = False,
        pack_queries: bool = True,
        max_query_length: int = 512,
        budget_share: float = 0.9,
        page_size: int = 100,
        max_pages: int = 10,
        lease_ttl: float | None = None,
        brand_user_id: str | None = None,
    ) -> None:
        if poll_interval <= 0:
            raise ConfigurationError(f"poll_interval must be positive, got {poll_interval}")
        if not 0 < budget_share <= 1:
            raise ConfigurationError(f"budget_share must be in (0, 1], got {budget_share}")
        if not 10 <= page_size <= 100:  # noqa: PLR2004 - X's bounds for search
            raise ConfigurationError(f"page_size must be 10 to 100, got {page_size}")
        if max_pages < 1:
            raise ConfigurationError(f"max_pages must be at least 1, got {max_pages}")
        self.platform = platform
        self.store = store
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.worker_id = worker_id or f"monitor-{uuid.uuid4().hex[:12]}"
        self.poll_interval = poll_interval
        self.include_retweets = include_retweets
        self.pack_queries = pack_queries
        self.max_query_length = max_query_length
        self.page_size = page_size
        self.max_pages = max_pages
        self.lease_ttl = lease_ttl if lease_ttl is not None else max(3 * poll_interval, 120.0)
        self._brand_user_id = brand_user_id
        self._streams: dict[str, Stream] = {}
        self._parsed: dict[str, Query] = {}
        self._post_handlers: dict[str, list[PostHandler]] = {}
        self._dm_handlers: dict[str, list[DMHandler]] = {}
        self._sinks: list[tuple[AlertSink, frozenset[str] | None]] = []
        self._state: dict[str, _State] = {}
        self._budget = _Budget(self.clock, budget_share)
        self._stop = threading.Event()
        self._requests = 0
        self._random = random.Random()  # noqa: S311 - jitter, not cryptography

    # -- configuration ---------------------------------------------------------------------

    def add(self, stream: Stream) -> Stream:
        """Add a stream.

        Raises:
            ValueError: a stream with that name exists.
            QueryError: the stream's query alone is longer than ``max_query_length``.
        """
        if stream.name in self._streams:
            msg = f"a stream named {stream.name!r} exists already"
            raise ValueError(msg)
        if stream.query is not None:
            if len(stream.query) > self.max_query_length:
                msg = (
                    f"stream {stream.name!r}: query is {len(stream.query)} characters, "
                    f"over the limit of {self.max_query_length}"
                )
                raise QueryError(msg)
            self._parsed[stream.name] = Query.parse(stream.query)
        self._streams[stream.name] = stream
        self._state[stream.name] = _State()
        return stream

    def add_search(self, name: str, query: Query | str) -> Stream:
        """Add a recent-search stream; see :meth:`Stream.search`."""
        return self.add(Stream.search(name, query))

    def add_mentions(self, name: str = "mentions", *, user_id: str | None = None) -> Stream:
        """Add a mentions-timeline stream; see :meth:`Stream.mentions`."""
        return self.add(Stream.mentions(name, user_id=user_id))

    def add_direct_messages(self, name: str = "dms") -> Stream:
        """Add a DM-events stream; see :meth:`Stream.direct_messages`."""
        return self.add(Stream.direct_messages(name))

    @property
    def streams(self) -> tuple[Stream, ...]:
        """The streams, in the order added."""
        return tuple(self._streams.values())

    def _known(self, name: str) -> Stream:
        try:
            return self._streams[name]
        except KeyError:
            msg = f"no stream named {name!r}; add it first (streams: {sorted(self._streams)})"
            raise ValueError(msg) from None

    def on(self, stream: str) -> Callable[[PH], PH]:
        """Register a handler for the posts of a search or mentions stream.

        Example::

            @monitor.on("brand")
            def triage(post: socialcare.Post) -> None: ...
        """
        if self._known(stream).kind == "dms":
            msg = f"stream {stream!r} carries DM events: use monitor.on_dm({stream!r})"
            raise ValueError(msg)

        def register(handler: PH) -> PH:
            self._post_handlers.setdefault(stream, []).append(handler)
            return handler

        return register

    def on_dm(self, stream: str) -> Callable[[DH], DH]:
        """Register a handler for the events of a DM stream."""
        if self._known(stream).kind != "dms":
            msg = f"stream {stream!r} carries posts: use monitor.on({stream!r})"
            raise ValueError(msg)

        def register(handler: DH) -> DH:
            self._dm_handlers.setdefault(stream, []).append(handler)
            return handler

        return register

    def add_sink(self, sink: AlertSink, *, streams: Iterable[str] | None = None) -> None:
        """Send alerts for the posts of ``streams`` (default: every post stream) to ``sink``."""
        names = None if streams is None else frozenset(self._known(s).name for s in streams)
        self._sinks.append((sink, names))

    @property
    def brand_user_id(self) -> str:
        """The account whose own posts are never inbound (asked of the platform once)."""
        if self._brand_user_id is None:
            self._brand_user_id = self.platform.me().id
        return self._brand_user_id

    # -- running ---------------------------------------------------------------------------

    def run_once(self) -> CycleReport:
        """Poll every stream once (inside the rate budget), for scripts and notebooks."""
        return self._cycle(self.streams)

    def run_due(self) -> CycleReport:
        """Poll the streams whose interval has passed."""
        now = self.clock.now()
        due = [
            s
            for s in self.streams
            if (self._state[s.name].next_due is None or self._state[s.name].next_due <= now)  # type: ignore[operator]
        ]
        return self._cycle(due)

    def run_forever(self, *, max_cycles: int | None = None, handle_signals: bool = True) -> None:
        """Poll due streams until :meth:`stop`, SIGINT or SIGTERM, then shut down cleanly.

        On the way out it lets the current poll finish, flushes and closes the
        sinks, and releases this worker's stream leases.

        Args:
            max_cycles: stop after this many cycles (for scripts and tests).
            handle_signals: install SIGINT/SIGTERM handlers (main thread only)
                that ask the loop to stop; the previous handlers come back after.
        """
        if not self._streams:
            raise ConfigurationError("the monitor has no streams: add one before running")
        self._stop.clear()
        with self._signals(enabled=handle_signals):
            cycles = 0
            try:
                while not self._stop.is_set():
                    self.run_due()
                    cycles += 1
                    if max_cycles is not None and cycles >= max_cycles:
                        break
                    self._wait(self._seconds_to_next_due())
            finally:
                self.close()

    def stop(self) -> None:
        """Ask :meth:`run_forever` to stop after the current poll (thread-safe)."""
        self._stop.set()

    def close(self) -> None:
        """Flush and close sinks and release this worker's stream leases."""
        for sink, _ in self._sinks:
            try:
                close = getattr(sink, "close", None)
                if callable(close):
                    close()
                else:
                    sink.flush()
            except SocialCareError as exc:
                log.warning("alert sink %r failed while closing: %s", sink, exc)
        for name in self._streams:
            with contextlib.suppress(StorageError):
                self.store.release_lease(self._lease_key(name), self.worker_id)

    @contextlib.contextmanager
    def _signals(self, *, enabled: bool) -> Iterator[None]:
        if not enabled or threading.current_thread() is not threading.main_thread():
            yield
            return

        def ask_to_stop(signum: int, _frame: FrameType | None) -> None:
            log.info("signal %s: stopping after the current poll", signum)
            self._stop.set()

        previous = {sig: signal.signal(sig, ask_to_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _seconds_to_next_due(self) -> float:
        now = self.clock.now()
        dues = [s.next_due for s in self._state.values() if s.next_due is not None]
        if not dues:
            return self.poll_interval
        return max(0.0, (min(dues) - now).total_seconds())

    def _wait(self, seconds: float) -> None:
        if isinstance(self.clock, SystemClock):
            self._stop.wait(seconds)
        else:
            self.clock.sleep(seconds)

    # -- health ----------------------------------------------------------------------------

    def health(self) -> MonitorHealth:
        """Every stream's health: last success and error, lag, requests, gaps, next poll."""
        now = self.clock.now()
        out: list[StreamHealth] = []
        for stream in self.streams:
            state = self._state[stream.name]
            cursor = self.store.get_cursor(stream.name)
            success = cursor.last_success_at if cursor is not None else None
            error_at = cursor.last_error_at if cursor is not None else None
            error = cursor.last_error if cursor is not None else None
            if (
                error is not None
                and success is not None
                and error_at is not None
                and success > error_at
            ):
                error = None  # a later poll succeeded
            out.append(
                StreamHealth(
                    name=stream.name,
                    kind=stream.kind,
                    since_id=cursor.since_id if cursor is not None else None,
                    last_success_at=success,
                    last_error=error,
                    last_error_at=error_at,
                    lag=None if success is None else now - success,
                    requests_used=state.requests,
                    posts_delivered=state.delivered,
                    gap=state.gap,
                    next_poll_at=state.next_due,
                )
            )
        return MonitorHealth(checked_at=now, streams=tuple(out), requests_used=self._requests)

    # -- one cycle -------------------------------------------------------------------------

    def _lease_key(self, name: str) -> str:
        return f"monitor:stream:{name}"

    def _interval(self, stream: Stream) -> float:
        """The stream's polling interval: the configured one, stretched to fit the budget."""
        same_endpoint = [s for s in self.streams if s.endpoint == stream.endpoint]
        units = len(self._pack(same_endpoint)) if stream.kind == "search" else len(same_endpoint)
        observed = self.platform.rate_limits().get(stream.endpoint)
        capacity = self._budget.capacity(stream.endpoint, observed)
        return max(self.poll_interval, RATE_WINDOW * units / capacity)

    def _claim(
        self,
        streams: Sequence[Stream],
        skipped: list[tuple[str, str]],
        errors: list[tuple[str, str]],
    ) -> list[Stream]:
        """The streams this worker holds the lease of (claimed or renewed now)."""
        held: list[Stream] = []
        for stream in streams:
            try:
                won = self.store.claim_lease(
                    self._lease_key(stream.name), self.worker_id, ttl=self.lease_ttl
                )
            except StorageError as exc:
                errors.append((stream.name, str(exc)))
                continue
            if won:
                held.append(stream)
            else:
                skipped.append((stream.name, "polled by another worker (lease held)"))
        return held

    def _units(self, held: Sequence[Stream]) -> list[list[Stream]]:
        """Requests to make: packed search groups, then mentions and DM streams."""
        searches = [s for s in held if s.kind == "search"]
        units = self._pack(searches) if self.pack_queries else [[s] for s in searches]
        return units + [[s] for s in held if s.kind != "search"]

    def _poll_safely(self, unit: Sequence[Stream], errors: list[tuple[str, str]]) -> int:
        """Poll a unit and schedule its next poll; a failure is recorded, never raised.

        After a failure the unit waits longer each time (exponential backoff from
        ``poll_interval``, jittered, at most ``MAX_BACKOFF``), or until the reset
        X announced for a 429; the first success restores the normal interval.
        """
        try:
            delivered = self._poll(unit)
        except (PlatformError, StorageError) as exc:
            message = f"{type(exc).__name__}: {exc}"
            failures = 0
            for stream in unit:
                errors.append((stream.name, message))
                state = self._state[stream.name]
                state.last_error = message
                state.failures += 1
                failures = max(failures, state.failures)
                with contextlib.suppress(StorageError):
                    self.store.record_stream_error(stream.name, message)
            backoff = min(MAX_BACKOFF, self.poll_interval * 2 ** (failures - 1))
            backoff *= 0.5 + self._random.random() / 2
            if isinstance(exc, RateLimitError):
                self._budget.drain(unit[0].endpoint)
                if exc.reset_at is not None:
                    backoff = max(backoff, (exc.reset_at - self.clock.now()).total_seconds())
            log.warning(
                "polling %s failed (%d in a row), next try in %.0fs: %s",
                [s.name for s in unit],
                failures,
                backoff,
                message,
            )
            self._schedule(unit, extra=backoff)
            return 0
        for stream in unit:
            self._state[stream.name].failures = 0
        self._schedule(unit)
        return delivered

    def _cycle(self, streams: Sequence[Stream]) -> CycleReport:
        skipped: list[tuple[str, str]] = []
        errors: list[tuple[str, str]] = []
        polled: list[str] = []
        delivered = 0
        requests_before = self._requests
        for unit in self._units(self._claim(streams, skipped, errors)):
            endpoint = unit[0].endpoint
            if not self._budget.available(endpoint, self.platform.rate_limits().get(endpoint)):
                skipped.extend((s.name, f"rate budget for {endpoint} used up") for s in unit)
                self._schedule(unit, extra=self._budget.seconds_until_token(endpoint))
                continue
            delivered += self._poll_safely(unit, errors)
            polled.extend(s.name for s in unit)
        for sink, _ in self._sinks:
            try:
                sink.flush()
            except SocialCareError as exc:
                errors.append(("<sink>", str(exc)))
        return CycleReport(
            polled=tuple(polled),
            skipped=tuple(skipped),
            delivered=delivered,
            requests=self._requests - requests_before,
            errors=tuple(errors),
        )

    def _schedule(self, unit: Sequence[Stream], *, extra: float = 0.0) -> None:
        now = self.clock.now()
        for stream in unit:
            seconds = max(self._interval(stream), extra)
            self._state[stream.name].next_due = now + dt.timedelta(seconds=seconds)

    def _pack(self, searches: Sequence[Stream]) -> list[list[Stream]]:
        """Group search streams into as few requests as the query length allows.

        First-fit decreasing by query length: each group's query is
        ``(q1) OR (q2) ...`` and stays within ``max_query_length``.
        """
        groups: list[tuple[list[Stream], int]] = []
        for stream in sorted(searches, key=lambda s: -len(s.query or "")):
            text = stream.query or ""
            for i, (members, length) in enumerate(groups):
                added = len(text) + 2 + 4 + (2 if len(members) == 1 else 0)
                if length + added <= self.max_query_length:
                    groups[i] = ([*members, stream], length + added)
                    break
            else:
                groups.append(([stream], len(text)))
        return [members for members, _ in groups]

    def _group_query(self, unit: Sequence[Stream]) -> str:
        if len(unit) == 1:
            return unit[0].query or ""
        return " OR ".join(f"({s.query})" for s in unit)

    def _count_request(self, unit: Sequence[Stream]) -> None:
        """Book one platform request against the unit's streams and the endpoint budget."""
        self._requests += 1
        self._budget.spend(unit[0].endpoint)
        for stream in unit:
            self._state[stream.name].requests += 1

    def _poll(self, unit: Sequence[Stream]) -> int:
        """Poll one unit (a packed search group, or one stream); return how many were delivered."""
        kind = unit[0].kind
        cursors = {s.name: self.store.get_cursor(s.name) for s in unit}
        known = [c.since_id for c in cursors.values() if c is not None and c.since_id is not None]
        since = min(known, key=int) if known else None
        if kind == "dms":
            return self._poll_dms(unit[0], since)
        fetched = self._fetch_posts(unit, since)
        for stream in unit:
            self._state[stream.name].gap = fetched.gap
        delivered = self._deliver_posts(unit, fetched, cursors)
        # Store what was seen (so a restart does not hand it over again), then move cursors.
        if fetched.posts:
            self.store.upsert_posts(fetched.posts)
        if fetched.users:
            self.store.upsert_users(fetched.users.values())
        newest = max((p.id for p in fetched.posts), key=int, default=None)
        for stream in unit:
            cursor = cursors[stream.name]
            moves = fetched.complete or cursor is None or cursor.since_id is None
            self.store.advance_cursor(stream.name, since_id=newest if moves else None)
            self._state[stream.name].last_error = None
        return delivered

    def _fetch_posts(self, unit: Sequence[Stream], since: str | None) -> _Fetched:
        stream = unit[0]
        now = self.clock.now()
        start_time: dt.datetime | None = None
        gap: str | None = None
        if (
            stream.kind == "search"
            and since is not None
            and snowflake_time(since) < now - SEARCH_WINDOW
        ):
            gap = (
                f"cursor {since} is from {snowflake_time(since):%Y-%m-%d %H:%M} UTC, older "
                "than the 7-day search window: posts between then and "
                f"{now - SEARCH_WINDOW:%Y-%m-%d %H:%M} UTC cannot be fetched"
            )
            log.warning("stream %s: %s", stream.name, gap)
            since = None
            start_time = now - SEARCH_WINDOW + dt.timedelta(minutes=1)
        first_run = since is None and start_time is None
        query = self._group_query(unit)
        pages, complete = self._paginate(
            unit,
            lambda token: self._request(stream, query, since, start_time, token),
            one_page=first_run,
        )
        posts = [post for page in pages for post in page.items]
        users = {user.id: user for page in pages for user in page.includes.users}
        oldest = min((int(p.id) for p in posts), default=0)
        capped = len(posts) >= MENTIONS_CAP and since is not None and oldest > int(since)
        if stream.kind == "mentions" and complete and capped:
            gap = (
                f"{len(posts)} mentions since {since}: the timeline keeps only the "
                f"{MENTIONS_CAP} most recent, so older ones may be missing for good"
            )
            log.warning("stream %s: %s", stream.name, gap)
        return _Fetched(tuple(posts), users, complete, len(pages), gap)

    def _paginate(
        self,
        unit: Sequence[Stream],
        fetch: Callable[[str | None], Page[T]],
        *,
        one_page: bool,
    ) -> tuple[list[Page[T]], bool]:
        """Fetch pages newest first until the platform has no more, the budget or ``max_pages``.

        Returns the pages and whether the whole range was fetched.
        """
        endpoint = unit[0].endpoint
        pages: list[Page[T]] = []
        token: str | None = None
        while True:
            if pages and not self._budget.available(
                endpoint, self.platform.rate_limits().get(endpoint)
            ):
                return pages, False
            self._count_request(unit)
            page = fetch(token)
            pages.append(page)
            token = page.next_token
            if token is None or one_page:
                return pages, True
            if len(pages) >= self.max_pages:
                return pages, False

    def _request(
        self,
        stream: Stream,
        query: str,
        since: str | None,
        start_time: dt.datetime | None,
        token: str | None,
    ) -> Page[Post]:
        if stream.kind == "search":
            return self.platform.search_recent(
                query,
                since_id=since,
                start_time=start_time,
                max_results=self.page_size,
                next_token=token,
            )
        return self.platform.mentions(
            stream.user_id or self.brand_user_id,
            since_id=since,
            max_results=self.page_size,
            next_token=token,
        )

    def _deliver_posts(
        self, unit: Sequence[Stream], fetched: _Fetched, cursors: Mapping[str, object]
    ) -> int:
        brand = self.brand_user_id
        ordered = sorted({p.id: p for p in fetched.posts}.values(), key=lambda p: int(p.id))
        candidates = [
            p
            for p in ordered
            if p.author_id != brand and (self.include_retweets or not p.is_retweet)
        ]
        if not candidates:
            return 0
        seen = {p.id for p in self.store.get_posts(p.id for p in candidates)}
        fresh = [p for p in candidates if p.id not in seen]
        delivered = 0
        alerts: dict[str, list[Alert]] = {}
        now = self.clock.now()
        for post in fresh:
            for stream in unit:
                cursor = cursors.get(stream.name)
                since = getattr(cursor, "since_id", None)
                if since is not None and int(post.id) <= int(since):
                    continue
                if len(unit) > 1 and not self._parsed[stream.name].matches(
                    post, users=fetched.users
                ):
                    continue
                self._call_handlers(stream, self._post_handlers.get(stream.name, ()), post)
                author = fetched.users.get(post.author_id or "")
                alerts.setdefault(stream.name, []).append(
                    Alert(stream=stream.name, post=post, received_at=now, author=author)
                )
                delivered += 1
                self._state[stream.name].delivered += 1
                break  # one post is handled once, by the first stream that matches it
        self._alert(alerts)
        return delivered

    def _call_handlers(
        self, stream: Stream, handlers: Iterable[Callable[[E], object]], item: E
    ) -> None:
        """Call each handler; a handler's exception is logged and recorded, never raised."""
        for handler in handlers:
            try:
                handler(item)
            except Exception as exc:  # a handler's bug must not stop the monitor
                name = getattr(handler, "__name__", repr(handler))
                message = f"handler {name!r} failed on {item.id}: {exc!r}"
                log.exception("stream %s: %s", stream.name, message)
                with contextlib.suppress(StorageError):
                    self.store.record_stream_error(stream.name, message)

    def _alert(self, alerts: Mapping[str, list[Alert]]) -> None:
        """Hand alerts to the sinks; a sink's failure is recorded on its streams, not raised.

        Raising here would leave the cursor behind and hand the same posts to the
        handlers again on the next poll.
        """
        for sink, names in self._sinks:
            batch = [
                a for name, items in alerts.items() if names is None or name in names for a in items
            ]
            if not batch:
                continue
            try:
                sink.deliver(batch)
            except AlertError as exc:
                log.warning("alert sink %r failed: %s", sink, exc)
                for name in {a.stream for a in batch}:
                    with contextlib.suppress(StorageError):
                        self.store.record_stream_error(name, f"alert sink failed: {exc}")

    def _poll_dms(self, stream: Stream, since: str | None) -> int:
        pages, complete = self._paginate(
            [stream],
            lambda token: self.platform.dm_events(
                since_id=since, max_results=100, next_token=token
            ),
            one_page=since is None,
        )
        events = {e.id: e for page in pages for e in page.items}
        brand = self.brand_user_id
        delivered = 0
        for event in sorted(events.values(), key=lambda e: int(e.id)):
            if event.sender_id == brand or (since is not None and int(event.id) <= int(since)):
                continue
            if self.store.get_dm(event.id) is not None:
                continue
            self._call_handlers(stream, self._dm_handlers.get(stream.name, ()), event)
            delivered += 1
        state = self._state[stream.name]
        state.delivered += delivered
        if events:
            self.store.upsert_dms(events.values())
        newest = max(events, key=int, default=None)
        moves = complete or since is None
        self.store.advance_cursor(stream.name, since_id=newest if moves else None)
        state.last_error = None
        return delivered
