from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialcare._snowflake import snowflake_floor, snowflake_time

UTC = dt.timezone.utc


def test_known_id_time() -> None:
    # 1293593516040269825 is the #TwitterAPI v2 launch post of 2020-08-12.
    assert snowflake_time("1293593516040269825").date() == dt.date(2020, 8, 12)


@given(
    st.datetimes(
        min_value=dt.datetime(2011, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
        max_value=dt.datetime(2060, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    )
)
def test_floor_round_trips_to_the_millisecond(when: dt.datetime) -> None:
    floor = snowflake_floor(when)
    assert abs((snowflake_time(floor) - when).total_seconds()) < 0.001
    assert snowflake_time(floor + (1 << 22) - 1) - snowflake_time(floor) < dt.timedelta(
        milliseconds=1
    )


def test_negative_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        snowflake_time(-1)
