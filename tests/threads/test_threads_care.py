from __future__ import annotations

import datetime as dt

import pytest

from socialcare.threads import BusinessHours, Turn, next_state, timings

UTC = dt.timezone.utc
MON = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def at(hours: float) -> dt.datetime:
    return MON + dt.timedelta(hours=hours)


@pytest.mark.parametrize(
    ("state", "event", "expected"),
    [
        (None, "inbound", "new"),
        ("new", "inbound", "new"),
        ("new", "response", "awaiting_customer"),
        ("awaiting_customer", "inbound", "awaiting_brand"),
        ("awaiting_brand", "response", "awaiting_customer"),
        ("awaiting_brand", "escalate", "escalated"),
        ("escalated", "inbound", "escalated"),
        ("escalated", "response", "escalated"),
        ("escalated", "resolve", "resolved"),
        ("awaiting_customer", "resolve", "resolved"),
        ("resolved", "inbound", "awaiting_brand"),
        ("resolved", "response", "awaiting_customer"),
    ],
)
def test_the_care_state_machine(state, event, expected) -> None:
    assert next_state(state, event) == expected


def test_a_brand_response_cannot_open_a_conversation() -> None:
    with pytest.raises(ValueError, match="cannot open"):
        next_state(None, "response")


def test_timings_first_each_and_handle_time() -> None:
    turns = [
        Turn("1", "c", "customer", at(0)),
        Turn("2", "c", "customer", at(1)),  # still the same wait
        Turn("3", "x", "bystander", at(1.5)),  # bystanders neither wait nor answer
        Turn("4", "b", "brand", at(2)),
        Turn("5", "b", "brand", at(2.5)),  # no wait to answer
        Turn("6", "c", "customer", at(3)),
        Turn("7", "b", "brand", at(3.25)),
        Turn("8", "c", "customer", None),  # no time: skipped
    ]
    result = timings(turns)
    assert result.first_response == dt.timedelta(hours=2)
    assert result.responses == (dt.timedelta(hours=2), dt.timedelta(minutes=15))
    assert result.handle_time == dt.timedelta(hours=3.25)
    assert result.mean_response == dt.timedelta(minutes=67, seconds=30)
    resolved = timings(turns, resolved_at=at(5))
    assert resolved.handle_time == dt.timedelta(hours=5)
    assert timings([]).mean_response is None
    assert timings([Turn("1", "c", "customer", at(0))]).handle_time is None


def test_business_hours_skip_nights_weekends_and_holidays() -> None:
    hours = BusinessHours.weekdays(
        "09:00", "17:00", timezone="Europe/Berlin", holidays=[dt.date(2026, 3, 4)]
    )
    berlin = hours.timezone
    friday_4pm = dt.datetime(2026, 3, 6, 16, 0, tzinfo=berlin)
    monday_10am = dt.datetime(2026, 3, 9, 10, 0, tzinfo=berlin)
    assert hours.elapsed(friday_4pm, monday_10am) == dt.timedelta(hours=2)
    tuesday_4pm = dt.datetime(2026, 3, 3, 16, 0, tzinfo=berlin)
    thursday_10am = dt.datetime(2026, 3, 5, 10, 0, tzinfo=berlin)
    assert hours.elapsed(tuesday_4pm, thursday_10am) == dt.timedelta(hours=2)  # Wed off
    assert hours.elapsed(monday_10am, friday_4pm) == dt.timedelta(0)  # end before start
    turns = [
        Turn("1", "c", "customer", friday_4pm.astimezone(UTC)),
        Turn("2", "b", "brand", monday_10am.astimezone(UTC)),
    ]
    result = timings(turns, calendar=hours)
    assert result.first_response == dt.timedelta(hours=2)
    assert result.business_hours


def test_business_hours_follow_daylight_saving_time() -> None:
    # Europe/Berlin moves to summer time on 2026-03-29 at 02:00: that night is 1 hour shorter.
    hours = BusinessHours(timezone="Europe/Berlin", weekly={6: [("00:00", "00:00")]})
    day = dt.datetime(2026, 3, 29, tzinfo=hours.timezone)
    assert hours.elapsed(day, day + dt.timedelta(days=1)) == dt.timedelta(hours=23)


def test_business_hours_reject_bad_configuration() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        BusinessHours.weekdays(timezone="Mars/Olympus")
    with pytest.raises(ValueError, match="HH:MM"):
        BusinessHours.weekdays("nine", "17:00")
    with pytest.raises(ValueError, match="not before"):
        BusinessHours.weekdays("17:00", "09:00")
    with pytest.raises(ValueError, match="weekdays are 0"):
        BusinessHours(timezone="UTC", weekly={7: [("09:00", "10:00")]})
    with pytest.raises(TypeError, match="holidays must be dates"):
        BusinessHours.weekdays(holidays=[MON])
    hours = BusinessHours.weekdays()
    with pytest.raises(ValueError, match="aware"):
        hours.elapsed(dt.datetime(2026, 1, 1), MON)  # noqa: DTZ001
