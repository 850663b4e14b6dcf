"""Injectable time: every component that reads the time or sleeps takes a ``Clock``.

Production code uses :class:`SystemClock`. Tests, notebooks and the sandbox use
:class:`ManualClock`, whose time moves only when told to (``advance``) or when
something sleeps on it, so lease expiry, rate-limit windows and polling
schedules are testable without waiting.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Protocol, runtime_checkable

import attrs

__all__ = ["Clock", "ManualClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """Where time comes from.

    Contract: ``now()`` returns an aware UTC datetime that never goes backwards
    for a given clock; ``sleep(seconds)`` returns after ``now()`` has advanced by
    at least ``seconds`` (a manual clock advances itself instead of blocking).
    Implementations are safe to share between threads.
    """

    def now(self) -> dt.datetime:
        """The current time, aware, in UTC."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (non-negative)."""
        ...


@attrs.frozen
class SystemClock:
    """The real wall clock and ``time.sleep``."""

    def now(self) -> dt.datetime:
        """The current time, aware, in UTC."""
        return dt.datetime.now(dt.timezone.utc)

    def sleep(self, seconds: float) -> None:
        """Block the calling thread for ``seconds``."""
        if seconds > 0:
            time.sleep(seconds)


class ManualClock:
    """A clock that moves only when told to; ``sleep`` advances it instantly.

    Args:
        start: the initial time (aware); defaults to 2026-01-01 00:00 UTC.

    Raises:
        ValueError: ``start`` is naive.
    """

    def __init__(self, start: dt.datetime | None = None) -> None:
        start = start if start is not None else dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        if start.utcoffset() is None:
            msg = "ManualClock start must be timezone-aware"
            raise ValueError(msg)
        self._now = start.astimezone(dt.timezone.utc)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ManualClock(start={self._now.isoformat()!r})"

    def now(self) -> dt.datetime:
        """The clock's current time."""
        with self._lock:
            return self._now

    def advance(self, seconds: float = 0.0, **delta: float) -> dt.datetime:
        """Move time forward by ``seconds`` plus any ``timedelta`` keywords; return the new time.

        Raises:
            ValueError: the step is negative (time never goes backwards).
        """
        step = dt.timedelta(seconds=seconds, **delta)
        if step < dt.timedelta(0):
            msg = f"cannot move a clock backwards (step {step})"
            raise ValueError(msg)
        with self._lock:
            self._now += step
            return self._now

    def set(self, when: dt.datetime) -> None:
        """Jump to ``when`` (aware, not earlier than now).

        Raises:
            ValueError: ``when`` is naive or earlier than the current time.
        """
        if when.utcoffset() is None:
            msg = "ManualClock.set needs a timezone-aware datetime"
            raise ValueError(msg)
        with self._lock:
            if when < self._now:
                msg = f"cannot move a clock backwards from {self._now} to {when}"
                raise ValueError(msg)
            self._now = when.astimezone(dt.timezone.utc)

    def sleep(self, seconds: float) -> None:
        """Advance the clock by ``seconds`` without blocking."""
        self.advance(max(0.0, seconds))


def platform_clock(platform: object) -> Clock:
    """The platform's ``clock`` attribute if it has one (a :class:`Clock`), else the system's.

    ``clock`` is an optional part of the :class:`~socialcare.platforms.Platform`
    contract: a platform that lives in its own time (the sandbox's) exposes it so that
    what works with it (a monitor, a sender, a guard) decides X's windows, leases and
    schedules in that time.
    """
    clock = getattr(platform, "clock", None)
    return clock if isinstance(clock, Clock) else SystemClock()


def _publish() -> None:
    from socialcare._exports import publish  # noqa: PLC0415

    publish("socialcare", globals(), __all__)


_publish()
