r"""One long-lived streaming connection to X, kept up the way X asks.

X streams (``GET /2/tweets/search/stream``, ``GET /2/activity/stream``) send one JSON
object per line (``\\r\\n`` delimited) and a bare ``\\r\\n`` keep-alive about every
20 seconds. :class:`StreamConnection` opens the connection, reads lines, parses each
into a model, counts keep-alives, and reconnects as X's integration guide says:

* network trouble (refused connection, dropped connection, a *stall*: no data and
  no keep-alive for ``stall_timeout`` seconds): back off **linearly**, 250 ms more
  per attempt, up to 16 s;
* HTTP errors (5xx, and X's "operational disconnect" messages on the stream): back
  off **exponentially** from 5 s, doubling, up to 320 s;
* HTTP 429 (a rate limit, or ``TooManyConnections``): exponentially from 1 minute,
  doubling, up to 16 minutes.

Every wait is bounded and jittered (up to ``jitter`` of the delay is added at
random), taken through an injectable ``sleep`` (the default wakes up at once when the
stream is stopped). Errors X will not fix by itself (401, 403, 400, 404) end the
stream at once, mapped like every X error. A connect answered with an HTTP status
goes through ``send_mapped``; failures while reading are mapped here, in
:func:`_reading_failure`, the streams' one choke point.
"""

from __future__ import annotations

import collections
import json
import logging
import random
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Generic, Literal, TypeVar

import attrs

from socialcare._clock import Clock, SystemClock
from socialcare.errors import (
    PayloadError,
    PlatformError,
    PlatformUnavailableError,
    RateLimitError,
)
from socialcare.models import Includes, Post
from socialcare.platforms.x._errors import scrub

if TYPE_CHECKING:
    import datetime as dt

    import requests

__all__ = [
    "MatchingRule",
    "ReconnectPolicy",
    "StreamConnection",
    "StreamStats",
    "StreamedPost",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

FailureKind = Literal["network", "http", "rate_limit"]
"""How a connection failed, which decides the backoff."""

_CHUNK = 4096
_KEPT_DELAYS = 100


@attrs.frozen
class ReconnectPolicy:
    """X's reconnect schedule, bounded and jittered.

    Attributes:
        network_step: linear backoff for network errors and stalls: attempt ``n``
            waits ``n * network_step`` seconds...
        network_max: ...at most this long (X: 250 ms steps up to 16 s).
        http_initial: exponential backoff for HTTP errors starts here...
        http_max: ...and doubles up to this (X: 5 s to 320 s).
        rate_limit_initial: exponential backoff for HTTP 429 starts here...
        rate_limit_max: ...and doubles up to this (X: from 1 minute).
        jitter: up to this fraction of each delay is added at random.
        max_failures: consecutive failed connections after which the stream gives
            up and raises the last error (``None``: never; a healthy connection
            resets the count).
    """

    network_step: float = 0.25
    network_max: float = 16.0
    http_initial: float = 5.0
    http_max: float = 320.0
    rate_limit_initial: float = 60.0
    rate_limit_max: float = 960.0
    jitter: float = 0.1
    max_failures: int | None = None

    def __attrs_post_init__(self) -> None:
        values = (
            self.network_step,
            self.network_max,
            self.http_initial,
            self.http_max,
            self.rate_limit_initial,
            self.rate_limit_max,
        )
        if any(value < 0 for value in values) or not 0 <= self.jitter <= 1:
            msg = "backoff delays must not be negative and jitter must be within [0, 1]"
            raise ValueError(msg)
        if self.max_failures is not None and self.max_failures < 1:
            msg = f"max_failures must be at least 1 (or None), got {self.max_failures}"
            raise ValueError(msg)

    def base_delay(self, kind: FailureKind, attempt: int) -> float:
        """The delay before reconnect ``attempt`` (1 for the first) after a ``kind`` failure."""
        attempt = max(1, attempt)
        if kind == "network":
            return min(self.network_max, self.network_step * attempt)
        if kind == "http":
            return min(self.http_max, self.http_initial * 2.0 ** min(attempt - 1, 62))
        return min(self.rate_limit_max, self.rate_limit_initial * 2.0 ** min(attempt - 1, 62))

    def delay(self, kind: FailureKind, attempt: int, rng: random.Random) -> float:
        """:meth:`base_delay` plus up to ``jitter`` of it at random."""
        base = self.base_delay(kind, attempt)
        return base + base * self.jitter * rng.random()


@attrs.frozen
class MatchingRule:
    """A filtered stream rule a post matched: its id and tag (the query's name)."""

    id: str
    tag: str | None = None


@attrs.frozen
class StreamedPost:
    """One post from the filtered stream.

    Attributes:
        post: the post.
        includes: the expanded users and posts that came with it.
        matching_rules: the rules it matched (ids and tags).
    """

    post: Post
    includes: Includes = attrs.field(factory=Includes)
    matching_rules: tuple[MatchingRule, ...] = ()

    @property
    def tags(self) -> tuple[str, ...]:
        """The tags of the matching rules (the names of the queries that matched)."""
        return tuple(rule.tag for rule in self.matching_rules if rule.tag is not None)

    @classmethod
    def from_x(cls, raw: Mapping[str, object], *, path: str = "line") -> StreamedPost:
        """Build from one filtered stream line (``{"data", "includes", "matching_rules"}``).

        Raises:
            PayloadError: the line has no post, or a malformed part.
        """
        data = raw.get("data")
        if not isinstance(data, Mapping):
            raise PayloadError("expected the post", field=f"{path}.data")
        includes = raw.get("includes")
        if includes is not None and not isinstance(includes, Mapping):
            raise PayloadError("expected an object", field=f"{path}.includes")
        rules = raw.get("matching_rules") or []
        if not isinstance(rules, list):
            raise PayloadError("expected a list", field=f"{path}.matching_rules")
        matching: list[MatchingRule] = []
        for i, rule in enumerate(rules):
            where = f"{path}.matching_rules[{i}]"
            rule_id = rule.get("id") if isinstance(rule, Mapping) else None
            tag = rule.get("tag") if isinstance(rule, Mapping) else None
            # X's schema says a string; recorded streams (2021) carry a JSON number.
            if isinstance(rule_id, int) and not isinstance(rule_id, bool):
                rule_id = str(rule_id)
            if not isinstance(rule_id, str) or (tag is not None and not isinstance(tag, str)):
                raise PayloadError("expected {id, tag} strings", field=where)
            matching.append(MatchingRule(rule_id, tag))
        return cls(
            post=Post.from_x(data, path=f"{path}.data"),
            includes=Includes.from_x(includes, path=f"{path}.includes"),
            matching_rules=tuple(matching),
        )


@attrs.frozen
class StreamStats:
    """What a :class:`StreamConnection` has seen so far (a snapshot).

    Attributes:
        connected: whether a connection is open and answered 200 right now.
        connects: successful connections (200) made, the first included.
        failures: failed connections and lost ones (reconnects that followed).
        items: items parsed and handed out.
        keep_alives: keep-alive lines received.
        skipped: lines that were not items (error-only messages, unparsable lines).
        last_activity: when the last byte (item or keep-alive) arrived, on the
            connection's clock; ``None`` before any.
        last_error: what the last failure was, in words.
    """

    connected: bool = False
    connects: int = 0
    failures: int = 0
    items: int = 0
    keep_alives: int = 0
    skipped: int = 0
    last_activity: dt.datetime | None = None
    last_error: str | None = None


class _Disconnected(Exception):  # noqa: N818 - internal signal, never escapes
    def __init__(self, kind: FailureKind, error: PlatformError) -> None:
        super().__init__(str(error))
        self.kind = kind
        self.error = error


def _reading_failure(exc: BaseException, endpoint: str) -> _Disconnected:
    """The streams' choke point for failures while reading: requests errors mapped.

    The chained exception is scrubbed of credentials first, as ``send_mapped`` does.
    """
    import urllib3  # noqa: PLC0415 - loaded with the first XPlatform

    scrub(exc)
    stalled = any(
        isinstance(arg, urllib3.exceptions.ReadTimeoutError | TimeoutError)
        for arg in (*exc.args, exc.__cause__, exc.__context__)
    )
    what = "stalled: no data or keep-alive within the stall timeout" if stalled else "lost"
    error = PlatformUnavailableError(
        f"{endpoint}: stream {what} ({type(exc).__name__})", endpoint=endpoint
    )
    error.__cause__ = exc
    return _Disconnected("network", error)


def _connect_failure(exc: PlatformError) -> _Disconnected:
    """A mapped connect error that X asks clients to retry; others are re-raised."""
    if isinstance(exc, RateLimitError):
        return _Disconnected("rate_limit", exc)
    if isinstance(exc, PlatformUnavailableError):
        return _Disconnected("network" if exc.status is None else "http", exc)
    raise exc


def _is_disconnect_message(errors: object) -> bool:
    items = errors if isinstance(errors, list) else []
    return any(
        isinstance(item, Mapping)
        and ("disconnect_type" in item or item.get("title") == "operational-disconnect")
        for item in items
    )


class StreamConnection(Generic[T]):
    """A long-lived X stream: iterate it, or :meth:`run` a handler on it.

    Built by ``XPlatform.filtered_stream()`` and ``XPlatform.activity_stream()``.
    Iterating yields one parsed item per line, reconnecting behind the scenes,
    until :meth:`stop` is called (from any thread, or from the loop itself) or an
    error X will not fix by itself ends it (raised, mapped as every X error). One
    reader at a time; a stopped stream stays stopped (make a new one to listen
    again)::

        with x.filtered_stream() as stream:
            for item in stream:  # StreamedPost
                handle(item.post, item.tags)

    Args:
        endpoint: the route's name, for messages.
        connect: opens one connection (a ``requests`` response, status 200,
            streaming); raises mapped ``PlatformError`` s.
        parse: turns one JSON line holding ``data`` into an item.
        policy: the reconnect schedule.
        sleep: how to wait between attempts (defaults to a wait that :meth:`stop`
            interrupts); tests pass a recorder.
        clock: stamps :attr:`StreamStats.last_activity`.
        rng: the jitter's random source.
    """

    def __init__(
        self,
        *,
        endpoint: str,
        connect: Callable[[], requests.Response],
        parse: Callable[[Mapping[str, object]], T],
        policy: ReconnectPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.endpoint = endpoint
        self._connect = connect
        self._parse = parse
        self.policy = policy if policy is not None else ReconnectPolicy()
        self._stopped = threading.Event()
        self._sleep = sleep if sleep is not None else self._interruptible_sleep
        self._clock = clock if clock is not None else SystemClock()
        self._rng = rng if rng is not None else random.Random()  # noqa: S311 - jitter only
        self._lock = threading.Lock()
        self._response: requests.Response | None = None
        self._stats = StreamStats()
        self._delays: collections.deque[float] = collections.deque(maxlen=_KEPT_DELAYS)
        self._got_data = False
        self._iterating = False
        self._on_alive: Callable[[], object] | None = None
        self._on_lost: Callable[[str], object] | None = None

    def __repr__(self) -> str:
        return f"StreamConnection({self.endpoint!r}, stopped={self.stopped})"

    # ------------------------------------------------------------------ state

    @property
    def stats(self) -> StreamStats:
        """Counters and the time of the last activity (a snapshot)."""
        with self._lock:
            return self._stats

    @property
    def stopped(self) -> bool:
        """Whether :meth:`stop` was called."""
        return self._stopped.is_set()

    @property
    def delays(self) -> tuple[float, ...]:
        """The last 100 backoff delays waited, oldest first (seconds, jitter included)."""
        with self._lock:
            return tuple(self._delays)

    def _update(self, **changes: object) -> None:
        with self._lock:
            self._stats = attrs.evolve(self._stats, **changes)  # type: ignore[arg-type]  # StreamStats fields

    def observe(self, *, alive: Callable[[], object], lost: Callable[[str], object]) -> None:
        """Be told of the connection's health, from the reading thread.

        ``alive()`` is called when a connection opens and on every chunk received
        (a line or a keep-alive); ``lost(reason)`` when a connection is lost (before
        the backoff) or the stream ends on an error X will not fix. A monitor uses
        them as heartbeats and failover signals. Call before iterating; they must
        not raise or block.
        """
        self._on_alive = alive
        self._on_lost = lost

    def _alive(self) -> None:
        if self._on_alive is not None:
            self._on_alive()

    def _lost(self, reason: str) -> None:
        if self._on_lost is not None:
            self._on_lost(reason)

    def _interruptible_sleep(self, seconds: float) -> None:
        self._stopped.wait(seconds)

    # ------------------------------------------------------------------ control

    def stop(self) -> None:
        """End the stream: the open connection is closed and iteration ends (idempotent)."""
        self._stopped.set()
        with self._lock:
            response = self._response
        if response is not None:
            response.close()

    def __enter__(self) -> StreamConnection[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def run(self, handler: Callable[[T], object]) -> None:
        """Call ``handler(item)`` for every item until :meth:`stop` (or a fatal error).

        An exception raised by ``handler`` stops the stream and propagates.
        """
        try:
            for item in self:
                handler(item)
        finally:
            self.stop()

    def start(self, handler: Callable[[T], object]) -> threading.Thread:
        """:meth:`run` ``handler`` in a daemon thread (stop it with :meth:`stop`)."""
        thread = threading.Thread(
            target=self.run, args=(handler,), name=f"socialcare-stream {self.endpoint}"
        )
        thread.daemon = True
        thread.start()
        return thread

    # ------------------------------------------------------------------ loop

    def __iter__(self) -> Iterator[T]:
        with self._lock:
            if self._iterating:
                msg = f"{self!r} is already being read; a stream has one reader"
                raise RuntimeError(msg)
            self._iterating = True
        try:
            yield from self._reconnecting()
        finally:
            with self._lock:
                self._iterating = False

    def _reconnecting(self) -> Iterator[T]:
        consecutive = attempt = 0
        last_kind: FailureKind | None = None
        while not self._stopped.is_set():
            self._got_data = False
            try:
                yield from self._one_connection()
                if self._stopped.is_set():
                    return
                # The server ended the body: a disconnect, retried as network trouble.
                error = PlatformUnavailableError(
                    f"{self.endpoint}: the stream was closed by X", endpoint=self.endpoint
                )
                raise _Disconnected("network", error)  # noqa: TRY301 - one retry path
            except _Disconnected as lost:
                if self._stopped.is_set():
                    return
                # A connection that delivered anything was healthy: the count restarts.
                consecutive = 1 if self._got_data else consecutive + 1
                attempt = 1 if self._got_data or lost.kind != last_kind else attempt + 1
                last_kind = lost.kind
                with self._lock:
                    self._stats = attrs.evolve(
                        self._stats,
                        connected=False,
                        failures=self._stats.failures + 1,
                        last_error=str(lost.error),
                    )
                self._lost(str(lost.error))
                limit = self.policy.max_failures
                if limit is not None and consecutive >= limit:
                    self.stop()
                    raise lost.error from lost.error.__cause__
                delay = self.policy.delay(lost.kind, attempt, self._rng)
                with self._lock:
                    self._delays.append(delay)
                log.warning("%s; reconnecting in %.2f s", lost.error, delay)
                self._sleep(delay)

    def _one_connection(self) -> Iterator[T]:
        try:
            response = self._connect()
        except PlatformError as exc:
            raise _connect_failure(exc) from exc
        with self._lock:
            self._response = response
            self._stats = attrs.evolve(
                self._stats, connected=True, connects=self._stats.connects + 1
            )
        if self._stopped.is_set():
            response.close()
            return
        self._alive()
        try:
            yield from self._lines(response)
        finally:
            with self._lock:
                self._response = None
                self._stats = attrs.evolve(self._stats, connected=False)
            response.close()

    def _lines(self, response: requests.Response) -> Iterator[T]:
        buffer = b""
        chunks = response.iter_content(chunk_size=_CHUNK)
        while True:
            try:
                chunk = next(chunks, None)
            except Exception as exc:
                if self._stopped.is_set():
                    return
                raise _reading_failure(exc, self.endpoint) from exc
            if chunk is None:
                return
            if not chunk:
                continue
            self._got_data = True
            self._update(last_activity=self._clock.now())
            self._alive()
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                text = line.strip()
                if not text:
                    with self._lock:
                        self._stats = attrs.evolve(
                            self._stats, keep_alives=self._stats.keep_alives + 1
                        )
                    continue
                item = self._item(text)
                if item is not None:
                    yield item
                if self._stopped.is_set():
                    return

    def _item(self, text: bytes) -> T | None:
        try:
            message = json.loads(text)
        except ValueError:
            log.warning("%s: skipped a line that is not JSON (%d bytes)", self.endpoint, len(text))
            self._count_skipped()
            return None
        if not isinstance(message, Mapping):
            self._count_skipped()
            return None
        if "data" not in message:
            if _is_disconnect_message(message.get("errors")):
                error = PlatformUnavailableError(
                    f"{self.endpoint}: X disconnected the stream ({message.get('errors')!r:.200})",
                    endpoint=self.endpoint,
                )
                raise _Disconnected("http", error)
            log.warning("%s: X sent errors: %.300r", self.endpoint, message.get("errors"))
            self._count_skipped()
            return None
        try:
            item = self._parse(message)
        except PayloadError as exc:
            log.warning("%s: skipped an item that does not parse: %s", self.endpoint, exc)
            self._count_skipped()
            return None
        with self._lock:
            self._stats = attrs.evolve(self._stats, items=self._stats.items + 1)
        return item

    def _count_skipped(self) -> None:
        with self._lock:
            self._stats = attrs.evolve(self._stats, skipped=self._stats.skipped + 1)
