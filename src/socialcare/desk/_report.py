"""Reports: volumes, response and resolution percentiles, price; records, data frames, charts."""

from __future__ import annotations

import datetime as dt
import importlib
import math
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import attrs

from socialcare.errors import ConfigurationError
from socialcare.storage import audit_trail
from socialcare.threads import BusinessHours

if TYPE_CHECKING:
    from socialcare.desk._desk import Desk, OutboundAction

__all__ = ["ConversationRow", "GroupStats", "Report", "ReportBy", "build_report", "percentile"]

ReportBy = Literal["agent", "brand", "channel", "team"]
"""What a report groups by."""

_PAGE = 1000
_STATES = ("new", "awaiting_brand", "awaiting_customer", "escalated", "resolved")


@attrs.frozen
class ConversationRow:
    """One conversation in a report.

    Attributes:
        conversation_id: the conversation.
        channel: ``"public"`` or ``"dm"``.
        brand: the brand account that answered (or was addressed), when known.
        agent: who handled it (its assignee, else who sent its first action).
        team: its team.
        state: its care state.
        first_inbound_at: when the customer first wrote.
        first_response: seconds to the first answer (business time with hours).
        resolution: seconds to the resolution, when resolved.
        actions: how many outbound actions were sent.
        price: what they cost.
    """

    conversation_id: str
    channel: str
    brand: str | None
    agent: str | None
    team: str
    state: str
    first_inbound_at: dt.datetime | None
    first_response: float | None
    resolution: float | None
    actions: int
    price: Decimal


@attrs.frozen
class GroupStats:
    """Figures of one group (one agent, brand, channel or team).

    Attributes:
        group: the group's value (``"(none)"`` when unknown).
        conversations: how many conversations.
        resolved: how many of them are resolved.
        first_response_p50: median seconds to the first answer (``None``: no answer).
        first_response_p90: 90th percentile of the same.
        resolution_p50: median seconds to the resolution.
        resolution_p90: 90th percentile of the same.
        price: what their outbound actions cost.
    """

    group: str
    conversations: int
    resolved: int
    first_response_p50: float | None
    first_response_p90: float | None
    resolution_p50: float | None
    resolution_p90: float | None
    price: Decimal


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) by linear interpolation; ``None`` when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@attrs.frozen
class Report:
    """The desk's figures over a period: one row per conversation, grouped on demand.

    Attributes:
        since: the start of the period (``None``: from the beginning).
        until: its end (``None``: up to now).
        rows: one :class:`ConversationRow` per conversation opened in the period.
    """

    since: dt.datetime | None
    until: dt.datetime | None
    rows: tuple[ConversationRow, ...]

    @property
    def conversations(self) -> int:
        """How many conversations."""
        return len(self.rows)

    @property
    def price(self) -> Decimal:
        """What every outbound action in the period cost."""
        return sum((r.price for r in self.rows), Decimal(0))

    def by(self, key: ReportBy) -> list[GroupStats]:
        """Figures per agent, brand, channel or team, by group name."""
        groups: dict[str, list[ConversationRow]] = {}
        for row in self.rows:
            value = getattr(row, key)
            groups.setdefault(value if value is not None else "(none)", []).append(row)
        return [_stats(name, rows) for name, rows in sorted(groups.items())]

    def total(self) -> GroupStats:
        """Figures over every conversation."""
        return _stats("(all)", list(self.rows))

    def to_records(self) -> list[dict[str, object]]:
        """One plain dict per conversation (times ISO 8601, price a string)."""
        records = []
        for row in self.rows:
            record = attrs.asdict(row)
            at = row.first_inbound_at
            record["first_inbound_at"] = None if at is None else at.isoformat()
            record["price"] = str(row.price)
            records.append(record)
        return records

    def to_dataframe(self) -> object:
        """The rows as a ``pandas.DataFrame`` (one row per conversation).

        Raises:
            ConfigurationError: pandas is not installed (``socialcare[pandas]``).
        """
        try:
            pandas = importlib.import_module("pandas")
        except ImportError as exc:
            msg = "Report.to_dataframe() needs pandas: pip install 'socialcare[pandas]'"
            raise ConfigurationError(msg) from exc
        frame = pandas.DataFrame([attrs.asdict(r) for r in self.rows])
        if not self.rows:
            frame = pandas.DataFrame(columns=[a.name for a in attrs.fields(ConversationRow)])
        return frame

    def plot(self, path: str | Path | None = None, *, by: ReportBy = "agent") -> object:
        """A chart: conversations and median/90th percentile first response per group.

        Drawn with matplotlib's object API on the Agg canvas (the global pyplot
        backend is left alone). Returns the ``matplotlib.figure.Figure`` (a notebook
        shows it); with ``path`` it is also written there as a PNG.

        Raises:
            ConfigurationError: matplotlib is not installed (``socialcare[charts]``).
        """
        try:
            figure_module = importlib.import_module("matplotlib.figure")
            agg = importlib.import_module("matplotlib.backends.backend_agg")
        except ImportError as exc:
            msg = "Report.plot() needs matplotlib: pip install 'socialcare[charts]'"
            raise ConfigurationError(msg) from exc
        stats = self.by(by)
        names = [s.group for s in stats]
        figure = figure_module.Figure(figsize=(9, 4), layout="constrained")
        agg.FigureCanvasAgg(figure)
        left, right = figure.subplots(1, 2)
        left.bar(names, [s.conversations for s in stats], color="#4c72b0")
        left.set_title(f"Conversations per {by}")
        left.set_ylabel("conversations")
        positions = range(len(names))
        p50 = [(s.first_response_p50 or 0) / 60 for s in stats]
        p90 = [(s.first_response_p90 or 0) / 60 for s in stats]
        right.bar([p - 0.2 for p in positions], p50, width=0.4, label="median")
        right.bar([p + 0.2 for p in positions], p90, width=0.4, label="90th percentile")
        right.set_xticks(list(positions), names)
        right.set_title("First response")
        right.set_ylabel("minutes")
        right.legend()
        for axes in (left, right):
            axes.tick_params(axis="x", labelrotation=30)
        if path is not None:
            figure.savefig(Path(path), format="png", dpi=100)
        return figure


def _stats(name: str, rows: list[ConversationRow]) -> GroupStats:
    first = [r.first_response for r in rows if r.first_response is not None]
    resolution = [r.resolution for r in rows if r.resolution is not None]
    return GroupStats(
        group=name,
        conversations=len(rows),
        resolved=sum(1 for r in rows if r.state == "resolved"),
        first_response_p50=percentile(first, 50),
        first_response_p90=percentile(first, 90),
        resolution_p50=percentile(resolution, 50),
        resolution_p90=percentile(resolution, 90),
        price=sum((r.price for r in rows), Decimal(0)),
    )


def build_report(
    desk: Desk,
    *,
    since: dt.datetime | None,
    until: dt.datetime | None,
    hours: BusinessHours | None,
    limit: int,
) -> Report:
    """The report of ``desk`` over the period (see :meth:`Desk.report`)."""
    store = desk.store
    actions = desk.outbound(limit=limit)
    by_conversation: dict[str, list[OutboundAction]] = {}
    for action in actions:
        if action.conversation_id is not None:
            by_conversation.setdefault(action.conversation_id, []).append(action)
    rows = []
    for state in _STATES:
        for c in store.find_conversations(state=state, limit=limit):  # type: ignore[arg-type]
            at = c.first_inbound_at
            if since is not None and (at is None or at < since):
                continue
            if until is not None and (at is None or at >= until):
                continue
            mine = by_conversation.get(c.id, [])
            sent = [a for a in mine if a.status == "sent"]
            agent = c.assignee or next((a.agent for a in sent), None)
            resolved_at = _resolved_at(desk, c.id) if c.state == "resolved" else None
            rows.append(
                ConversationRow(
                    conversation_id=c.id,
                    channel=c.channel,
                    brand=_brand(desk, c.id),
                    agent=agent,
                    team=desk.sla.team_for(c).name,
                    state=c.state,
                    first_inbound_at=at,
                    first_response=_seconds(hours, at, c.first_response_at),
                    resolution=_seconds(hours, at, resolved_at),
                    actions=len(sent),
                    price=sum((a.price for a in sent), Decimal(0)),
                )
            )
    rows.sort(
        key=lambda r: (
            r.first_inbound_at or dt.datetime.min.replace(tzinfo=dt.timezone.utc),
            r.conversation_id,
        )
    )
    return Report(since=since, until=until, rows=tuple(rows))


def _seconds(
    hours: BusinessHours | None, start: dt.datetime | None, end: dt.datetime | None
) -> float | None:
    if start is None or end is None:
        return None
    if hours is not None:
        return hours.elapsed(start, end).total_seconds()
    return max((end - start).total_seconds(), 0.0)


def _resolved_at(desk: Desk, conversation_id: str) -> dt.datetime | None:
    last = None
    for entry in audit_trail(desk.store, subject=conversation_id, page_size=_PAGE):
        at = entry.detail.get("at")
        if entry.action == "conversation.resolved" and isinstance(at, str):
            last = dt.datetime.fromisoformat(at)
    return last


def _brand(desk: Desk, conversation_id: str) -> str | None:
    posts = desk.store.posts_in_conversation(conversation_id, limit=_PAGE)
    for post in posts:
        if post.author_id in desk.brands:
            return post.author_id
    for post in posts:
        if post.in_reply_to_user_id in desk.brands:
            return post.in_reply_to_user_id
        mentioned: Iterable[str | None] = (m.id for m in post.entities.mentions)
        for user_id in mentioned:
            if user_id in desk.brands:
                return user_id
    return None
