"""Long-lived stream connections the monitor runs itself, one background thread each.

A :class:`LiveStream` keeps one connection (a filtered stream, an activity stream)
open while the monitor runs: it prepares it (the filtered stream's rules synced),
opens it, hands every item to the monitor's push path, beats the source's heart on
every chunk or keep-alive, and signals the source down when the connection is lost,
so that polling fills the gap. Reconnecting is the connection's job (X's schedule);
when the connection ends on an error it will not retry (401, a rule X refuses, too
many failures), the thread waits ``retry`` seconds (interruptibly) and starts over.
Errors are kept for the next :class:`~socialcare.monitor.CycleReport` and the reason
shows in the source's health.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol, TypeVar

__all__ = ["LiveStream", "RealtimeConnection"]

log = logging.getLogger("socialcare.monitor")

T_co = TypeVar("T_co", covariant=True)

_KEPT_ERRORS = 100
_JOIN_TIMEOUT = 10.0


class RealtimeConnection(Protocol[T_co]):
    """A long-lived stream connection the monitor can run (``StreamConnection`` is one).

    ``observe`` is called once, before ``run``, from the monitor's thread for the
    source; ``run`` delivers items to the handler until ``stop`` (from any thread) or a
    failure it raises; ``stop`` is idempotent and makes ``run`` return soon.
    """

    def observe(self, *, alive: Callable[[], object], lost: Callable[[str], object]) -> None: ...
    def run(self, handler: Callable[[T_co], object]) -> None: ...
    def stop(self) -> None: ...


class LiveStream:
    """One source's connection, run in a daemon thread between :meth:`start` and :meth:`stop`.

    Args:
        source: the real-time source the connection feeds.
        open_connection: makes a new connection (nothing sent until it is run).
        route: delivers one item (the monitor's push path); it may raise.
        alive: the source's heartbeat.
        lost: signals the source down with a reason.
        prepare: runs before each new connection (rule sync); it may raise.
        retry: seconds to wait before starting over after the connection ended.
    """

    def __init__(
        self,
        source: str,
        open_connection: Callable[[], RealtimeConnection[object]],
        *,
        route: Callable[[object], object],
        alive: Callable[[], object],
        lost: Callable[[str], object],
        prepare: Callable[[], object] | None,
        retry: float,
    ) -> None:
        self.source = source
        self._open = open_connection
        self._route = route
        self._alive = alive
        self._lost = lost
        self._prepare = prepare
        self.retry = retry
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._connection: RealtimeConnection[object] | None = None
        self._errors: list[str] = []

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread (no-op when it runs)."""
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"socialcare-monitor {self.source}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = _JOIN_TIMEOUT) -> bool:
        """Stop the connection and wait up to ``timeout`` seconds; return whether it ended."""
        self._stop.set()
        with self._lock:
            connection = self._connection
        if connection is not None:
            connection.stop()
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def take_errors(self) -> list[str]:
        """The errors since the last call (oldest first, the last 100)."""
        with self._lock:
            errors, self._errors = self._errors, []
        return errors

    def _error(self, message: str) -> None:
        log.warning("real-time source %s: %s", self.source, message)
        with self._lock:
            self._errors.append(message)
            del self._errors[:-_KEPT_ERRORS]

    def _deliver(self, item: object) -> None:
        try:
            self._route(item)
        except Exception as exc:  # noqa: BLE001 - a failed push is polled later; the stream goes on
            self._error(f"an item could not be delivered: {type(exc).__name__}: {exc}")

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self._prepare is not None:
                    self._prepare()
                connection = self._open()
                with self._lock:
                    self._connection = connection
                if self._stop.is_set():
                    break
                connection.observe(alive=self._alive, lost=self._lost)
                connection.run(self._deliver)
            except Exception as exc:  # noqa: BLE001 - reported; polling covers the source
                reason = f"{type(exc).__name__}: {exc}"
                self._error(f"the connection ended: {reason}")
                self._lost(reason)
            else:
                if not self._stop.is_set():
                    self._lost("the connection ended")
            finally:
                with self._lock:
                    self._connection = None
            self._stop.wait(self.retry)
