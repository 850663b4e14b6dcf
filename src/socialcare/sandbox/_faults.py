"""Fault injection: make the next calls fail the ways the real X API fails."""

from __future__ import annotations

import threading
from typing import Literal

import attrs

__all__ = ["PROCESSED_FAULTS", "Fault", "FaultKind", "FaultQueue"]

FaultKind = Literal[
    "server_error",
    "timeout",
    "rate_limit",
    "lost_response",
    "slow",
    "processed_server_error",
    "processed_timeout",
    "processed_reset",
]
"""How a call fails.

Before processing (nothing happened at X):

* ``server_error``: an HTTP 5xx (``status``, default 503) before anything happens.
* ``timeout``: no answer at all (a connect timeout); the request was not processed.
* ``rate_limit``: HTTP 429 with ``x-rate-limit-*`` headers, reset ``retry_after`` s later.

After processing (a post or DM IS created; the client cannot tell):

* ``processed_server_error``: then an HTTP 5xx (``status``, default 503) instead of
  the answer, as X's front end does when a backend times out after the write.
* ``processed_timeout``: then no answer (a read timeout).
* ``processed_reset``: then the connection is reset (``ConnectionResetError``
  under requests' ``ConnectionError``).
* ``lost_response``: the same as ``processed_timeout`` (its older name).
* ``slow``: the answer takes ``delay`` seconds on the sandbox clock; if the client's
  timeout is shorter it sees a timeout, after the request was processed.

Served over HTTP (``Sandbox.serve``), an answer that never came is a 504: a socket
cannot un-answer, and a reset cannot be staged through WSGI.
"""

PROCESSED_FAULTS = frozenset(
    {"processed_server_error", "processed_timeout", "processed_reset", "lost_response"}
)
"""The fault kinds that strike after the request was processed."""


@attrs.define
class Fault:
    """One armed fault: what happens, to which endpoint, how many more times."""

    kind: FaultKind
    remaining: int
    endpoint: str | None = None
    status: int = 503
    retry_after: float = 60.0
    delay: float = 0.0

    def applies_to(self, endpoint: str) -> bool:
        """Whether this fault targets ``endpoint`` (``None`` targets every endpoint)."""
        return self.remaining > 0 and (self.endpoint is None or self.endpoint == endpoint)


class FaultQueue:
    """Armed faults, consumed first-armed first."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def arm(self, fault: Fault) -> None:
        """Add a fault."""
        with self._lock:
            self._faults.append(fault)

    def take(self, endpoint: str) -> Fault | None:
        """The fault to apply to this call of ``endpoint``, if any (counts it down)."""
        with self._lock:
            for fault in self._faults:
                if fault.applies_to(endpoint):
                    fault.remaining -= 1
                    return attrs.evolve(fault, remaining=fault.remaining)
            self._faults = [f for f in self._faults if f.remaining > 0]
            return None

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._faults.clear()

    @property
    def pending(self) -> int:
        """How many failing calls are still armed."""
        with self._lock:
            return sum(f.remaining for f in self._faults)
