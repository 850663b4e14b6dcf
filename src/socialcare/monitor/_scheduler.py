"""When streams are due: budget-stretched intervals, backoff, the run loop's waits and signals."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import random
import threading
from collections.abc import Callable, Mapping, Sequence

from socialcare._clock import Clock, SystemClock
from socialcare._signals import stop_on_signals
from socialcare.monitor._report import StreamState
from socialcare.monitor._stream import Stream

__all__ = ["MAX_BACKOFF", "Scheduler"]

log = logging.getLogger("socialcare.monitor")

MAX_BACKOFF = 15 * 60.0
"""The longest wait after repeated failures, in seconds."""


class Scheduler:
    """Per-stream due times; the stop flag of the run loop."""

    def __init__(
        self,
        clock: Clock,
        states: Mapping[str, StreamState],
        *,
        poll_interval: float,
        interval: Callable[[Stream], float],
    ) -> None:
        self.clock = clock
        self.states = states
        self.poll_interval = poll_interval
        self.interval = interval
        self.stop = threading.Event()
        self.wake = threading.Event()
        """Set to end a wait early (a stop, a real-time source signalled down)."""
        self._random = random.Random()  # noqa: S311 - jitter, not cryptography

    def due(self, streams: Sequence[Stream]) -> list[Stream]:
        """The streams whose time has come."""
        now = self.clock.now()
        out = []
        for stream in streams:
            next_due = self.states[stream.name].next_due
            if next_due is None or next_due <= now:
                out.append(stream)
        return out

    def schedule(self, streams: Sequence[Stream], *, extra: float = 0.0) -> None:
        """Set the streams' next poll: their interval from now, or ``extra`` if longer."""
        now = self.clock.now()
        for stream in streams:
            seconds = max(self.interval(stream), extra)
            self.states[stream.name].next_due = now + dt.timedelta(seconds=seconds)

    def succeeded(self, streams: Sequence[Stream]) -> None:
        """Back to the normal schedule."""
        for stream in streams:
            self.states[stream.name].failures = 0
        self.schedule(streams)

    def failed(
        self, streams: Sequence[Stream], message: str, *, reset_at: dt.datetime | None
    ) -> float:
        """Count a failure; back off (jittered) or wait for ``reset_at``; return the wait."""
        failures = 0
        for stream in streams:
            state = self.states[stream.name]
            state.last_error = message
            state.failures += 1
            failures = max(failures, state.failures)
        backoff: float = min(MAX_BACKOFF, self.poll_interval * 2.0 ** (failures - 1))
        backoff *= 0.5 + self._random.random() / 2
        if reset_at is not None:
            backoff = max(backoff, (reset_at - self.clock.now()).total_seconds())
        log.warning(
            "polling %s failed (%d in a row), next try in %.0fs: %s",
            [s.name for s in streams],
            failures,
            backoff,
            message,
        )
        self.schedule(streams, extra=backoff)
        return backoff

    def seconds_to_next_due(self) -> float:
        """How long until a stream is due."""
        now = self.clock.now()
        dues = [s.next_due for s in self.states.values() if s.next_due is not None]
        if not dues:
            return self.poll_interval
        return max(0.0, (min(dues) - now).total_seconds())

    def request_stop(self) -> None:
        """Ask the run loop to stop (thread-safe); a wait in progress ends."""
        self.stop.set()
        self.wake.set()

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds`` (waking at once on ``wake`` with the system clock)."""
        if isinstance(self.clock, SystemClock):
            self.wake.wait(seconds)
            self.wake.clear()
            if self.stop.is_set():
                self.wake.set()
        else:
            self.clock.sleep(seconds)

    def signals(self, *, enabled: bool) -> contextlib.AbstractContextManager[None]:
        """SIGINT and SIGTERM ask the loop to stop (main thread only); old handlers come back."""

        def ask_to_stop(signum: int) -> None:
            log.info("signal %s: stopping after the current poll", signum)
            self.request_stop()

        return stop_on_signals(ask_to_stop, enabled=enabled)
