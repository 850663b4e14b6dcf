"""X's snowflake ids: 41 bits of milliseconds since X's epoch, then 22 bits of worker and sequence.

A later post has a larger id, and the time it was created can be read back from
its id. The monitor uses this to tell when a cursor has fallen out of the recent
search window; the sandbox uses it to mint ids that sort like X's.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["snowflake_floor", "snowflake_time"]

_EPOCH_MS = 1_288_834_974_657  # 2010-11-04T01:42:54.657Z, X's snowflake epoch
_SHIFT = 22


def snowflake_floor(when: dt.datetime) -> int:
    """The smallest snowflake id minted at ``when`` (an aware datetime)."""
    millis = round(when.timestamp() * 1000)
    return max(0, millis - _EPOCH_MS) << _SHIFT


def snowflake_time(snowflake: int | str) -> dt.datetime:
    """When a snowflake id was minted (UTC, millisecond precision).

    Raises:
        ValueError: ``snowflake`` is not a non-negative integer id.
    """
    value = int(snowflake)
    if value < 0:
        msg = f"a snowflake id is non-negative, got {snowflake!r}"
        raise ValueError(msg)
    millis = (value >> _SHIFT) + _EPOCH_MS
    return dt.datetime.fromtimestamp(millis / 1000, tz=dt.timezone.utc)
