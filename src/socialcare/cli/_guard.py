"""``socialcare guard``: one own-account check against X or the sandbox, for cron."""

from __future__ import annotations

from collections.abc import Iterable

import attrs
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from socialcare._clock import ManualClock
from socialcare.cli._config import CareConfig
from socialcare.cli._errors import EXIT_FAILED, EXIT_OK
from socialcare.guard import AccountGuard, GuardPlatform, GuardReport, GuardStore
from socialcare.outbox import Outbox, Sender
from socialcare.sandbox import Sandbox

__all__ = ["GuardOptions", "guard_once", "guard_sandbox", "print_guard_report"]


@attrs.frozen
class GuardOptions:
    """What ``socialcare guard``'s options ask of the :class:`AccountGuard`."""

    allowed_domains: tuple[str, ...] = ()
    brand_domains: tuple[str, ...] = ()
    brand_names: tuple[str, ...] = ()
    pause: bool = False
    mentions: bool = True

    def guard(self, platform: GuardPlatform, store: GuardStore) -> AccountGuard:
        """The guard these options describe, over ``platform`` and ``store``."""
        return AccountGuard(
            platform,
            store,
            allowed_domains=self.allowed_domains,
            brand_domains=self.brand_domains,
            brand_names=self.brand_names,
            on_unrecognised="pause" if self.pause else "alert",
            mentions=self.mentions,
        )


def _short(text: str, width: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def print_guard_report(out: Console, report: GuardReport, *, account: str) -> int:
    """Print one check's findings; ``EXIT_FAILED`` when outbound activity was unrecognised."""
    read = (
        f"read {report.posts_read} own post(s), {report.dms_read} DM event(s), "
        f"{report.mentions_read} mention(s)"
    )
    if report.baseline:
        out.print(
            f"first check of {account}: {read}; high-water marks set, nothing older is judged",
            markup=False,
        )
        return EXIT_OK
    out.print(f"guard check of {account} at {report.checked_at:%Y-%m-%d %H:%M:%S %Z}: {read}")
    if report.findings:
        table = Table(title="Findings", header_style="bold")
        for column in ("kind", "channel", "id", "when", "text", "reason"):
            table.add_column(column)
        for f in report.findings:
            style = "red" if f.hijack else "yellow"
            when = "-" if f.created_at is None else f"{f.created_at:%Y-%m-%d %H:%M}"
            reason = f.reason + (f" ({', '.join(f.details)})" if f.details else "")
            table.add_row(
                f"[{style}]{f.kind}[/{style}]",
                f.channel,
                escape(f.item_id),
                when,
                escape(_short(f.text)),
                escape(reason),
            )
        out.print(table)
    out.print(f"outbound activity not sent by the outbox: {len(report.unrecognised)}")
    others = len(report.findings) - len(report.unrecognised)
    out.print(f"other findings (unknown links, phishing): {others}", markup=False)
    if report.held:
        held = ", ".join(report.held)
        out.print(f"held while an outbox send is in flight: {held}", markup=False)
    for sink in report.alert_errors:
        out.print(f"alert not delivered: {sink}", markup=False)
    if report.paused:
        out.print(
            "[red]every sender sharing the store is paused[/red] until a person resumes them "
            "(Outbox(store).resume_all())"
        )
    return EXIT_FAILED if report.unrecognised else EXIT_OK


def guard_once(
    options: GuardOptions, platform: GuardPlatform, store: GuardStore, out: Console
) -> int:
    """One check of the account behind ``platform`` (credentials from the environment)."""
    guard = options.guard(platform, store)
    me = platform.me()
    return print_guard_report(out, guard.check(), account=f"@{me.username}")


def guard_sandbox(
    options: GuardOptions,
    config: CareConfig,
    store: GuardStore,
    out: Console,
    *,
    clock: ManualClock,
    hijack: Iterable[str] = (),
) -> int:
    """A rehearsal of the guard on the offline sandbox.

    A first check, the care bot answering two customers through the outbox, each
    ``hijack`` text posted as the brand outside the outbox, then a check. ``clock`` is
    the sandbox's time (the store's clock should be the same).
    """
    sandbox = Sandbox(clock=clock)
    brand = sandbox.add_user(config.brand, name=f"{config.brand} (sandbox)")
    platform = sandbox.platform(brand, app_reads=False)
    guard = options.guard(platform, store)
    account = f"@{config.brand} (sandbox)"
    print_guard_report(out, guard.check(), account=account)
    outbox = Outbox(store, actor="care-bot")
    for handle, text, answer in (
        ("ann_k", "my parcel is late", "Sorry Ann! We're on it and will DM you the tracking."),
        ("bo_p", "how do I reset my router?", "Hold the reset button for 10 seconds, Bo."),
    ):
        clock.advance(60)
        customer = sandbox.add_user(handle)
        outbox.reply(sandbox.add_post(customer, f"@{config.brand} {text}"), answer)
    Sender(store, platform, clock=clock).run_once()
    out.print(f"the care bot answered 2 customers through the outbox as @{config.brand}")
    for text in hijack:
        clock.advance(60)
        post = sandbox.add_post(brand, text)
        out.print(f"posted as @{config.brand} outside the outbox: {post.id}", markup=False)
    clock.advance(60)
    return print_guard_report(out, guard.check(), account=account)
