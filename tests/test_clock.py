from __future__ import annotations

import datetime as dt

import pytest

from socialcare import ManualClock, SystemClock

UTC = dt.timezone.utc


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(start=dt.datetime(2026, 3, 1, tzinfo=UTC))
    assert clock.now() == dt.datetime(2026, 3, 1, tzinfo=UTC)
    assert clock.advance(90) == dt.datetime(2026, 3, 1, 0, 1, 30, tzinfo=UTC)
    clock.advance(minutes=15)
    assert clock.now() == dt.datetime(2026, 3, 1, 0, 16, 30, tzinfo=UTC)
    clock.sleep(30)
    assert clock.now() == dt.datetime(2026, 3, 1, 0, 17, tzinfo=UTC)
    clock.sleep(-5)  # a negative sleep is no sleep
    assert clock.now() == dt.datetime(2026, 3, 1, 0, 17, tzinfo=UTC)


def test_manual_clock_never_goes_backwards() -> None:
    clock = ManualClock()
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="backwards"):
        clock.set(clock.now() - dt.timedelta(seconds=1))
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.set(dt.datetime(2030, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(start=dt.datetime(2030, 1, 1))  # noqa: DTZ001
    later = dt.datetime(2030, 1, 1, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    clock.set(later)
    assert clock.now() == later
    assert clock.now().tzinfo == UTC


def test_system_clock_is_aware_utc() -> None:
    now = SystemClock().now()
    assert now.tzinfo == UTC
    SystemClock().sleep(0)
