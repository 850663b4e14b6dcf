"""Service levels: per-team targets on business hours, breaches and coverage (pure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

import attrs

from socialcare.errors import ConfigurationError
from socialcare.models import Conversation
from socialcare.threads import BusinessHours

__all__ = ["Breach", "BreachKind", "SlaPolicy", "Team", "business_deadline"]

BreachKind = Literal["first_response", "resolution", "coverage"]
"""``first_response``: nobody answered within the target; ``resolution``: not resolved
within the target; ``coverage``: the customer waits and nobody holds the conversation."""

_WAITING = frozenset({"new", "awaiting_brand"})
_OPEN = frozenset({"new", "awaiting_brand", "escalated"})
_MAX_DAYS = 3660  # a calendar with no open hour for ten years has no deadline


def business_deadline(
    hours: BusinessHours | None, start: dt.datetime, budget: dt.timedelta
) -> dt.datetime | None:
    """When ``budget`` of business time has passed since ``start`` (``None``: never).

    ``hours=None`` is around the clock: ``start + budget``. The inverse of
    :meth:`~socialcare.threads.BusinessHours.elapsed`: ``hours.elapsed(start, deadline)
    == budget``.
    """
    if start.utcoffset() is None:
        msg = "start must be timezone-aware"
        raise ValueError(msg)
    if hours is None:
        return start + budget
    left = budget
    day = start.astimezone(hours.timezone).date()
    for _ in range(_MAX_DAYS):
        if day not in hours.holidays:
            for open_at, close_at in hours.weekly[day.weekday()]:
                span_start = dt.datetime.combine(day, open_at, hours.timezone)
                close_day = day + dt.timedelta(days=1) if close_at == dt.time(0) else day
                span_end = dt.datetime.combine(close_day, close_at, hours.timezone)
                low = max(span_start.astimezone(dt.timezone.utc), start)
                high = span_end.astimezone(dt.timezone.utc)
                if high <= low:
                    continue
                if high - low >= left:
                    return (low + left).astimezone(dt.timezone.utc)
                left -= high - low
        day += dt.timedelta(days=1)
    return None


def _duration(name: str) -> Callable[[object, attrs.Attribute[Any], Any], None]:
    def check(_instance: object, _attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, dt.timedelta) or value <= dt.timedelta(0):
            msg = f"{name} must be a positive duration, got {value!r}"
            raise ConfigurationError(msg)

    return check


def _tags(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        value = (value,)
    return frozenset(value)


@attrs.frozen
class Team:
    """A team's service levels: targets counted in its business hours.

    Attributes:
        name: the team's name.
        first_response: the first answer is due this long (business time) after the
            customer first wrote (``None``: no target).
        resolution: the conversation is due resolved this long (business time) after
            the customer first wrote (``None``: no target).
        hours: the team's business hours and holidays; ``None``: around the clock.
        tags: conversations with any of these tags are this team's (see
            :meth:`SlaPolicy.team_for`).
    """

    name: str
    first_response: dt.timedelta | None = attrs.field(
        default=None,
        validator=_duration("first_response"),
    )
    resolution: dt.timedelta | None = attrs.field(
        default=None,
        validator=_duration("resolution"),
    )
    hours: BusinessHours | None = None
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_tags)

    def due(self, conversation: Conversation) -> tuple[dt.datetime | None, dt.datetime | None]:
        """When the first response and the resolution are due (``None``: no target)."""
        start = conversation.first_inbound_at or conversation.waiting_since
        if start is None:
            return None, None
        first = (
            None
            if self.first_response is None
            else business_deadline(self.hours, start, self.first_response)
        )
        resolved = (
            None
            if self.resolution is None
            else business_deadline(self.hours, start, self.resolution)
        )
        return first, resolved

    def is_open(self, at: dt.datetime) -> bool:
        """Whether ``at`` falls in the team's business hours (always, without hours)."""
        if self.hours is None:
            return True
        return self.hours.elapsed(at, at + dt.timedelta(seconds=1)) > dt.timedelta(0)


@attrs.frozen
class Breach:
    """One missed service level of one conversation (the unit an alert fires once for).

    Attributes:
        kind: ``"first_response"``, ``"resolution"`` or ``"coverage"``.
        conversation_id: the conversation.
        team: the team whose target was missed.
        due: when it was due (coverage: when the wait became too long).
        since: what the breach is counted from (the first inbound message; for
            coverage, when the customer started waiting). With ``kind`` and
            ``conversation_id`` it identifies the breach: a new wait is a new breach.
        detail: the breach in words.
    """

    kind: BreachKind
    conversation_id: str
    team: str
    due: dt.datetime
    since: dt.datetime
    detail: str

    @property
    def key(self) -> str:
        """A stable id of the breach: kind, conversation and start."""
        return f"{self.kind}:{self.conversation_id}:{self.since.isoformat()}"


def _teams(value: Iterable[Team]) -> tuple[Team, ...]:
    teams = tuple(value)
    if not teams:
        msg = "teams: give at least one team"
        raise ConfigurationError(msg)
    names = [t.name for t in teams]
    if len(set(names)) != len(names):
        msg = "teams: two teams have the same name"
        raise ConfigurationError(msg)
    return teams


def _wait(_instance: object, _attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (not isinstance(value, dt.timedelta) or value <= dt.timedelta(0)):
        msg = f"coverage_after must be a positive duration, got {value!r}"
        raise ConfigurationError(msg)


@attrs.frozen
class SlaPolicy:
    """Service levels of every team, and the coverage alarm.

    Attributes:
        teams: the teams; a conversation belongs to the first team sharing one of its
            tags, else to the first team without tags (else to the first team).
        coverage_after: a conversation whose customer has waited this long (wall-clock
            time: the weekend counts) while nobody holds its lease is a ``coverage``
            breach; ``None`` turns the alarm off.

    Example:
        >>> import datetime as dt
        >>> policy = SlaPolicy.from_dict(
        ...     {
        ...         "teams": [
        ...             {
        ...                 "name": "care",
        ...                 "first_response_minutes": 60,
        ...                 "hours": {"weekdays": ["09:00", "17:00"]},
        ...             },
        ...         ]
        ...     }
        ... )
        >>> policy.teams[0].first_response
        datetime.timedelta(seconds=3600)
    """

    teams: tuple[Team, ...] = attrs.field(default=(Team("care"),), converter=_teams)
    coverage_after: dt.timedelta | None = attrs.field(
        default=dt.timedelta(hours=1), validator=_wait
    )

    def team_for(self, conversation: Conversation) -> Team:
        """The team a conversation belongs to (by its tags)."""
        for team in self.teams:
            if team.tags & conversation.tags:
                return team
        for team in self.teams:
            if not team.tags:
                return team
        return self.teams[0]

    def breaches(
        self,
        conversations: Iterable[Conversation],
        *,
        now: dt.datetime,
        handled: Iterable[str] = (),
    ) -> list[Breach]:
        """Every breach of these conversations at ``now`` (pure), by due time.

        ``handled`` are the conversations somebody holds (a live lease): they raise no
        coverage breach. A first-response breach is reported while the first answer
        is missing; a resolution breach while the conversation is open.
        """
        held = frozenset(handled)
        found: list[Breach] = []
        for c in conversations:
            if c.state not in _OPEN or c.first_inbound_at is None:
                continue
            team = self.team_for(c)
            first, resolved = team.due(c)
            if first is not None and c.first_response_at is None and now >= first:
                found.append(
                    Breach(
                        "first_response", c.id, team.name, first, c.first_inbound_at,
                        f"no first response {_ago(now - first)} after it was due ({team.name})",
                    )
                )  # fmt: skip
            if resolved is not None and now >= resolved:
                found.append(
                    Breach(
                        "resolution", c.id, team.name, resolved, c.first_inbound_at,
                        f"not resolved {_ago(now - resolved)} after it was due ({team.name})",
                    )
                )  # fmt: skip
            waiting = c.waiting_since
            if (
                self.coverage_after is not None
                and waiting is not None
                and c.state in _WAITING
                and c.id not in held
                and now - waiting >= self.coverage_after
            ):
                found.append(
                    Breach(
                        "coverage", c.id, team.name, waiting + self.coverage_after, waiting,
                        f"the customer has waited {_ago(now - waiting)} and nobody holds it"
                        + ("" if team.is_open(now) else f" ({team.name} is closed)"),
                    )
                )  # fmt: skip
        found.sort(key=lambda b: (b.due, b.conversation_id, b.kind))
        return found

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> SlaPolicy:
        """A policy from plain data; errors name the bad field (``teams[0].hours.timezone``).

        Layout::

            {
                "coverage_after_minutes": 60,  # null: no coverage alarm
                "teams": [
                    {
                        "name": "care",
                        "first_response_minutes": 60,
                        "resolution_hours": 24,
                        "tags": ["billing"],
                        "hours": {
                            "weekdays": [
                                "09:00",
                                "17:00",
                            ],  # or "weekly": {"0": [["09:00", "17:00"]], ...}
                            "timezone": "Europe/Berlin",
                            "holidays": ["2026-12-25"],
                        },
                    },
                ],
            }

        Raises:
            ConfigurationError: a key is unknown or a value is wrong.
        """
        return _policy_from_dict(data)


def _ago(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:  # noqa: PLR2004
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _fail(path: str, message: str) -> ConfigurationError:
    return ConfigurationError(f"sla policy: {path}: {message}")


def _known(path: str, value: Mapping[str, object], allowed: Iterable[str]) -> None:
    allowed = tuple(allowed)
    unknown = sorted(str(k) for k in set(value) - set(allowed))
    if unknown:
        where = f"{path}.{unknown[0]}" if path else unknown[0]
        raise _fail(where, f"unknown field (known: {', '.join(sorted(allowed))})")


def _minutes(path: str, value: object, unit: float) -> dt.timedelta | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise _fail(path, f"must be a number > 0, got {value!r}")
    return dt.timedelta(minutes=float(value) * unit)


def _strings(path: str, value: object) -> list[str]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise _fail(path, f"must be a list of strings, got {type(value).__name__}")
    for n, item in enumerate(value):
        if not isinstance(item, str):
            raise _fail(f"{path}[{n}]", f"must be a string, got {type(item).__name__}")
    return list(value)


def _holidays(path: str, value: object) -> list[dt.date]:
    holidays: list[dt.date] = []
    for n, text in enumerate(_strings(path, value)):
        try:
            holidays.append(dt.date.fromisoformat(text))
        except ValueError as exc:
            raise _fail(f"{path}[{n}]", f"not a date (YYYY-MM-DD): {text!r}") from exc
    return holidays


def _hours(path: str, value: object) -> BusinessHours | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _fail(path, f"must be a mapping, got {type(value).__name__}")
    _known(path, value, ("weekdays", "weekly", "timezone", "holidays"))
    zone = value.get("timezone", "UTC")
    if not isinstance(zone, str):
        raise _fail(f"{path}.timezone", "must be a string")
    holidays = _holidays(f"{path}.holidays", value.get("holidays", []))
    if ("weekdays" in value) == ("weekly" in value):
        raise _fail(path, "give exactly one of weekdays or weekly")
    try:
        if "weekdays" in value:
            span = _strings(f"{path}.weekdays", value["weekdays"])
            if len(span) != 2:  # noqa: PLR2004
                raise _fail(f"{path}.weekdays", "must be [start, end]")
            return BusinessHours.weekdays(span[0], span[1], timezone=zone, holidays=holidays)
        days = _weekly(f"{path}.weekly", value["weekly"])
        return BusinessHours(timezone=zone, weekly=days, holidays=holidays)
    except ConfigurationError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise _fail(path, str(exc)) from exc


def _weekly(path: str, weekly: object) -> dict[int, list[tuple[str, str]]]:
    if not isinstance(weekly, Mapping):
        raise _fail(path, "must be a mapping of weekday (0 = Monday) to spans")
    days: dict[int, list[tuple[str, str]]] = {}
    for day, spans in weekly.items():
        where = f"{path}.{day}"
        if not str(day).isdigit() or not 0 <= int(day) <= 6:  # noqa: PLR2004
            raise _fail(where, "a weekday is 0 (Monday) to 6 (Sunday)")
        if not isinstance(spans, (list, tuple)):
            raise _fail(where, "must be a list of [start, end] spans")
        pairs = [_strings(f"{where}[{n}]", s) for n, s in enumerate(spans)]
        if any(len(p) != 2 for p in pairs):  # noqa: PLR2004
            raise _fail(where, "each span is [start, end]")
        days[int(day)] = [(p[0], p[1]) for p in pairs]
    return days


_TEAM = ("name", "first_response_minutes", "resolution_hours", "tags", "hours")


def _team(path: str, value: object) -> Team:
    if not isinstance(value, Mapping):
        raise _fail(path, f"must be a mapping, got {type(value).__name__}")
    _known(path, value, _TEAM)
    name = value.get("name")
    if not isinstance(name, str) or not name:
        raise _fail(f"{path}.name", "must be a non-empty string")
    return Team(
        name=name,
        first_response=_minutes(
            f"{path}.first_response_minutes", value.get("first_response_minutes"), 1
        ),
        resolution=_minutes(f"{path}.resolution_hours", value.get("resolution_hours"), 60),
        hours=_hours(f"{path}.hours", value.get("hours")),
        tags=_strings(f"{path}.tags", value.get("tags", [])),
    )


def _policy_from_dict(data: Mapping[str, object]) -> SlaPolicy:
    if not isinstance(data, Mapping):
        raise _fail("(policy)", f"must be a mapping, got {type(data).__name__}")
    _known("", data, ("teams", "coverage_after_minutes"))
    raw = data.get("teams", [{"name": "care"}])
    if not isinstance(raw, (list, tuple)):
        raise _fail("teams", f"must be a list of teams, got {type(raw).__name__}")
    teams = [_team(f"teams[{n}]", t) for n, t in enumerate(raw)]
    coverage = (
        _minutes("coverage_after_minutes", data["coverage_after_minutes"], 1)
        if "coverage_after_minutes" in data
        else dt.timedelta(hours=1)
    )
    try:
        return SlaPolicy(teams=teams, coverage_after=coverage)
    except ConfigurationError as exc:
        raise _fail("teams", str(exc)) from exc
