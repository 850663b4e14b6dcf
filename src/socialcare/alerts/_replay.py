"""Replay protection for webhook receivers: remember each signed request until it expires."""

from __future__ import annotations

import datetime as dt
import heapq
import threading
from typing import Protocol, runtime_checkable

from socialcare.errors import ConfigurationError

__all__ = ["MemoryReplayGuard", "ReplayGuard"]


@runtime_checkable
class ReplayGuard(Protocol):
    """Remembers which signed webhook requests were already accepted.

    :func:`~socialcare.alerts.verify_webhook_signature` calls :meth:`claim` with the
    request's signature once the signature and the timestamp check out; a second
    request with the same signature (a replay) then fails verification. Back it by
    your own store (a Redis ``SET key NX EX``, a database row with a unique key) to
    share it between processes; :class:`MemoryReplayGuard` serves one process.

    Contract:
        ``claim`` is atomic: of any number of concurrent claims of one key, exactly
        one returns ``True`` while the key is remembered. A key must be remembered
        at least until ``expires_at``; after that it may be forgotten (the timestamp
        check refuses such old requests anyway). ``claim`` may be called from many
        threads at once.
    """

    def claim(self, key: str, *, expires_at: dt.datetime, now: dt.datetime) -> bool:
        """Remember ``key`` until ``expires_at``; ``True`` the first time, ``False`` after."""
        ...


class MemoryReplayGuard:
    """A thread-safe, bounded, in-process :class:`ReplayGuard`.

    Keys are kept until they expire (the verification tolerance after the request's
    timestamp) and purged on later claims. At most ``max_entries`` keys are kept:
    when more unexpired keys arrive, the ones expiring soonest are forgotten first,
    so size it above the number of requests you accept per tolerance window (the
    default holds 100,000, a few MB).
    """

    def __init__(self, max_entries: int = 100_000) -> None:
        """Create an empty guard keeping at most ``max_entries`` keys."""
        if max_entries < 1:
            raise ConfigurationError("max_entries must be at least 1")
        self.max_entries = max_entries
        self._expiry: dict[str, dt.datetime] = {}
        self._heap: list[tuple[dt.datetime, str]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many keys are remembered (expired ones may linger until the next claim)."""
        return len(self._expiry)

    def __repr__(self) -> str:
        return f"MemoryReplayGuard(max_entries={self.max_entries}, remembered={len(self)})"

    def claim(self, key: str, *, expires_at: dt.datetime, now: dt.datetime) -> bool:
        """Remember ``key`` until ``expires_at``; ``True`` unless it is already remembered."""
        with self._lock:
            self._purge(now)
            known = self._expiry.get(key)
            if known is not None and known >= now:
                return False
            self._expiry[key] = expires_at
            heapq.heappush(self._heap, (expires_at, key))
            while len(self._expiry) > self.max_entries:
                self._pop()
            return True

    def _purge(self, now: dt.datetime) -> None:
        while self._heap and self._heap[0][0] < now:
            self._pop()

    def _pop(self) -> None:
        expires_at, key = heapq.heappop(self._heap)
        if self._expiry.get(key) == expires_at:
            del self._expiry[key]
