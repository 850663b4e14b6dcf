"""The ``Monitor`` facade: named streams polled inside X's rate limits, with persisted cursors.

A :class:`Monitor` owns a set of streams. Each stream is a recent-search query,
an account's mentions timeline, or the account's DM events. Polling a stream
asks the platform only for what is newer than the stream's cursor (``since_id``),
hands every new post to the stream's handlers and alert sinks, stores the posts,
and then moves the cursor in the store, so that a restarted monitor resumes
exactly where it stopped: no gap, and no post handled twice by the same store.

Real time is a second way in: a stream with a ``realtime`` source (webhook
streams, or any stream a filtered or activity stream connection feeds) also takes
items pushed with :meth:`Monitor.push` or :meth:`Monitor.receive_event`, through the
same delivery path; the store's seen record delivers an item once whichever source
brings it (again, after its claim expired, when a worker died mid-delivery), and
polling becomes the safety net (slow while the source is live, at the normal cadence
while it is down). The monitor can run the filtered and activity stream connections
itself (:meth:`Monitor.add_filtered_stream`, :meth:`Monitor.add_activity_stream`).

The work is split into private modules: stream kinds as strategy objects
(``_kinds``), the rate budget (``_budget``), polling with backlog windows
(``_poll``), delivery with quarantine and the alert outbox (``_delivery``),
real-time sources (``_realtime``), the stream connections' threads (``_live``) and
the schedule and run loop (``_scheduler``). The facade wires them together.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar, cast

import attrs

from socialcare._clock import Clock, platform_clock
from socialcare.alerts._sinks import AlertSink
from socialcare.errors import (
    ConfigurationError,
    PlatformError,
    QueryError,
    RateLimitError,
    SocialCareError,
    StorageError,
)
from socialcare.models import DirectMessage, Post, User
from socialcare.monitor._budget import RATE_WINDOW, Budget
from socialcare.monitor._delivery import Delivery, SinkEntry, log, sink_name
from socialcare.monitor._kinds import Item, Unit, kinds
from socialcare.monitor._live import LiveStream, RealtimeConnection
from socialcare.monitor._poll import Poller, Start, check_start
from socialcare.monitor._realtime import DMEventLike, PostEventLike, RealtimeEvent, Sources
from socialcare.monitor._report import (
    CostBasis,
    CycleReport,
    MonitorHealth,
    Outcome,
    SourceHealth,
    StreamHealth,
    StreamKind,
    StreamState,
)
from socialcare.monitor._scheduler import Scheduler
from socialcare.monitor._store import MonitorStore
from socialcare.monitor._stream import Stream
from socialcare.platforms import Platform
from socialcare.platforms.x import SEARCH_RECENT, ReconnectPolicy, StreamedPost, Usage
from socialcare.query import Query

if TYPE_CHECKING:
    from socialcare.privacy import PrivateDataGuard

__all__ = [
    "CostBasis",
    "CycleReport",
    "Monitor",
    "MonitorHealth",
    "RealtimeConnection",
    "RealtimeEvent",
    "SourceHealth",
    "Stream",
    "StreamHealth",
    "StreamKind",
]

PostHandler = Callable[[Post], object]
DMHandler = Callable[[DirectMessage], object]
PH = TypeVar("PH", bound=PostHandler)
DH = TypeVar("DH", bound=DMHandler)
H = TypeVar("H", bound=Callable[..., object])

SEEN_KEPT = dt.timedelta(days=31)
"""How long a stream's seen record keeps an id: longer than any source can bring it back
(X's DM events reach 30 days, recent search 7, webhook retries and replays 24 hours)."""
_PRUNE_EVERY = dt.timedelta(hours=1)
_RECOVER_BATCH = 100


@attrs.frozen
class _FilteredOptions:
    """How a filtered stream source connects."""

    platform: object
    backfill_minutes: int | None = None
    stall_timeout: float | None = None
    policy: ReconnectPolicy | None = None


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
        realtime_timeout: a real-time source with no event or keep-alive for this
            long, seconds, counts as down: its streams are polled at once and then
            every ``poll_interval`` until it is back.
        safety_interval: how often the streams of a live real-time source are
            polled, seconds (the safety net that catches what real time missed).
        claim_ttl: how long this worker's claim of an item on a real-time stream
            lasts before it is confirmed, seconds (default: ``lease_ttl``): a claim
            left unconfirmed by a worker that died between the claim and the
            handlers is delivered again, from the store, by the first cycle after
            it expires (as stored: redacted when ``redact`` is set). Make it longer
            than handlers take.
        redact: a :class:`~socialcare.privacy.PrivateDataGuard` to keep private data
            out of the store: the posts, DMs and users it writes (and the posts of
            alerts kept for another attempt) are redacted first
            (:meth:`~socialcare.privacy.PrivateDataGuard.redact_post`, length for
            length, so entity offsets still hold). Handlers and alert sinks get the
            items as read, private data included (an escalation policy needs it).
            ``None`` (the default): stored as read.

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
        realtime_timeout: float = 90.0,
        safety_interval: float = 900.0,
        claim_ttl: float | None = None,
        redact: PrivateDataGuard | None = None,
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
        if realtime_timeout <= 0 or safety_interval <= 0:
            msg = (
                "realtime_timeout and safety_interval must be positive, got "
                f"{realtime_timeout} and {safety_interval}"
            )
            raise ConfigurationError(msg)
        self.realtime_timeout = realtime_timeout
        self.safety_interval = safety_interval
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
        self.claim_ttl = claim_ttl if claim_ttl is not None else self.lease_ttl
        if self.claim_ttl <= 0:
            raise ConfigurationError(f"claim_ttl must be positive, got {claim_ttl}")
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
            claim_ttl=self.claim_ttl,
            redact=redact,
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
        self._sources = Sources(self.clock, realtime_timeout)
        self._pruned_at: dt.datetime | None = None
        self._watched: dict[str, tuple[str, dt.timedelta, dt.datetime | None]] = {}
        self._live: dict[str, LiveStream] = {}
        self._filtered: dict[str, _FilteredOptions] = {}

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
        if stream.realtime is not None:
            self._sources.add(stream.realtime)
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

    def add_webhook(
        self,
        name: str = "webhook",
        *,
        user_id: str | None = None,
        events: Iterable[str] | None = None,
        expansions: Iterable[str] | None = None,
        source: str = "webhook",
    ) -> Stream:
        """Add a stream of X Activity API post events; see :meth:`Stream.webhook`."""
        if events is None:
            stream = Stream.webhook(name, user_id=user_id, expansions=expansions, source=source)
        else:
            stream = Stream.webhook(
                name, user_id=user_id, events=events, expansions=expansions, source=source
            )
        return self.add(stream)

    def add_webhook_dms(self, name: str = "webhook_dms", *, source: str = "webhook") -> Stream:
        """Add a stream of X Activity API DM events; see :meth:`Stream.webhook_dms`."""
        return self.add(Stream.webhook_dms(name, source=source))

    def add_filtered_stream(
        self,
        name: str,
        query: Query | str,
        *,
        platform: object | None = None,
        source: str = "filtered",
        expansions: Iterable[str] | None = None,
        backfill_minutes: int | None = None,
        stall_timeout: float | None = None,
        policy: ReconnectPolicy | None = None,
    ) -> Stream:
        """Add a search stream fed by X's filtered stream in real time, polled as a safety net.

        The monitor runs the connection itself while it runs (``with Monitor(...)``,
        :meth:`run_forever`; :meth:`close` ends it), in a background thread. Before
        each new connection it makes the app's stream rules exactly the queries of
        its filtered streams (``sync_stream_rules``; each rule tagged with its
        stream's name, other rules of the app deleted). Each ``StreamedPost`` goes
        through the push path to the streams whose rules it matched; every line and
        keep-alive is a heartbeat; a lost connection signals the source down, so
        polling fills the gap until it is back. All the filtered streams of a
        monitor share one connection (X allows one per app): the connection options
        given last win. Add them before the monitor starts: a stream added while the
        connection runs joins the rules when the next new connection is made.

        Args:
            name: the stream's name, also its rule's tag.
            query: the search query, also the rule's value.
            platform: the platform that opens the stream and syncs the rules (X
                wants an app-only bearer token: ``XPlatform`` with a bearer token;
                default: the monitor's platform).
            source: the real-time source's name.
            expansions: the search stream's expansions (see :meth:`Stream.search`);
                the connection asks for its endpoint's default expansions.
            backfill_minutes: ask X to resend what a reconnect missed (up to 5).
            stall_timeout: seconds without data or keep-alive before reconnecting.
            policy: the reconnect schedule (X's by default).

        Raises:
            ConfigurationError: the platform cannot open a filtered stream.
        """
        chosen = self.platform if platform is None else platform
        for method in ("filtered_stream", "sync_stream_rules"):
            if not callable(getattr(chosen, method, None)):
                msg = f"the platform cannot open a filtered stream (it has no {method}())"
                raise ConfigurationError(msg)
        options = self._filtered.get(source, _FilteredOptions(chosen))
        options = _FilteredOptions(
            chosen,
            backfill_minutes if backfill_minutes is not None else options.backfill_minutes,
            stall_timeout if stall_timeout is not None else options.stall_timeout,
            policy if policy is not None else options.policy,
        )
        stream = self.add(Stream.search(name, query, expansions=expansions, realtime=source))
        self._filtered[source] = options
        if source not in self._live:
            self._live[source] = self._live_stream(
                source,
                lambda: self._open_filtered(source),
                route=lambda item: self._route_filtered(source, item),
                prepare=lambda: self._sync_rules(source),
            )
        return stream

    def add_filtered_streams(
        self,
        queries: Mapping[str, Query | str],
        *,
        platform: object | None = None,
        source: str = "filtered",
        backfill_minutes: int | None = None,
        stall_timeout: float | None = None,
        policy: ReconnectPolicy | None = None,
    ) -> list[Stream]:
        """One :meth:`add_filtered_stream` per entry (a ``QuerySet`` works): name to query."""
        return [
            self.add_filtered_stream(
                name,
                query,
                platform=platform,
                source=source,
                backfill_minutes=backfill_minutes,
                stall_timeout=stall_timeout,
                policy=policy,
            )
            for name, query in queries.items()
        ]

    def add_activity_stream(
        self, connect: Callable[[], RealtimeConnection[object]], *, source: str = "webhook"
    ) -> None:
        """Run an X Activity API stream into the streams of ``source``, as the monitor runs.

        ``connect`` makes a new connection of typed events, e.g.
        ``lambda: socialcare.webhooks.activity_stream(app)`` (the monitor does not
        import the webhooks package). Events go through :meth:`receive_event`, to the
        streams added with :meth:`add_webhook`/:meth:`add_webhook_dms` for the same
        ``source``; keep-alives are heartbeats, a lost connection signals the source
        down (polling fills the gap), and the thread is started and stopped with the
        monitor, as for :meth:`add_filtered_stream`.

        Raises:
            ValueError: no stream has the source, or it runs a connection already.
        """
        self._known_source(source)
        if source in self._live:
            msg = f"the real-time source {source!r} runs a connection already"
            raise ValueError(msg)
        self._live[source] = self._live_stream(
            source,
            connect,
            route=lambda event: self.receive_event(cast("RealtimeEvent", event), source=source),
            prepare=None,
        )

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
        return self._registrar(stream)

    def on_dm(self, stream: str) -> Callable[[DH], DH]:
        """Register a handler for the events of a DM stream."""
        if self._kinds[self._known(stream).kind].carries_posts:
            msg = f"stream {stream!r} carries posts: use monitor.on({stream!r})"
            raise ValueError(msg)
        return self._registrar(stream)

    def _registrar(self, stream: str) -> Callable[[H], H]:
        """A decorator adding its function to ``stream``'s handlers (for on and on_dm)."""

        def register(handler: H) -> H:
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

    # -- real time -------------------------------------------------------------------------

    def push(
        self,
        stream: str,
        items: Iterable[Post] | Iterable[DirectMessage],
        users: Iterable[User] = (),
    ) -> int:
        """Deliver items a real-time source brought to ``stream``; return how many were new.

        The items go the way polled ones go: the stream's handlers, its alert sinks
        (query filters too), quarantine of poison, the store. Each is claimed in the
        store's seen record first, so an item that polling (or another worker's
        push) delivered already is skipped, and polling skips what was pushed.
        Pushing never moves the stream's polling cursor: what real time missed is
        still polled. A push is a sign of life of the stream's source.

        ``users``: users that came with the items (authors); other authors are
        taken from the store (a push never reads the platform, so never pays X).
        Safe to call from the receiver's threads while another thread runs the
        monitor: deliveries take turns.

        Raises:
            ValueError: no such stream, the stream has no real-time source, or an
                item of the wrong type (a DM on a post stream, or the reverse).
            StorageError: the store is down (nothing was claimed; polling will
                bring the items later).
        """
        target = self._realtime_stream(stream)
        batch: list[Post | DirectMessage] = list(items)
        self._sources.beat(cast("str", target.realtime), events=len(batch))
        return self._push(target, batch, tuple(users))

    def receive_event(self, event: RealtimeEvent, *, source: str = "webhook") -> int:
        """Route one X Activity API event to the streams of ``source`` that take its type.

        Register it with a receiver (``receiver.on_any(monitor.receive_event)``): a
        post event (``PostEvent``) goes to the webhook streams whose ``events``
        hold its type and whose user it is about, a DM event (``DirectMessageEvent``)
        to the webhook DM streams; any other event only says the source is alive.
        Events are read by their shape (``kind``, ``post``/``includes`` or
        ``messages``/``users``), so the monitor does not depend on the receiver.
        Returns how many deliveries it made (0 for a duplicate).

        Raises:
            ValueError: no stream names ``source``.
            StorageError: the store is down (the receiver answers 500 and X retries).
        """
        if source not in self._sources.names():
            msg = f"no stream has the real-time source {source!r}"
            raise ValueError(msg)
        self._sources.beat(source, events=1)
        targets = [s for s in self.streams if s.realtime == source and event.kind in s.events]
        delivered = 0
        post = getattr(event, "post", None)
        if isinstance(post, Post):
            posted = cast("PostEventLike", event)
            about = posted.filter.user_id
            for target in targets:
                if self._kinds[target.kind].carries_posts and (
                    about is None or about == (target.user_id or self.brand_user_id)
                ):
                    delivered += self._push(target, [post], posted.includes.users)
            return delivered
        messages = getattr(event, "messages", None)
        if isinstance(messages, tuple) and all(isinstance(m, DirectMessage) for m in messages):
            dm_event = cast("DMEventLike", event)
            for target in targets:
                if not self._kinds[target.kind].carries_posts:
                    delivered += self._push(target, list(messages), tuple(dm_event.users))
        return delivered

    def heartbeat(self, source: str = "webhook") -> None:
        """A keep-alive from ``source`` (a stream's keep-alive line, a CRC check answered).

        Raises:
            ValueError: no stream names ``source``.
        """
        self._known_source(source)
        self._sources.beat(source)

    def source_down(self, source: str = "webhook", reason: str = "signalled down") -> None:
        """Say that ``source`` is down now (connection lost, CRC failing, webhook invalid).

        Its streams are polled at the next :meth:`run_due` (at once in
        :meth:`run_forever`) and every ``poll_interval`` after, until an event or
        keep-alive comes from it again.

        Raises:
            ValueError: no stream names ``source``.
        """
        self._known_source(source)
        self._sources.fail(source, reason)
        self._scheduler.wake.set()

    def watch_webhook(
        self, webhook_id: str, *, source: str = "webhook", every: float = 900.0
    ) -> None:
        """Check every ``every`` seconds (in :meth:`run_due`) that X still counts the webhook valid.

        X runs a CRC against the webhook hourly (and on re-validation) and delivers
        nothing to one that failed it. When the platform's ``webhooks()`` (``GET
        /2/webhooks``, as ``XPlatform`` has it) lists ``webhook_id`` as not valid, or
        not at all, ``source`` is signalled down (:meth:`source_down`, reason
        ``"webhook ... failed X's CRC"``) and polling fills the gap until events
        come again (after you fix the receiver and re-validate). A failed check is
        logged and tried again at the next interval.

        Raises:
            ValueError: no stream names ``source``.
            ConfigurationError: the platform cannot list webhooks, or ``every`` is not
                positive.
        """
        self._known_source(source)
        if not callable(getattr(self.platform, "webhooks", None)):
            msg = "the platform cannot list webhooks (it has no webhooks() method)"
            raise ConfigurationError(msg)
        if every <= 0:
            raise ConfigurationError(f"every must be positive, got {every}")
        self._watched[webhook_id] = (source, dt.timedelta(seconds=every), None)

    def _check_webhooks(self) -> None:
        """Signal a watched webhook's source down when X no longer counts the webhook valid."""
        now = self.clock.now()
        due = [w for w, (_, every, at) in self._watched.items() if at is None or now - at >= every]
        if not due:
            return
        try:
            listed = getattr(self.platform, "webhooks")()  # noqa: B009 - checked in watch_webhook
        except SocialCareError as exc:
            log.warning("could not check the webhooks: %s", exc)
            listed = None
        valid = {
            str(getattr(hook, "id", "")): getattr(hook, "valid", False) is True
            for hook in (listed or ())
        }
        for webhook_id in due:
            source, every, _ = self._watched[webhook_id]
            self._watched[webhook_id] = (source, every, now)
            if listed is not None and not valid.get(webhook_id, False):
                why = "is not listed" if webhook_id not in valid else "failed X's CRC"
                self._sources.fail(source, f"webhook {webhook_id} {why}")

    def _live_stream(
        self,
        source: str,
        connect: Callable[[], RealtimeConnection[object]],
        *,
        route: Callable[[object], object],
        prepare: Callable[[], object] | None,
    ) -> LiveStream:
        def lost(reason: str) -> None:
            self._sources.fail(source, reason)
            self._scheduler.wake.set()

        return LiveStream(
            source,
            connect,
            route=route,
            alive=lambda: self._sources.beat(source),
            lost=lost,
            prepare=prepare,
            retry=self.poll_interval,
        )

    def _filtered_queries(self, source: str) -> dict[str, str]:
        return {
            s.name: cast("str", s.query)
            for s in self.streams
            if s.realtime == source and s.kind == "search"
        }

    def _sync_rules(self, source: str) -> None:
        """Make the app's stream rules the queries of ``source``'s streams, tagged by name."""
        platform = self._filtered[source].platform
        getattr(platform, "sync_stream_rules")(self._filtered_queries(source))  # noqa: B009

    def _open_filtered(self, source: str) -> RealtimeConnection[object]:
        options = self._filtered[source]
        kwargs: dict[str, object] = {"backfill_minutes": options.backfill_minutes}
        if options.stall_timeout is not None:
            kwargs["stall_timeout"] = options.stall_timeout
        if options.policy is not None:
            kwargs["policy"] = options.policy
        opened = getattr(options.platform, "filtered_stream")(**kwargs)  # noqa: B009
        return cast("RealtimeConnection[object]", opened)

    def _route_filtered(self, source: str, item: object) -> int:
        """Push a streamed post to the streams of ``source`` whose rules (tags) it matched."""
        if not isinstance(item, StreamedPost):
            return 0
        self._sources.beat(source, events=1)
        delivered = 0
        for tag in dict.fromkeys(item.tags):
            target = self._streams.get(tag)
            if target is not None and target.realtime == source:
                delivered += self._push(target, [item.post], item.includes.users)
        return delivered

    def start_streams(self) -> None:
        """Start the stream connections (:meth:`add_filtered_stream`, :meth:`add_activity_stream`).

        ``with Monitor(...)`` and :meth:`run_forever` call it; idempotent.
        """
        for live in self._live.values():
            live.start()

    def stop_streams(self) -> None:
        """Close the stream connections and wait for their threads (:meth:`close` calls it)."""
        for live in self._live.values():
            if not live.stop():
                log.warning("the %s stream thread did not end in time", live.source)

    def _known_source(self, source: str) -> None:
        if source not in self._sources.names():
            msg = f"no stream has the real-time source {source!r}"
            raise ValueError(msg)

    def _realtime_stream(self, name: str) -> Stream:
        target = self._known(name)
        if target.realtime is None:
            msg = (
                f"stream {name!r} is only polled: give it a real-time source "
                "(Stream.webhook(), or realtime= on Stream.search/mentions/direct_messages)"
            )
            raise ValueError(msg)
        return target

    def _push(
        self,
        target: Stream,
        batch: Sequence[Post | DirectMessage],
        users: Sequence[User],
        *,
        outcome: Outcome | None = None,
    ) -> int:
        kind = self._kinds[target.kind]
        wanted = Post if kind.carries_posts else DirectMessage
        wrong = [i for i in batch if not isinstance(i, wanted)]
        if wrong:
            msg = f"stream {target.name!r} takes {wanted.__name__}s, got {type(wrong[0]).__name__}"
            raise ValueError(msg)
        given = {u.id: u for u in users}
        known = dict(given)
        if kind.carries_posts:
            missing = {
                i.author_id
                for i in batch
                if isinstance(i, Post) and i.author_id and i.author_id not in known
            }
            if missing:
                known.update((u.id, u) for u in self.store.get_users(sorted(missing)))
        pushed = outcome is None
        outcome = Outcome(at=self.clock.now()) if outcome is None else outcome
        delivered = self._delivery.deliver(
            kind,
            Unit((target,)),
            batch,
            known,
            fresh_users=given,
            brand=self.brand_user_id,
            include_retweets=self.include_retweets,
            accept=lambda _s, _i: True,
            outcome=outcome,
        )
        if pushed:
            self._state[target.name].pushed += len(batch)
        return delivered

    def _recover_seen(self, outcome: Outcome) -> None:
        """Deliver, from the store, the items a worker claimed and died before confirming.

        Their claims expired unconfirmed (``SeenStore.expired_seen``); polling may have
        moved the cursor past them while they were held, so they are read back from
        the store (every item is stored before it is claimed) and delivered again.
        """
        for stream in self.streams:
            if stream.realtime is None:
                continue
            try:
                ids = self.store.expired_seen(stream.name, limit=_RECOVER_BATCH)
                if not ids:
                    continue
                items = self._stored_items(stream, ids)
                missing = sorted(set(ids) - {i.id for i in items}, key=lambda i: (len(i), i))
                if items:
                    users = self.store.get_users(
                        sorted({i.author_id for i in items if isinstance(i, Post) and i.author_id})
                    )
                    log.warning(
                        "stream %s: delivering %d items a worker claimed and never confirmed",
                        stream.name,
                        len(items),
                    )
                    outcome.delivered += self._push(stream, items, users, outcome=outcome)
                if missing:
                    self._give_up_missing(stream, missing, outcome)
            except StorageError as exc:
                outcome.errors.append((stream.name, f"unconfirmed claims not recovered: {exc}"))

    def _stored_items(self, stream: Stream, ids: Sequence[str]) -> list[Post | DirectMessage]:
        if self._kinds[stream.kind].carries_posts:
            return list(self.store.get_posts(ids))
        found = (self.store.get_dm(i) for i in ids)
        return [dm for dm in found if dm is not None]

    def _give_up_missing(self, stream: Stream, ids: Sequence[str], outcome: Outcome) -> None:
        """Claim and confirm expired claims of items the store does not hold (it refused them)."""
        won = self.store.claim_seen(stream.name, ids, owner=self.worker_id, ttl=self.claim_ttl)
        if won:
            self.store.confirm_seen(stream.name, won, owner=self.worker_id)
            message = (
                f"{len(won)} items claimed by a worker that died are not in the store "
                f"(quarantined): {', '.join(won[:5])}"
            )
            log.warning("stream %s: %s", stream.name, message)
            outcome.errors.append((stream.name, message))

    def _failover(self) -> None:
        """Make the streams of a source that went down or came back due now."""
        for source, live in self._sources.changes():
            names = [s.name for s in self.streams if s.realtime == source]
            if live:
                log.info("real-time source %s is live: polling %s as a safety net", source, names)
            else:
                log.warning("real-time source %s is down: polling %s fills the gap", source, names)
            now = self.clock.now()
            for name in names:
                self._state[name].next_due = now

    def _prune_seen(self) -> None:
        """Drop seen records no source can bring back (at most once an hour)."""
        now = self.clock.now()
        if self._pruned_at is not None and now - self._pruned_at < _PRUNE_EVERY:
            return
        self._pruned_at = now
        for stream in self.streams:
            if stream.realtime is not None:
                with contextlib.suppress(StorageError):
                    self.store.forget_seen(stream.name, before=now - SEEN_KEPT)

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
        """Poll the streams whose interval has passed (or whose real-time source changed)."""
        self._check_webhooks()
        self._failover()
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
        self._scheduler.wake.clear()
        with self._scheduler.signals(enabled=handle_signals):
            cycles = 0
            try:
                self.start_streams()
                while not stop.is_set():
                    self.run_due()
                    cycles += 1
                    if max_cycles is not None and cycles >= max_cycles:
                        break
                    wait = self._scheduler.seconds_to_next_due()
                    expiry = self._sources.seconds_to_expiry()
                    if expiry is not None:
                        wait = min(wait, expiry + 0.001)  # wake when a source times out
                    self._scheduler.wait(wait)
            finally:
                self.close()

    def stop(self) -> None:
        """Ask :meth:`run_forever` to stop after the current poll (thread-safe)."""
        self._scheduler.request_stop()

    def __enter__(self) -> Monitor:  # noqa: PYI034 - typing.Self needs Python 3.11
        self.start_streams()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Flush and close sinks and release this worker's stream leases.

        Another monitor on the same store (a re-run notebook cell, a restarted
        worker with a new ``worker_id``) can poll the streams at once afterwards.
        Stream connections the monitor runs are closed first.
        """
        self.stop_streams()
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
        """Every stream's health and every real-time source's.

        A stream's: success, errors, lag, requests, gaps, backlog, quarantine, and
        which source is live for it.
        """
        now = self.clock.now()
        sources = self._sources.health()
        live = {s.name for s in sources if s.live}
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
                    realtime=stream.realtime,
                    source=stream.realtime if stream.realtime in live else "polling",
                    pushed=state.pushed,
                )
            )
        return MonitorHealth(
            checked_at=now,
            streams=tuple(out),
            requests_used=self._poller.requests,
            alerts_pending=self._delivery.pending_alerts(),
            alerts_failed=tuple(self._delivery.failed_alerts),
            sources=sources,
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
        interval = max(self.poll_interval, RATE_WINDOW * units / capacity)
        if stream.realtime is not None and self._sources.live(stream.realtime):
            return max(interval, self.safety_interval)  # real time is live: the safety net
        return interval

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
        for live in self._live.values():
            outcome.errors.extend((f"<{live.source}>", e) for e in live.take_errors())
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
        self._recover_seen(outcome)
        with self._delivery.lock:
            self._delivery.retry_alerts(outcome)
            for entry in self._delivery.sinks:
                try:
                    entry.sink.flush()
                except SocialCareError as exc:
                    outcome.errors.append(("<sink>", str(exc)))
        self._prune_seen()
        usage_after = None if usage_before is None else self._usage()
        billed = None if usage_after is None else usage_after - cast("Usage", usage_before)
        return outcome.report(
            self._poller.requests - requests_before, self._poller.cost - cost_before, billed
        )
