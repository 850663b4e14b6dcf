"""Care on top of a thread: who speaks in which role, the one care state, and response times.

Everything here is pure: values and functions of values. The care state is the
``state`` of :class:`~socialcare.models.Conversation` (one state machine, stored on the
conversation record); :func:`next_state` is its transition function.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from socialcare.models import Channel, ConversationState

__all__ = [
    "BusinessHours",
    "CareEvent",
    "Participant",
    "Role",
    "Timings",
    "Turn",
    "next_state",
    "timings",
]

Role = Literal["brand", "customer", "bystander"]
"""A participant's role: a configured brand account, the customer who opened the
conversation, or anyone else (a bystander)."""

CareEvent = Literal["inbound", "response", "escalate", "resolve"]
"""What moves the care state: the customer writes (``inbound``), a brand account
answers (``response``), the conversation moves to DM (``escalate``) or is closed
(``resolve``)."""

_WAITING: frozenset[str] = frozenset({"new", "awaiting_brand"})


def next_state(state: ConversationState | None, event: CareEvent) -> ConversationState:
    """The care state after ``event`` happens in a conversation in ``state``.

    ``None`` is a conversation that does not exist yet. The machine::

        (none) --inbound--> new --response--> awaiting_customer --inbound--> awaiting_brand
        awaiting_brand --response--> awaiting_customer
        any --escalate--> escalated;  any --resolve--> resolved
        resolved --inbound--> awaiting_brand   (reopened by new inbound)
        escalated --inbound/response--> escalated   (the DM lane carries on)

    A brand response never creates a conversation: ``next_state(None, "response")``
    raises ``ValueError``.
    """
    if event == "escalate":
        return "escalated"
    if event == "resolve":
        return "resolved"
    if state == "escalated":
        return "escalated"
    if event == "inbound":
        if state is None:
            return "new"
        return "new" if state == "new" else "awaiting_brand"
    if state is None:
        msg = "a brand response cannot open a conversation (no inbound post yet)"
        raise ValueError(msg)
    return "awaiting_customer"


def is_waiting_for_brand(state: ConversationState) -> bool:
    """Whether ``state`` means the customer waits for the brand (the open queue)."""
    return state in _WAITING


@attrs.frozen
class Turn:
    """One message of a conversation, attributed to its real author.

    Attributes:
        id: the post id (or DM event id).
        author_id: who wrote it (``None`` when the source does not say).
        role: the author's role in this conversation.
        at: when it was written (``None`` when unknown).
        channel: ``"public"`` for posts, ``"dm"`` for direct messages.
    """

    id: str
    author_id: str | None
    role: Role
    at: dt.datetime | None
    channel: Channel = "public"


@attrs.frozen
class Participant:
    """Someone who took part in a conversation.

    Attributes:
        user_id: the user's id.
        role: ``"brand"`` (configured, never guessed), ``"customer"`` (who opened it)
            or ``"bystander"``.
        turns: how many messages they wrote in it.
        first_at: when they first wrote (``None`` when unknown).
    """

    user_id: str
    role: Role
    turns: int
    first_at: dt.datetime | None


def _parse_clock(value: str | dt.time) -> dt.time:
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        msg = f"a business-hours time must be HH:MM, got {value[:20]!r}"
        raise ValueError(msg) from None


def _zone(value: str | dt.tzinfo) -> dt.tzinfo:
    if isinstance(value, dt.tzinfo):
        return value
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        msg = f"unknown time zone {value[:64]!r}"
        raise ValueError(msg) from None


def _weekly(
    value: Mapping[int, Sequence[tuple[str | dt.time, str | dt.time]]],
) -> tuple[tuple[tuple[dt.time, dt.time], ...], ...]:
    days: list[tuple[tuple[dt.time, dt.time], ...]] = []
    for weekday in range(7):
        spans = []
        for start, end in value.get(weekday, ()):
            a, b = _parse_clock(start), _parse_clock(end)
            if not a < b and b != dt.time(0):
                msg = f"business hours on weekday {weekday}: {a} is not before {b}"
                raise ValueError(msg)
            spans.append((a, b))
        spans.sort()
        days.append(tuple(spans))
    unknown = sorted(set(value) - set(range(7)))
    if unknown:
        msg = f"weekdays are 0 (Monday) to 6 (Sunday), got {unknown[:5]}"
        raise ValueError(msg)
    return tuple(days)


def _dates(value: Iterable[dt.date]) -> frozenset[dt.date]:
    days = frozenset(value)
    for day in days:
        if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
            msg = f"holidays must be dates, got {type(day).__name__}"
            raise TypeError(msg)
    return days


@attrs.frozen
class BusinessHours:
    """A business-hours calendar: a time zone, weekly opening hours and holidays.

    Build it with :meth:`weekdays` (the same hours Monday to Friday) or directly with
    a mapping of weekday (0 = Monday) to ``(start, end)`` spans in local time; an end
    of ``"00:00"`` means midnight at the end of the day. Daylight-saving changes are
    handled by the time zone (an hour that does not exist is not counted).

    Example:
        >>> hours = BusinessHours.weekdays("09:00", "17:00", timezone="Europe/Berlin")
    """

    timezone: dt.tzinfo = attrs.field(converter=_zone)
    weekly: tuple[tuple[tuple[dt.time, dt.time], ...], ...] = attrs.field(converter=_weekly)
    holidays: frozenset[dt.date] = attrs.field(default=frozenset(), converter=_dates)

    @classmethod
    def weekdays(
        cls,
        start: str | dt.time = "09:00",
        end: str | dt.time = "17:00",
        *,
        timezone: str | dt.tzinfo = "UTC",
        holidays: Iterable[dt.date] = (),
    ) -> BusinessHours:
        """Open ``start`` to ``end`` (local time) Monday to Friday, closed on ``holidays``."""
        return cls(
            timezone=timezone,
            weekly={day: [(start, end)] for day in range(5)},
            holidays=holidays,
        )

    def elapsed(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """The business time between two aware instants (zero when ``end <= start``)."""
        if start.utcoffset() is None or end.utcoffset() is None:
            msg = "business-hours times must be timezone-aware"
            raise ValueError(msg)
        if end <= start:
            return dt.timedelta(0)
        total = dt.timedelta(0)
        day = start.astimezone(self.timezone).date()
        last = end.astimezone(self.timezone).date()
        while day <= last:
            if day not in self.holidays:
                for open_at, close_at in self.weekly[day.weekday()]:
                    span_start = dt.datetime.combine(day, open_at, self.timezone)
                    close_day = day + dt.timedelta(days=1) if close_at == dt.time(0) else day
                    span_end = dt.datetime.combine(close_day, close_at, self.timezone)
                    low, high = max(span_start, start), min(span_end, end)
                    if high > low:
                        total += high.astimezone(dt.timezone.utc) - low.astimezone(dt.timezone.utc)
            day += dt.timedelta(days=1)
        return total


@attrs.frozen
class Timings:
    """How fast the brand answered in one conversation.

    Attributes:
        first_response: from the customer's first message to the brand's first answer.
        responses: each response time: from the moment the customer started waiting
            (their first unanswered message) to the brand's next answer, in order.
        handle_time: from the first inbound message to the resolution, or to the last
            brand answer while unresolved; ``None`` before any answer.
        business_hours: whether the times count only business hours.
    """

    first_response: dt.timedelta | None
    responses: tuple[dt.timedelta, ...]
    handle_time: dt.timedelta | None
    business_hours: bool = False

    @property
    def mean_response(self) -> dt.timedelta | None:
        """The mean of :attr:`responses` (``None`` when there is none)."""
        if not self.responses:
            return None
        return sum(self.responses, dt.timedelta(0)) / len(self.responses)


def timings(
    turns: Iterable[Turn],
    *,
    resolved_at: dt.datetime | None = None,
    calendar: BusinessHours | None = None,
) -> Timings:
    """Response times of a conversation from its turns (in time order).

    Only the customer's messages start a wait and only brand messages answer it;
    bystanders neither. Turns without a time are skipped. With ``calendar`` every
    duration counts business hours only.
    """

    def span(start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        if calendar is not None:
            return calendar.elapsed(start, end)
        return max(end - start, dt.timedelta(0))

    first_inbound: dt.datetime | None = None
    waiting: dt.datetime | None = None
    last_answer: dt.datetime | None = None
    responses: list[dt.timedelta] = []
    for turn in turns:
        if turn.at is None:
            continue
        if turn.role == "customer":
            if first_inbound is None:
                first_inbound = turn.at
            if waiting is None:
                waiting = turn.at
        elif turn.role == "brand" and first_inbound is not None:
            last_answer = turn.at
            if waiting is not None:
                responses.append(span(waiting, turn.at))
                waiting = None
    end = resolved_at if resolved_at is not None else last_answer
    handle = span(first_inbound, end) if first_inbound is not None and end is not None else None
    return Timings(
        first_response=responses[0] if responses else None,
        responses=tuple(responses),
        handle_time=handle,
        business_hours=calendar is not None,
    )
