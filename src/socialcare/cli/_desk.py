"""``socialcare queue`` and ``report``: the care desk read from a store, as rich tables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from socialcare.cli._errors import EXIT_FAILED, EXIT_OK, CommandError
from socialcare.desk import Desk, GroupStats, QueueItem, Report, ReportBy
from socialcare.errors import ConfigurationError

__all__ = ["parse_since", "print_queue", "print_report"]


def parse_since(text: str) -> dt.datetime:
    """An ISO 8601 date or time for ``--since`` (UTC when no offset is given).

    Raises:
        ValueError: not ISO 8601.
    """
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)


def _when(value: dt.datetime | None, now: dt.datetime) -> str:
    if value is None:
        return "-"
    minutes = round((value - now).total_seconds() / 60)
    relative = f"in {minutes} min" if minutes >= 0 else f"{-minutes} min ago"
    return f"{value:%Y-%m-%d %H:%M} ({relative})"


def print_queue(out: Console, desk: Desk, *, limit: int) -> int:
    """Print the open conversations, most urgent first."""
    now = desk.clock.now()
    items: list[QueueItem] = desk.queue(now=now, limit=limit)
    table = Table(title="Open conversations (by priority, then SLA)", header_style="bold")
    for column in ("#", "conversation", "priority", "state", "team", "tags", "waiting since"):
        table.add_column(column, justify="right" if column in ("#", "priority") else "left")
    table.add_column("due")
    table.add_column("breaches")
    table.add_column("holder")
    for rank, item in enumerate(items, 1):
        c = item.conversation
        breaches = ", ".join(b.kind for b in item.breaches)
        table.add_row(
            str(rank),
            escape(c.id),
            str(c.priority),
            c.state,
            escape(item.team),
            escape(", ".join(sorted(c.tags))) or "-",
            _when(c.waiting_since, now),
            _when(item.due, now),
            f"[red]{escape(breaches)}[/red]" if breaches else "-",
            escape(item.holder.owner) if item.holder is not None else "-",
        )
    out.print(table)
    out.print(f"{len(items)} open conversation(s)", markup=False)
    return EXIT_OK


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    minutes, seconds = divmod(round(value), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h {minutes:02}m"
    return f"{minutes}m {seconds:02}s" if minutes else f"{seconds}s"


def _stats_row(table: Table, stats: GroupStats) -> None:
    table.add_row(
        escape(stats.group),
        str(stats.conversations),
        str(stats.resolved),
        _seconds(stats.first_response_p50),
        _seconds(stats.first_response_p90),
        _seconds(stats.resolution_p50),
        _seconds(stats.resolution_p90),
        f"${stats.price:.3f}",
    )


def print_report(out: Console, report: Report, *, by: ReportBy, plot: Path | None) -> int:
    """Print the report's totals and its figures per ``by``; write the chart to ``plot``."""
    since = "the beginning" if report.since is None else f"{report.since:%Y-%m-%d %H:%M %Z}"
    out.print(f"[bold]Care desk report[/bold] since {escape(since)}")
    table = Table(title=f"Per {by}", header_style="bold")
    table.add_column(by)
    for column in (
        "conversations",
        "resolved",
        "first response p50",
        "p90",
        "resolution p50",
        "p90",
        "price",
    ):
        table.add_column(column, justify="right")
    for stats in report.by(by):
        _stats_row(table, stats)
    table.add_section()
    _stats_row(table, report.total())
    out.print(table)
    states: dict[str, int] = {}
    for row in report.rows:
        states[row.state] = states.get(row.state, 0) + 1
    shown = ", ".join(f"{state} {count}" for state, count in sorted(states.items()))
    out.print(f"by care state: {shown or 'none'}", markup=False)
    if plot is not None:
        try:
            report.plot(plot, by=by)
        except ConfigurationError as exc:  # pragma: no cover - checked before the report
            raise CommandError(EXIT_FAILED, str(exc)) from exc
        except OSError as exc:
            raise CommandError(EXIT_FAILED, f"cannot write the chart to {plot}: {exc}") from exc
        out.print(f"chart written to {plot}", markup=False)
    return EXIT_OK
