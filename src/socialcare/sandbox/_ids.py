"""Snowflake-like ids: 41 bits of milliseconds since X's epoch, then 22 bits of sequence.

Ids minted by the sandbox sort like X's: a later post has a larger id, and the
creation time can be read back from the id.
"""

from __future__ import annotations

import datetime as dt
import threading

__all__ = ["IdMinter", "snowflake_floor", "snowflake_time"]

_EPOCH_MS = 1_288_834_974_657  # 2010-11-04T01:42:54.657Z, X's snowflake epoch
_SHIFT = 22


def _millis(when: dt.datetime) -> int:
    return round(when.timestamp() * 1000)


def snowflake_floor(when: dt.datetime) -> int:
    """The smallest snowflake id minted at ``when``."""
    return max(0, _millis(when) - _EPOCH_MS) << _SHIFT


def snowflake_time(snowflake: int) -> dt.datetime:
    """When a snowflake id was minted (UTC, millisecond precision)."""
    millis = (snowflake >> _SHIFT) + _EPOCH_MS
    return dt.datetime.fromtimestamp(millis / 1000, tz=dt.timezone.utc)


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
