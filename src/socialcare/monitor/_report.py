"""What a cycle did and how streams are doing: CycleReport, StreamHealth, MonitorHealth."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

import attrs

from socialcare.platforms.x import Usage

__all__ = [
    "CostBasis",
    "CycleReport",
    "MonitorHealth",
    "Outcome",
    "SourceHealth",
    "StreamHealth",
    "StreamKind",
    "StreamState",
]

StreamKind = Literal["search", "mentions", "dms", "webhook", "webhook_dms"]
"""What a stream listens to: recent search, a mentions timeline, DM events, or X Activity
API webhook events about posts (``"webhook"``, polled on the mentions timeline as the
safety net) or DMs (``"webhook_dms"``, polled on DM events)."""

CostBasis = Literal["billed", "estimated"]
"""Where ``CycleReport.cost`` comes from: the platform's bill, or the monitor's estimate."""


@attrs.frozen
class StreamHealth:
    """How one stream is doing.

    Attributes:
        name: the stream.
        kind: its kind.
        since_id: its cursor.
        last_success_at: the last successful poll.
        last_error: the last error's message (``None`` once a later poll succeeded).
        last_error_at: when it happened.
        lag: how long ago the last successful poll was (``None`` before the first).
        requests_used: requests this monitor made for the stream since it started (a
            packed search request counts for every stream it served).
        posts_delivered: posts (or DM events) handed to handlers since it started.
        gap: why posts may have been missed for good (cursor or backlog older than
            the search window, more than 800 mentions back, DM events older than
            30 days), or ``None``; set by the poll that found it.
        next_poll_at: when the stream is due next.
        backlog: the unfetched backlog window ``(since_id, until_id)`` still to be
            walked (``since_id`` ``None``: as far back as X reaches), or ``None``.
        quarantined: ``(id, reason)`` of every post or DM event this monitor
            quarantined on the stream since it started (see :class:`CycleReport`).
        realtime: the real-time source that feeds the stream (``"webhook"``...), or
            ``None`` for a stream that is only polled.
        source: which source is live for the stream: its real-time source's name
            while that source is live (polling is then the slow safety net), else
            ``"polling"``.
        pushed: items real time brought to the stream since the monitor started
            (``posts_delivered`` counts what was delivered, from either source).
    """

    name: str
    kind: StreamKind
    since_id: str | None
    last_success_at: dt.datetime | None
    last_error: str | None
    last_error_at: dt.datetime | None
    lag: dt.timedelta | None
    requests_used: int
    posts_delivered: int
    gap: str | None
    next_poll_at: dt.datetime | None
    backlog: tuple[str | None, str] | None = None
    quarantined: tuple[tuple[str, str], ...] = ()
    realtime: str | None = None
    source: str = "polling"
    pushed: int = 0

    @property
    def ok(self) -> bool:
        """Whether the stream has polled successfully and has no open error or gap.

        A quarantined post does not make a stream unhealthy: the stream went on.
        """
        return self.last_success_at is not None and self.last_error is None and self.gap is None


@attrs.frozen
class SourceHealth:
    """How a real-time source (webhook deliveries, a stream connection) is doing.

    Attributes:
        name: the source (``"webhook"``...; what streams name as ``realtime``).
        live: whether it is live: an event or keep-alive came within the monitor's
            ``realtime_timeout`` and no failure was signalled since.
        last_event_at: the last event or keep-alive (``None``: none yet).
        down_since: when it was last found down (``None`` while live).
        reason: why it is down (``"no event or keep-alive for 90s"``, a signalled
            failure such as ``"CRC failing"``), or ``None`` while live.
        events: events it brought since the monitor started.
    """

    name: str
    live: bool
    last_event_at: dt.datetime | None
    down_since: dt.datetime | None
    reason: str | None
    events: int = 0


@attrs.frozen
class MonitorHealth:
    """A summary of every stream's health.

    Attributes:
        checked_at: when the summary was made.
        streams: each stream's health, in the order added.
        requests_used: platform requests this monitor made since it started (a packed
            request serving several streams counts once here).
        alerts_pending: alerts a sink failed to take that wait in the store's outbox
            for another attempt.
        alerts_failed: outbox keys of alerts this monitor gave up on (every attempt
            failed) since it started.
        sources: the real-time sources the streams name, live or not.
        auth_problem: why the platform's user context no longer works (an OAuth 2.0
            grant X refused: the account must authorise the app again), or ``None``.
    """

    checked_at: dt.datetime
    streams: tuple[StreamHealth, ...]
    requests_used: int = 0
    alerts_pending: int = 0
    alerts_failed: tuple[str, ...] = ()
    sources: tuple[SourceHealth, ...] = ()

    def source(self, name: str) -> SourceHealth:
        """The health of the real-time source ``name``.

        Raises:
            KeyError: no stream names that source.
        """
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)

    auth_problem: str | None = None

    @property
    def ok(self) -> bool:
        """Whether every stream is healthy, no alert was given up and the credentials work."""
        return (
            all(s.ok for s in self.streams) and not self.alerts_failed and self.auth_problem is None
        )

    def __getitem__(self, name: str) -> StreamHealth:
        for stream in self.streams:
            if stream.name == name:
                return stream
        raise KeyError(name)


@attrs.frozen
class CycleReport:
    """What one polling cycle did.

    Attributes:
        polled: streams polled (in the order polled).
        skipped: streams not polled, with why (rate budget, another worker's lease).
        delivered: posts and DM events handed to handlers.
        requests: platform requests made.
        errors: ``(stream, message)`` for every stream that failed, every quarantined
            post, every alert a sink failed to take (``stream`` is ``"<sink>"`` for
            a sink failing outside a stream).
        quarantined: ``(stream, id, reason)`` for each post or DM event that made a
            handler, the store or a sink fail; it is recorded in the store's audit
            log (action ``"monitor.quarantine"``) and the stream went on.
        gaps: ``(stream, why)`` for posts this cycle found out of X's reach for good.
        alerts_deferred: alerts a sink failed to take, kept in the outbox for later.
        alerts_redelivered: alerts from the outbox a sink took this cycle.
        alerts_failed: outbox keys of alerts given up this cycle (attempts used up).
        cost: what the cycle's requests cost on pay-per-use, in USD; see
            ``cost_basis``. Billed: the platform's bill after the cycle minus before
            (``platform.usage()``, which a platform on the sandbox reads from its
            ledger), so every request counts (``me()``, author lookups) and reads
            are deduplicated as X bills them (each post, user or DM event once per
            app and 24 h UTC window; own-timeline reads at $0.001). Anything else
            the same app did meanwhile (another worker) is in it too. Estimated
            (the platform reports no bill, as X does not): from the endpoint
            table's prices (``socialcare.platforms.x.PRICES``), every post or DM
            event returned at the endpoint's read price, every user read at the
            user-read price once per UTC day (deduplicated over what this monitor
            read itself); own-timeline discounts are not applied, so it errs high.
        cost_basis: ``"billed"`` when ``cost`` is the platform's bill,
            ``"estimated"`` when the platform could not report one.
        usage: the billed items of the cycle per kind (``usage.counts``:
            ``{"post_read": 3, "user_read": 1}``), or ``None`` when estimated.
        at: when the cycle began (the monitor's clock).
    """

    polled: tuple[str, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()
    delivered: int = 0
    requests: int = 0
    errors: tuple[tuple[str, str], ...] = ()
    quarantined: tuple[tuple[str, str, str], ...] = ()
    gaps: tuple[tuple[str, str], ...] = ()
    alerts_deferred: int = 0
    alerts_redelivered: int = 0
    alerts_failed: tuple[str, ...] = ()
    cost: Decimal = Decimal(0)
    at: dt.datetime | None = None
    cost_basis: CostBasis = "estimated"
    usage: Usage | None = None

    @property
    def ok(self) -> bool:
        """Whether nothing went wrong: no error, no gap, no alert given up."""
        return not (self.errors or self.gaps or self.alerts_failed)

    def to_record(self) -> dict[str, str | int | float | dt.datetime | None]:
        """The cycle as one flat record (counts, cost as a float, problems joined), for a table."""
        return {
            "at": self.at,
            "polled": len(self.polled),
            "skipped": len(self.skipped),
            "delivered": self.delivered,
            "requests": self.requests,
            "cost": float(self.cost),
            "cost_basis": self.cost_basis,
            "errors": len(self.errors),
            "gaps": len(self.gaps),
            "quarantined": len(self.quarantined),
            "alerts_deferred": self.alerts_deferred,
            "alerts_redelivered": self.alerts_redelivered,
            "alerts_failed": len(self.alerts_failed),
        }

    def to_records(self) -> list[dict[str, str | dt.datetime | None]]:
        """One record per thing that happened to a stream: at, stream, event, detail.

        ``event`` is ``"polled"``, ``"skipped"``, ``"error"``, ``"gap"`` or
        ``"quarantined"`` (``detail``: why, or the quarantined id and reason).
        """
        rows: list[tuple[str, str, str | None]] = [(s, "polled", None) for s in self.polled]
        rows += [(s, "skipped", why) for s, why in self.skipped]
        rows += [(s, "error", why) for s, why in self.errors]
        rows += [(s, "gap", why) for s, why in self.gaps]
        rows += [(s, "quarantined", f"{i}: {why}") for s, i, why in self.quarantined]
        return [
            {"at": self.at, "stream": stream, "event": event, "detail": detail}
            for stream, event, detail in rows
        ]


@attrs.define
class StreamState:
    """Per-stream bookkeeping that lives in this process."""

    requests: int = 0
    delivered: int = 0
    gap: str | None = None
    next_due: dt.datetime | None = None
    last_error: str | None = None
    failures: int = 0
    quarantined: list[tuple[str, str]] = attrs.field(factory=list)
    depth: int = 0
    """Items known newer than the backlog window (for the mentions cap)."""
    pushed: int = 0


@attrs.define
class Outcome:
    """What a cycle did so far (mutable; becomes a :class:`CycleReport`)."""

    polled: list[str] = attrs.field(factory=list)
    skipped: list[tuple[str, str]] = attrs.field(factory=list)
    delivered: int = 0
    errors: list[tuple[str, str]] = attrs.field(factory=list)
    quarantined: list[tuple[str, str, str]] = attrs.field(factory=list)
    gaps: list[tuple[str, str]] = attrs.field(factory=list)
    alerts_deferred: int = 0
    alerts_redelivered: int = 0
    alerts_failed: list[str] = attrs.field(factory=list)
    at: dt.datetime | None = None

    def report(
        self, requests: int, cost: Decimal = Decimal(0), usage: Usage | None = None
    ) -> CycleReport:
        """The finished report: ``usage`` (billed) gives the cost, else the estimate ``cost``."""
        return CycleReport(
            cost=cost if usage is None else usage.total,
            cost_basis="estimated" if usage is None else "billed",
            usage=usage,
            at=self.at,
            polled=tuple(self.polled),
            skipped=tuple(self.skipped),
            delivered=self.delivered,
            requests=requests,
            errors=tuple(self.errors),
            quarantined=tuple(self.quarantined),
            gaps=tuple(self.gaps),
            alerts_deferred=self.alerts_deferred,
            alerts_redelivered=self.alerts_redelivered,
            alerts_failed=tuple(self.alerts_failed),
        )
