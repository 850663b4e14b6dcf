"""The ``Monitor`` facade: named streams polled inside X's rate limits, with persisted cursors.

A :class:`Monitor` owns a set of streams. Each stream is a recent-search query,
an account's mentions timeline, or the account's DM events. Polling a stream
asks the platform only for what is newer than the stream's cursor (``since_id``),
hands every new post to the stream's handlers and alert sinks, stores the posts,
and then moves the cursor in the store, so that a restarted monitor resumes
exactly where it stopped: no gap, and no post handled twice by the same store.

The work is split into private modules: stream kinds as strategy objects
(``_kinds``), the rate budget (``_budget``), polling with backlog windows
(``_poll``), delivery with quarantine and the alert outbox (``_delivery``) and
the schedule and run loop (``_scheduler``). The facade wires them together.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar, cast

import attrs

from socialcare._clock import Clock
from socialcare.alerts._sinks import AlertSink
from socialcare.errors import (
    ConfigurationError,
    PlatformError,
    QueryError,
    RateLimitError,
    SocialCareError,
    StorageError,
)
from socialcare.models import DirectMessage, Post
from socialcare.monitor._budget import RATE_WINDOW, Budget
from socialcare.monitor._delivery import Delivery, SinkEntry, log, sink_name
from socialcare.monitor._kinds import Item, Unit, kinds
from socialcare.monitor._poll import Poller, Start, check_start, platform_clock
from socialcare.monitor._report import (
    CostBasis,
    CycleReport,
    MonitorHealth,
    Outcome,
    StreamHealth,
    StreamKind,
    StreamState,
)
from socialcare.monitor._scheduler import Scheduler
from socialcare.monitor._store import MonitorStore
from socialcare.monitor._stream import Stream
from socialcare.platforms import Platform
from socialcare.platforms.x import SEARCH_RECENT, Usage
from socialcare.query import Query

__all__ = [
    "CostBasis",
    "CycleReport",
    "Monitor",
    "MonitorHealth",
    "Stream",
    "StreamHealth",
    "StreamKind",
]

PostHandler = Callable[[Post], object]
DMHandler = Callable[[DirectMessage], object]
PH = TypeVar("PH", bound=PostHandler)
DH = TypeVar("DH", bound=DMHandler)


class Monitor:
    """Poll named streams, deliver new posts to handlers and alert sinks, persist cursors.

    Args:
        platform: where to read (an :class:`~socialcare.platforms.x.XPlatform`, or the sandbox's).
        store: where cursors, seen posts, backlogs, the alert outbox, the audit log
            and leases live (any :class:`~socialcare.storage.Store`).
        clock: time for schedules, budgets, lease expiry checks and X's search window
            (default: the platform's ``clock`` attribute when it has one, as a platform
            on the sandbox does, so the monitor lives in the sandbox's time; else
            the system clock).
        worker_id: this worker's name for stream leases, the outbox and the audit
            log (default: a random one).
        poll_interval: the shortest time between two polls of a stream, seconds.
        include_retweets: deliver reposts too (by default they are dropped).
        pack_queries: combine search streams into as few requests as the query
            length allows (``socialcare.query``'s packer), and sort results back locally.
        max_query_length: X's query length limit for your access (512 self-serve,
            1,024 full archive, 4,096 Enterprise).
        budget_share: the share of each endpoint's rate limit this monitor may use.
        page_size: results per request (X allows at most 100).
        max_pages: pages fetched per stream per poll, at most; a larger backlog is
            recorded in the store and walked over the next polls (nothing is
            skipped; what X no longer reaches is reported as a gap).
        lease_ttl: how long a stream lease lasts, seconds (default: three poll intervals).
        brand_user_id: the account whose own posts never count as inbound
            (default: the acting account, from ``platform.me()``).
        alert_attempts: how many times an alert a sink failed to take is offered
            again (with backoff from ``poll_interval``) before it is given up.
        start: where a stream with no cursor starts: ``None`` (the newest page,
            ``page_size`` posts, are delivered), ``"now"`` (nothing old is delivered;
            only what arrives after the first poll), an aware ``datetime`` (every post
            since then, walked like a backlog), or an ``int`` N (the N newest).
        expansions: what the reads of post streams without their own ``expansions``
            ask X to expand, and so pay for (every expanded user is a $0.010 user
            read, every post $0.005). ``None`` (the default) is the author policy,
            the cheapest way to know every post's author on X's price rules: posts
            are read with no expansions, authors the store holds are taken from
            it (not read again), and the others are read in one batched
            ``GET /2/users?ids=`` per poll (X bills only the users returned). A
            tuple is passed through to the platform's reads as is
            (``("author_id",)``: authors expanded, each billed once per UTC day;
            ``()``: no authors beyond those already in the store). Search streams
            with different expansions are never packed into one request.

    Use it as a context manager (``with Monitor(...) as monitor:``) so that
    :meth:`close` runs, releasing the stream leases, even when a notebook cell fails.
    """

    def __init__(
        self,
        platform: Platform,
        store: MonitorStore,
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
        alert_attempts: int = 5,
        start: Start = None,
        expansions: Iterable[str] | None = None,
    ) -> None:
        if poll_interval <= 0:
            raise ConfigurationError(f"poll_interval must be positive, got {poll_interval}")
        if not 0 < budget_share <= 1:
            raise ConfigurationError(f"budget_share must be in (0, 1], got {budget_share}")
        if not 10 <= page_size <= 100:  # noqa: PLR2004 - X's bounds for search
            raise ConfigurationError(f"page_size must be 10 to 100, got {page_size}")
        if max_pages < 1:
            raise ConfigurationError(f"max_pages must be at least 1, got {max_pages}")
        if alert_attempts < 1:
            raise ConfigurationError(f"alert_attempts must be at least 1, got {alert_attempts}")
        self.expansions = (
            None if expansions is None else SEARCH_RECENT.checked_expansions(expansions)
        )
        self.platform = platform
        self.store = store
        self.clock: Clock = clock if clock is not None else platform_clock(platform)
        self.start = check_start(start)
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
        self._state: dict[str, StreamState] = {}
        self._kinds = kinds()
        self._units_cache: dict[tuple[str, ...], list[Unit]] = {}
        self._budget = Budget(self.clock, budget_share)
        self._delivery = Delivery(
            store,
            self.clock,
            actor=self.worker_id,
            states=self._state,
            attempts=alert_attempts,
            retry_interval=poll_interval,
        )
        self._poller = Poller(
            platform=platform,
            store=store,
            clock=self.clock,
            budget=self._budget,
            kinds=self._kinds,
            delivery=self._delivery,
            states=self._state,
            page_size=page_size,
            max_pages=max_pages,
            include_retweets=include_retweets,
            brand_user_id=lambda: self.brand_user_id,
            actor=self.worker_id,
            start=self.start,
        )
        self._scheduler = Scheduler(
            self.clock, self._state, poll_interval=poll_interval, interval=self._interval
        )

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
            Query.parse(stream.query)
        self._streams[stream.name] = stream
        self._state[stream.name] = StreamState()
        self._units_cache.clear()
        return stream

    def add_search(
        self, name: str, query: Query | str, *, expansions: Iterable[str] | None = None
    ) -> Stream:
        """Add a recent-search stream; see :meth:`Stream.search`."""
        return self.add(Stream.search(name, query, expansions=expansions))

    def add_mentions(
        self,
        name: str = "mentions",
        *,
        user_id: str | None = None,
        expansions: Iterable[str] | None = None,
    ) -> Stream:
        """Add a mentions-timeline stream; see :meth:`Stream.mentions`."""
        return self.add(Stream.mentions(name, user_id=user_id, expansions=expansions))

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
        if not self._kinds[self._known(stream).kind].carries_posts:
            msg = f"stream {stream!r} carries DM events: use monitor.on_dm({stream!r})"
            raise ValueError(msg)

        def register(handler: PH) -> PH:
            self._delivery.handlers.setdefault(stream, []).append(
                cast("Callable[[Item], object]", handler)
            )
            return handler

        return register

    def on_dm(self, stream: str) -> Callable[[DH], DH]:
        """Register a handler for the events of a DM stream."""
        if self._kinds[self._known(stream).kind].carries_posts:
            msg = f"stream {stream!r} carries posts: use monitor.on({stream!r})"
            raise ValueError(msg)

        def register(handler: DH) -> DH:
            self._delivery.handlers.setdefault(stream, []).append(
                cast("Callable[[Item], object]", handler)
            )
            return handler

        return register

    def add_sink(
        self,
        sink: AlertSink,
        *,
        streams: Iterable[str] | None = None,
        query: Query | str | None = None,
    ) -> None:
        """Send alerts for the posts of ``streams`` (default: every post stream) to ``sink``.

        With ``query``, only alerts whose post matches it (``Query.matches``, the
        author known from the poll) go to the sink: alert on a subset of a stream
        without a second stream. Handlers are not filtered; they see every post.
        A post on two streams raises one alert per stream.

        The sink's name keys its undelivered alerts in the store's outbox: its
        ``name`` attribute if it has one, else ``<class name>#<position>`` (the
        order of ``add_sink`` calls, from 0). Keep names stable across restarts
        and unique among the monitors sharing a store.

        Raises:
            QueryError: ``query`` is not valid, or uses an operator that cannot be
                decided locally (``place:``, ``list:``, ...).
        """
        names = None if streams is None else frozenset(self._known(s).name for s in streams)
        parsed = None
        if query is not None:
            parsed = query if isinstance(query, Query) else Query.parse(query)
            parsed.matches(Post(id="0", text=""))  # refuses what cannot be matched locally
        entries = self._delivery.sinks
        entries.append(SinkEntry(sink_name(sink, len(entries)), sink, names, parsed))

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
        return self._cycle(self._scheduler.due(self.streams))

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
        stop = self._scheduler.stop
        stop.clear()
        with self._scheduler.signals(enabled=handle_signals):
            cycles = 0
            try:
                while not stop.is_set():
                    self.run_due()
                    cycles += 1
                    if max_cycles is not None and cycles >= max_cycles:
                        break
                    self._scheduler.wait(self._scheduler.seconds_to_next_due())
            finally:
                self.close()

    def stop(self) -> None:
        """Ask :meth:`run_forever` to stop after the current poll (thread-safe)."""
        self._scheduler.stop.set()

    def __enter__(self) -> Monitor:  # noqa: PYI034 - typing.Self needs Python 3.11
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Flush and close sinks and release this worker's stream leases.

        Another monitor on the same store (a re-run notebook cell, a restarted
        worker with a new ``worker_id``) can poll the streams at once afterwards.
        """
        for entry in self._delivery.sinks:
            try:
                close = getattr(entry.sink, "close", None)
                if callable(close):
                    close()
                else:
                    entry.sink.flush()
            except SocialCareError as exc:
                log.warning("alert sink %s failed while closing: %s", entry.name, exc)
        for name in self._streams:
            with contextlib.suppress(StorageError):
                self.store.release_lease(self._lease_key(name), self.worker_id)

    # -- health ----------------------------------------------------------------------------

    def health(self) -> MonitorHealth:
        """Every stream's health: success, errors, lag, requests, gaps, backlog, quarantine."""
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
            backlog = None
            if cursor is not None and cursor.backlog_until_id is not None:
                backlog = (cursor.backlog_since_id, cursor.backlog_until_id)
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
                    backlog=backlog,
                    quarantined=tuple(state.quarantined),
                )
            )
        return MonitorHealth(
            checked_at=now,
            streams=tuple(out),
            requests_used=self._poller.requests,
            alerts_pending=self._delivery.pending_alerts(),
            alerts_failed=tuple(self._delivery.failed_alerts),
            auth_problem=self._auth_problem(),
        )

    def _auth_problem(self) -> str | None:
        """The platform's optional ``auth_problem()`` (``XPlatform``: a refused OAuth 2.0 grant)."""
        read = getattr(self.platform, "auth_problem", None)
        problem = read() if callable(read) else None
        return problem if isinstance(problem, str) else None

    # -- one cycle -------------------------------------------------------------------------

    def _lease_key(self, name: str) -> str:
        return f"monitor:stream:{name}"

    def _expansions_of(self, stream: Stream) -> tuple[str, ...] | None:
        """What a stream's reads expand: its own choice, else the monitor's (DMs: none)."""
        if not self._kinds[stream.kind].carries_posts:
            return None
        return stream.expansions if stream.expansions is not None else self.expansions

    def _units(self, streams: Sequence[Stream]) -> list[Unit]:
        """Requests to make for ``streams``, kind by kind (search streams packed).

        Only streams that want the same expansions share a request.
        """
        key = tuple(s.name for s in streams)
        cached = self._units_cache.get(key)
        if cached is None:
            cached = []
            for name, kind in self._kinds.items():
                groups: dict[tuple[str, ...] | None, list[Stream]] = {}
                for stream in streams:
                    if stream.kind == name:
                        groups.setdefault(self._expansions_of(stream), []).append(stream)
                for expansions, mine in groups.items():
                    cached += [
                        attrs.evolve(unit, expansions=expansions)
                        for unit in kind.units(
                            mine, pack=self.pack_queries, max_length=self.max_query_length
                        )
                    ]
            self._units_cache[key] = cached
        return cached

    def _interval(self, stream: Stream) -> float:
        """The stream's polling interval: the configured one, stretched to fit the budget."""
        same_endpoint = [s for s in self.streams if s.endpoint == stream.endpoint]
        units = len(self._units(same_endpoint))
        observed = self.platform.rate_limits().get(stream.endpoint)
        capacity = self._budget.capacity(stream.endpoint, observed)
        return max(self.poll_interval, RATE_WINDOW * units / capacity)

    def _claim(self, streams: Sequence[Stream], outcome: Outcome) -> list[Stream]:
        """The streams this worker holds the lease of (claimed or renewed now)."""
        held: list[Stream] = []
        for stream in streams:
            try:
                won = self.store.claim_lease(
                    self._lease_key(stream.name), self.worker_id, ttl=self.lease_ttl
                )
            except StorageError as exc:
                outcome.errors.append((stream.name, str(exc)))
                continue
            if won:
                held.append(stream)
            else:
                outcome.skipped.append((stream.name, self._lease_held(stream.name)))
        return held

    def _lease_held(self, name: str) -> str:
        """Why ``name`` was not polled: who holds its lease, until when, and what to do."""
        try:
            lease = self.store.get_lease(self._lease_key(name))
        except StorageError:
            lease = None
        if lease is None:
            return "polled by another worker (lease held)"
        return (
            f"polled by another worker: {lease.owner!r} holds the lease until "
            f"{lease.expires_at.isoformat()} (that worker's Monitor.close() releases it; "
            f"this worker is {self.worker_id!r})"
        )

    def _poll_safely(self, unit: Unit, outcome: Outcome) -> None:
        """Poll a unit and schedule its next poll; a transient failure is recorded, never raised."""
        try:
            outcome.delivered += self._poller.poll(unit, outcome)
        except (PlatformError, StorageError) as exc:
            message = f"{type(exc).__name__}: {exc}"
            for stream in unit.streams:
                outcome.errors.append((stream.name, message))
                with contextlib.suppress(StorageError):
                    self.store.record_stream_error(stream.name, message)
            reset_at = None
            if isinstance(exc, RateLimitError):
                self._budget.drain(unit.endpoint)
                reset_at = exc.reset_at
            self._scheduler.failed(unit.streams, message, reset_at=reset_at)
            return
        self._scheduler.succeeded(unit.streams)

    def _usage(self) -> Usage | None:
        """The platform's bill so far (its optional ``usage()``), or ``None`` if it has none."""
        read = getattr(self.platform, "usage", None)
        if not callable(read):
            return None
        try:
            usage = read()
        except SocialCareError as exc:  # the bill is a report, never a reason to fail
            log.warning("the platform's usage could not be read: %s", exc)
            return None
        return usage if isinstance(usage, Usage) else None

    def _cycle(self, streams: Sequence[Stream]) -> CycleReport:
        outcome = Outcome(at=self.clock.now())
        requests_before = self._poller.requests
        cost_before = self._poller.cost
        usage_before = self._usage()
        for unit in self._units(self._claim(streams, outcome)):
            endpoint = unit.endpoint
            if not self._budget.available(endpoint, self.platform.rate_limits().get(endpoint)):
                outcome.skipped.extend(
                    (s.name, f"rate budget for {endpoint} used up") for s in unit.streams
                )
                self._scheduler.schedule(
                    unit.streams, extra=self._budget.seconds_until_token(endpoint)
                )
                continue
            self._poll_safely(unit, outcome)
            outcome.polled.extend(s.name for s in unit.streams)
        self._delivery.retry_alerts(outcome)
        for entry in self._delivery.sinks:
            try:
                entry.sink.flush()
            except SocialCareError as exc:
                outcome.errors.append(("<sink>", str(exc)))
        usage_after = None if usage_before is None else self._usage()
        billed = None if usage_after is None else usage_after - cast("Usage", usage_before)
        return outcome.report(
            self._poller.requests - requests_before, self._poller.cost - cost_before, billed
        )
