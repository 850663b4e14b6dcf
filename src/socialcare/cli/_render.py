"""What ``socialcare`` shows: rich tables and progress, and the demo's chart."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from socialcare.cli._demo import DemoReport
from socialcare.cli._errors import EXIT_CREDENTIALS, CommandError
from socialcare.models import ShortLink

__all__ = ["demo_report", "links_table", "plot_demo", "progress", "require_matplotlib"]


@contextmanager
def progress(err: Console, *, enabled: bool) -> Iterator[Callable[[int, int, str], None]]:
    """A progress bar on ``err`` (a no-op callback when disabled)."""
    if not enabled:
        yield lambda _done, _total, _what: None
        return
    with Progress(
        TextColumn("care bot"),
        BarColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("simulated minute 0", total=None)

        def advance(done: int, total: int, what: str) -> None:
            bar.update(task, completed=done, total=total, description=f"simulated {what}")

        yield advance


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes}m {seconds:02}s" if minutes else f"{seconds}s"


def demo_report(out: Console, report: DemoReport, *, kept: bool) -> None:
    """Print the demo's report: what happened, how fast, what it cost."""
    hours, minutes = divmod(report.minutes, 60)
    out.print(f"[bold]socialcare demo[/bold]: {hours}h {minutes:02}m of simulated care traffic")
    table = Table(title="Care report", show_header=True, header_style="bold")
    table.add_column("metric")
    table.add_column("value", justify="right")
    rows: list[tuple[str, str]] = [
        ("conversations", str(report.conversations)),
        ("customer posts listened to", str(report.inbound)),
        ("bot replies (public)", str(report.replies)),
        ("agent replies (public)", str(report.agent_replies)),
        ("escalations to DM", str(report.escalations)),
        ("DMs sent", str(report.dms)),
        ("answered", str(len(report.first_response_seconds))),
        ("first response, median", _seconds(report.median_first_response)),
        ("first response, p90", _seconds(report.p90_first_response)),
        ("tracked links", str(report.links)),
        ("link clicks (people / bots)", f"{report.clicks} / {report.bot_clicks}"),
        ("X API price (pay-per-use)", f"${report.price:.3f}"),
        ("own posts and DMs read back by the guard", str(report.guard_read)),
        ("outbound activity not sent by the outbox", str(report.unrecognised_outbound)),
        (
            "other guard findings (links, phishing)",
            str(report.guard_findings - report.unrecognised_outbound),
        ),
    ]
    for name, value in rows:
        table.add_row(name, value)
    out.print(table)
    states = Table(title="Conversations by care state", header_style="bold")
    states.add_column("state")
    states.add_column("conversations", justify="right")
    for state, count in report.states.items():
        states.add_row(state, str(count))
    out.print(states)
    billed = ", ".join(f"{kind} {count}" for kind, count in report.billed.items())
    out.print(f"billed items: {billed or 'none'}", markup=False)
    where = report.store_url if kept else "a temporary SQLite store (--store URL keeps it)"
    out.print(f"records: {where}", markup=False)


def links_table(out: Console, links: Sequence[ShortLink]) -> None:
    """Print short links with their clicks."""
    table = Table(header_style="bold")
    for column in ("code", "target", "clicks", "bot clicks", "conversation", "campaign"):
        table.add_column(column, justify="right" if "clicks" in column else "left")
    for link in links:
        table.add_row(
            link.code,
            link.url,
            str(link.clicks),
            str(link.bot_clicks),
            link.conversation_id or "-",
            link.campaign or "-",
        )
    out.print(table)
    out.print(f"{len(links)} link(s)")


def require_matplotlib() -> None:
    """Fail with the extra to install when matplotlib is missing.

    Raises:
        CommandError: matplotlib is not installed.
    """
    if importlib.util.find_spec("matplotlib") is None:
        raise CommandError(
            EXIT_CREDENTIALS,
            "--plot needs matplotlib: python -m pip install 'socialcare[charts]'",
        )


def plot_demo(report: DemoReport, path: Path) -> None:
    """Write the demo's chart: first-response times and conversations by state."""
    require_matplotlib()
    import matplotlib as mpl  # noqa: PLC0415 - the optional extra, loaded on demand

    mpl.use("Agg")
    from matplotlib import pyplot as plt  # noqa: PLC0415

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.hist(report.first_response_seconds or [0.0], bins=12, color="#1d9bf0")
    left.set_title("First response time")
    left.set_xlabel("seconds")
    left.set_ylabel("conversations")
    right.bar(list(report.states), list(report.states.values()), color="#00ba7c")
    right.set_title("Conversations by care state")
    right.tick_params(axis="x", labelrotation=20)
    figure.suptitle(f"socialcare demo: {report.conversations} conversations, ${report.price:.2f}")
    figure.tight_layout()
    try:
        figure.savefig(path, dpi=100)
    except OSError as exc:
        raise CommandError(1, f"cannot write the chart to {path}: {exc}") from exc
    finally:
        plt.close(figure)
