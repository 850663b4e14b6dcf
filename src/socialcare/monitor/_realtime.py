"""Real-time sources: which are live, and the events they bring, read structurally.

A source (``"webhook"``, a stream connection) is live while events or keep-alives
come within ``timeout`` seconds and no failure was signalled after the last one.
The monitor polls the streams of a live source at the slow safety-net cadence and
the others at their normal one; each change of state makes the source's streams due
at once (a catch-up poll when real time stops, one more when it returns).

``socialcare.webhooks`` and ``socialcare.monitor`` are siblings in the import
layers, so the monitor reads webhook events through the structural types below
(``kind`` plus ``post``/``includes`` or ``messages``/``users``), never by import.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from typing import Protocol

import attrs

from socialcare._clock import Clock
from socialcare.models import ActivityFilter, DirectMessage, Includes, Post, User
from socialcare.monitor._report import SourceHealth

__all__ = ["DMEventLike", "PostEventLike", "RealtimeEvent", "Sources"]


class RealtimeEvent(Protocol):
    """Any real-time event: it has an event type (``post.mention.create``, ``dm.received``...)."""

    @property
    def kind(self) -> str: ...


class PostEventLike(Protocol):
    """A post event (``socialcare.webhooks.PostEvent`` is one)."""

    @property
    def kind(self) -> str: ...
    @property
    def filter(self) -> ActivityFilter: ...
    @property
    def post(self) -> Post: ...
    @property
    def includes(self) -> Includes: ...


class DMEventLike(Protocol):
    """A DM event (``socialcare.webhooks.DirectMessageEvent`` is one)."""

    @property
    def kind(self) -> str: ...
    @property
    def messages(self) -> Sequence[DirectMessage]: ...
    @property
    def users(self) -> Sequence[User]: ...


@attrs.define
class _Source:
    name: str
    last_event_at: dt.datetime | None = None
    failed_at: dt.datetime | None = None
    reason: str | None = None
    events: int = 0
    was_live: bool = False
    down_since: dt.datetime | None = None
    failed_unseen: bool = False


class Sources:
    """The liveness of every real-time source (thread-safe: receivers push from their threads)."""

    def __init__(self, clock: Clock, timeout: float) -> None:
        self.clock = clock
        self.timeout = dt.timedelta(seconds=timeout)
        self._sources: dict[str, _Source] = {}
        self._lock = threading.Lock()

    def add(self, name: str) -> None:
        """Know ``name`` (down until its first event)."""
        with self._lock:
            if name not in self._sources:
                self._sources[name] = _Source(name, down_since=self.clock.now())

    def names(self) -> list[str]:
        """Every source known, in the order added."""
        with self._lock:
            return list(self._sources)

    def beat(self, name: str, *, events: int = 0) -> None:
        """An event or keep-alive from ``name`` now."""
        with self._lock:
            source = self._sources[name]
            source.last_event_at = self.clock.now()
            source.events += events

    def fail(self, name: str, reason: str) -> None:
        """``name`` failed now (connection lost, CRC failing...): down until its next event."""
        with self._lock:
            source = self._sources[name]
            source.failed_at = self.clock.now()
            source.reason = reason
            source.failed_unseen = True

    def _live(self, source: _Source, now: dt.datetime) -> bool:
        last = source.last_event_at
        if last is None or now - last > self.timeout:
            return False
        return source.failed_at is None or last > source.failed_at

    def live(self, name: str) -> bool:
        """Whether ``name`` is live now."""
        with self._lock:
            return self._live(self._sources[name], self.clock.now())

    def changes(self) -> list[tuple[str, bool]]:
        """The sources whose state changed since the last call, with their new state.

        A source that failed since the last call counts as gone down even if it
        came up and failed again in between (what it missed must be polled).
        """
        now = self.clock.now()
        out: list[tuple[str, bool]] = []
        with self._lock:
            for source in self._sources.values():
                live = self._live(source, now)
                failed = source.failed_unseen
                source.failed_unseen = False
                if live != source.was_live or (failed and not live):
                    if live != source.was_live:
                        source.down_since = None if live else now
                    source.was_live = live
                    out.append((source.name, live))
        return out

    def seconds_to_expiry(self) -> float | None:
        """How long until a live source times out without a new event (``None``: none live)."""
        now = self.clock.now()
        with self._lock:
            left = [
                (s.last_event_at + self.timeout - now).total_seconds()
                for s in self._sources.values()
                if s.last_event_at is not None and self._live(s, now)
            ]
        return max(0.0, min(left)) if left else None

    def health(self) -> tuple[SourceHealth, ...]:
        """Every source's health now."""
        now = self.clock.now()
        out = []
        with self._lock:
            for source in self._sources.values():
                live = self._live(source, now)
                reason = down = None
                last = source.last_event_at
                failed = source.failed_at
                if live:
                    pass
                elif failed is not None and (last is None or last <= failed):
                    reason = source.reason
                    down = source.down_since if last is None else failed
                elif last is None:
                    reason, down = "no event yet", source.down_since
                else:
                    seconds = self.timeout.total_seconds()
                    reason = f"no event or keep-alive for {seconds:g}s"
                    down = last + self.timeout
                out.append(
                    SourceHealth(
                        name=source.name,
                        live=live,
                        last_event_at=source.last_event_at,
                        down_since=down,
                        reason=reason,
                        events=source.events,
                    )
                )
        return tuple(out)
