"""Minting snowflake ids (see :mod:`socialcare._snowflake`) for the sandbox.

Ids minted by the sandbox sort like X's: a later post has a larger id, and the
creation time can be read back from the id.
"""

from __future__ import annotations

import datetime as dt
import threading

from socialcare._snowflake import snowflake_floor, snowflake_time

__all__ = ["IdMinter", "snowflake_floor", "snowflake_time"]


class IdMinter:
    """Mints strictly increasing snowflake ids from a clock's time."""

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def mint(self, when: dt.datetime) -> str:
        """A new id for something created at ``when``, larger than every id minted so far."""
        with self._lock:
            self._last = max(snowflake_floor(when) + 1, self._last + 1)
            return str(self._last)

    def observe(self, existing: str) -> None:
        """Note an id seeded from elsewhere, so that every id minted later is larger."""
        with self._lock:
            self._last = max(self._last, int(existing))
