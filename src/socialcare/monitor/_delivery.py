"""Delivery: handlers, storing what was seen, alert sinks, the alert outbox, quarantine.

One poison item (one that makes a handler, the store or a sink raise) cannot
stop a stream: it is quarantined (audit log action ``"monitor.quarantine"``),
reported, and the stream goes on. Transient failures (``StorageError`` from a
store that is down) propagate, so the cycle stops for the stream and its cursor
stays. A sink that fails leaves its alerts in the store's outbox (kind
``"alert"``, key ``alert:<sink name>:<stream>:<id>``), retried on later cycles
with backoff and given up after ``attempts`` attempts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

import attrs

from socialcare._clock import Clock
from socialcare.alerts._sinks import Alert, AlertSink
from socialcare.errors import StorageError
from socialcare.models import Post, User
from socialcare.models._care import OutboxRecord
from socialcare.monitor._kinds import Item, Kind, Unit
from socialcare.monitor._report import Outcome, StreamState
from socialcare.monitor._store import MonitorStore
from socialcare.monitor._stream import Stream
from socialcare.query import Query

if TYPE_CHECKING:
    from socialcare.privacy import PrivateDataGuard

__all__ = ["Delivery", "SinkEntry", "sink_name"]

log = logging.getLogger("socialcare.monitor")
T = TypeVar("T")

MAX_BACKOFF = 15 * 60.0
_MESSAGE_MAX = 300
_OUTBOX_BATCH = 100


def _short(text: str) -> str:
    return text if len(text) <= _MESSAGE_MAX else text[: _MESSAGE_MAX - 3] + "..."


def _describe(exc: BaseException) -> str:
    return _short(f"{type(exc).__name__}: {exc}")


def sink_name(sink: AlertSink, index: int) -> str:
    """A sink's stable name: its ``name`` attribute, else ``<class name>#<index>``."""
    name = getattr(sink, "name", None)
    return name if isinstance(name, str) and name else f"{type(sink).__name__}#{index}"


@attrs.frozen
class SinkEntry:
    """A sink, its outbox name, the streams it wants (``None``: all) and its query filter."""

    name: str
    sink: AlertSink
    streams: frozenset[str] | None
    query: Query | None = None

    def wants(self, alert: Alert) -> bool:
        """Whether ``alert`` goes to this sink: its stream is wanted and its post matches."""
        if self.streams is not None and alert.stream not in self.streams:
            return False
        if self.query is None:
            return True
        users = {alert.author.id: alert.author} if alert.author is not None else None
        return self.query.matches(alert.post, users=users)


class Delivery:
    """Hands items to handlers and sinks, stores them, quarantines poison."""

    def __init__(
        self,
        store: MonitorStore,
        clock: Clock,
        *,
        actor: str,
        states: Mapping[str, StreamState],
        attempts: int,
        retry_interval: float,
        claim_ttl: float = 300.0,
        redact: PrivateDataGuard | None = None,
    ) -> None:
        self.store = store
        self.claim_ttl = claim_ttl
        self.redact = redact
        self.clock = clock
        self.actor = actor
        self.attempts = attempts
        self.retry_interval = retry_interval
        self.handlers: dict[str, list[Callable[[Item], object]]] = {}
        self.sinks: list[SinkEntry] = []
        self.failed_alerts: list[str] = []
        self._states = states
        self._quarantined: set[tuple[str, str]] = set()  # (stream, id)
        self._retry_at: dt.datetime | None = clock.now()  # look at the outbox at once
        self._retry_failures = 0
        self.lock = threading.RLock()
        """Held while items are delivered: polls and pushes from receiver threads take turns."""

    # -- items ----------------------------------------------------------------------------

    def deliver(
        self,
        kind: Kind,
        unit: Unit,
        items: Iterable[Item],
        users: Mapping[str, User],
        *,
        brand: str,
        include_retweets: bool,
        accept: Callable[[Stream, Item], bool],
        outcome: Outcome,
        fresh_users: Mapping[str, User] | None = None,
    ) -> int:
        """Deliver the new inbound ``items`` (oldest first) and store every item.

        Each item goes to every stream of ``unit`` that ``accept`` s it and whose
        kind matches it (every handler of a stream receives each of its posts;
        a post on two streams reaches both). Items this monitor quarantined on a
        stream are skipped there. Dedupe is per stream: ``accept`` and the fetched window hold
        only what is newer than the stream's cursor (or inside its backlog); on a stream
        with a real-time source, each item is also claimed in the store's seen record
        (:class:`~socialcare.storage.SeenStore`, owner ``actor``, for ``claim_ttl``
        seconds) after it is stored and before its handlers run, and the claims are
        confirmed once the handlers and sinks had them, so that real time and polling,
        in any worker, deliver it once; a claim a dead worker left unconfirmed expires
        and is delivered again (at least once on a crash). Every item is stored first;
        the users stored are ``fresh_users`` (read from the platform), by default all
        of ``users``.

        Raises:
            StorageError: the store is down (nothing was quarantined).
        """
        with self.lock:
            return self._deliver(
                kind,
                unit,
                items,
                users,
                brand=brand,
                include_retweets=include_retweets,
                accept=accept,
                outcome=outcome,
                fresh_users=fresh_users,
            )

    def _deliver(
        self,
        kind: Kind,
        unit: Unit,
        items: Iterable[Item],
        users: Mapping[str, User],
        *,
        brand: str,
        include_retweets: bool,
        accept: Callable[[Stream, Item], bool],
        outcome: Outcome,
        fresh_users: Mapping[str, User] | None,
    ) -> int:
        ordered = sorted({i.id: i for i in items}.values(), key=lambda i: int(i.id))
        inbound = [i for i in ordered if kind.inbound(i, brand, include_retweets=include_retweets)]
        wanted: dict[str, list[Item]] = {s.name: [] for s in unit.streams}
        for item in inbound:
            for stream in unit.streams:
                if (stream.name, item.id) in self._quarantined:
                    continue
                if accept(stream, item) and kind.accepts(stream, unit, item, users):
                    wanted[stream.name].append(item)
        # Stored before any claim: an item claimed is in the store, so that a claim left
        # unconfirmed by a worker that died can be delivered from the store (recover()).
        # One the store refuses is quarantined and still reaches the handlers this once.
        self._save(kind, unit, ordered, users if fresh_users is None else fresh_users, outcome)
        claimed = {
            stream.name: self._claim(stream, wanted[stream.name])
            if stream.realtime is not None
            else {i.id for i in wanted[stream.name]}
            for stream in unit.streams
        }
        now = self.clock.now()
        alerts: list[Alert] = []
        delivered = 0
        for item in inbound:
            for stream in unit.streams:
                if item.id not in claimed[stream.name]:
                    continue  # not for this stream, or delivered by another source or worker
                self._call_handlers(stream, item, outcome)
                alert = kind.alert(stream, item, now, users)
                if alert is not None:
                    alerts.append(alert)
                delivered += 1
                self._states[stream.name].delivered += 1
        self._alert(alerts, outcome)
        self._confirm(unit, claimed)
        return delivered

    def _confirm(self, unit: Unit, claimed: Mapping[str, set[str]]) -> None:
        """Confirm the claims of the items delivered (handlers and sinks had them)."""
        for stream in unit.streams:
            if stream.realtime is not None and claimed[stream.name]:
                self.store.confirm_seen(stream.name, claimed[stream.name], owner=self.actor)

    def _claim(self, stream: Stream, items: Sequence[Item]) -> set[str]:
        """The ids of ``items`` no source delivered on ``stream`` before (now claimed)."""
        if not items:
            return set()
        ids = [i.id for i in items]
        return set(self.store.claim_seen(stream.name, ids, owner=self.actor, ttl=self.claim_ttl))

    def _call_handlers(self, stream: Stream, item: Item, outcome: Outcome) -> None:
        for handler in self.handlers.get(stream.name, ()):
            try:
                handler(item)
            except Exception as exc:  # a handler's bug must not stop the monitor  # noqa: BLE001
                name = getattr(handler, "__name__", repr(handler))
                message = _short(f"handler {name!r} failed on {item.id}: {exc!r}")
                with contextlib.suppress(StorageError):
                    self.store.record_stream_error(stream.name, message)
                self.quarantine(stream.name, item.id, message, outcome)

    def _save(
        self,
        kind: Kind,
        unit: Unit,
        items: Sequence[Item],
        users: Mapping[str, User],
        outcome: Outcome,
    ) -> None:
        """Store items (and their authors); isolate and quarantine the ones the store refuses."""
        stream = unit.streams[0].name
        stored_items = [self._redacted(i) for i in items]
        stored_users = [self._redacted_user(u) for u in users.values()]
        for item, exc in self._isolate(stored_items, lambda batch: kind.save(self.store, batch)):
            self.quarantine(stream, item.id, f"the store refused it: {_describe(exc)}", outcome)
        for user, exc in self._isolate(stored_users, self.store.upsert_users):
            message = _short(f"user {user.id} not stored: {_describe(exc)}")
            log.warning("stream %s: %s", stream, message)
            outcome.errors.append((stream, message))

    def _redacted(self, item: Item) -> Item:
        """``item`` as the store may keep it (see ``Monitor(redact=...)``)."""
        if self.redact is None:
            return item
        if isinstance(item, Post):
            return self.redact.redact_post(item)
        return self.redact.redact_dm(item)

    def _redacted_user(self, user: User) -> User:
        return user if self.redact is None else self.redact.redact_user(user)

    @staticmethod
    def _isolate(
        batch: Sequence[T], save: Callable[[Sequence[T]], object]
    ) -> list[tuple[T, Exception]]:
        """Save ``batch``; on failure save one by one and return what still fails.

        A ``StorageError`` that every single item meets is the store being down:
        it is raised, and nothing counts as poison.
        """
        if not batch:
            return []
        try:
            save(batch)
        except Exception as exc:  # noqa: BLE001 - sorted out per item below
            first = exc
        else:
            return []
        failed: list[tuple[T, Exception]] = []
        for one in batch:
            try:
                save([one])
            except Exception as exc:  # noqa: BLE001
                failed.append((one, exc))
        if len(failed) == len(batch) and all(isinstance(e, StorageError) for _, e in failed):
            raise first
        return failed

    def quarantine(self, stream: str, item_id: str, reason: str, outcome: Outcome) -> None:
        """Record a poison item durably (audit log), report it, and skip it from now on.

        Raises:
            StorageError: the audit log cannot be written (the cycle stops, nothing moves).
        """
        reason = _short(reason)
        self.store.append_audit(
            "monitor.quarantine",
            actor=self.actor,
            subject=item_id,
            detail={"stream": stream, "error": reason},
        )
        log.warning("stream %s: quarantined %s: %s", stream, item_id, reason)
        self._quarantined.add((stream, item_id))
        self._states[stream].quarantined.append((item_id, reason))
        outcome.quarantined.append((stream, item_id, reason))
        outcome.errors.append((stream, f"quarantined {item_id}: {reason}"))

    # -- alerts ---------------------------------------------------------------------------

    def _alert(self, alerts: Sequence[Alert], outcome: Outcome) -> None:
        """Hand alerts to the sinks; what a sink fails to take goes to the outbox."""
        for entry in self.sinks:
            batch = [a for a in alerts if entry.wants(a)]
            if not batch:
                continue
            try:
                entry.sink.deliver(batch)
            except Exception as exc:  # a sink's failure (or bug) must not stop the stream  # noqa: BLE001
                message = _short(f"alert sink {entry.name} failed: {_describe(exc)}")
                log.warning("%s (%d alerts kept for another attempt)", message, len(batch))
                for name in {a.stream for a in batch}:
                    outcome.errors.append((name, message))
                    with contextlib.suppress(StorageError):
                        self.store.record_stream_error(name, message)
                for alert in batch:
                    self._defer(entry, alert, message, outcome)
                self._schedule_retry(failed=True, first=True)

    def _defer(self, entry: SinkEntry, alert: Alert, message: str, outcome: Outcome) -> None:
        key = f"alert:{entry.name}:{alert.stream}:{alert.post.id}"
        kept = alert
        if self.redact is not None:
            author = None if alert.author is None else self._redacted_user(alert.author)
            kept = attrs.evolve(alert, post=self.redact.redact_post(alert.post), author=author)
        payload = {"sink": entry.name, "alert": kept.to_record(), "error": message}
        try:
            self.store.reserve_action(key, kind="alert", payload=payload)
        except StorageError:
            raise
        except Exception as exc:  # the alert cannot even be kept: poison  # noqa: BLE001
            reason = f"alert for sink {entry.name} cannot be kept: {_describe(exc)}"
            self.quarantine(alert.stream, alert.post.id, reason, outcome)
            return
        outcome.alerts_deferred += 1

    def _schedule_retry(self, *, failed: bool, first: bool = False) -> None:
        now = self.clock.now()
        if not failed:
            self._retry_failures = 0
            self._retry_at = None
            return
        if first and self._retry_at is not None:
            return  # a retry is scheduled already
        self._retry_failures += 1
        wait = min(MAX_BACKOFF, self.retry_interval * 2 ** (self._retry_failures - 1))
        self._retry_at = now + dt.timedelta(seconds=wait)

    def retry_alerts(self, outcome: Outcome) -> None:
        """Offer the outbox's undelivered alerts to their sinks again, one at a time, when due."""
        if self._retry_at is None or self.clock.now() < self._retry_at:
            return
        by_name = {e.name: e for e in self.sinks}
        try:
            records = self.store.claim_actions(
                self.actor, ttl=MAX_BACKOFF, limit=_OUTBOX_BATCH, kind="alert"
            )
        except StorageError as exc:
            outcome.errors.append(("<sink>", f"alert outbox unavailable: {_describe(exc)}"))
            return
        failed = False
        for record in records:
            entry = by_name.get(str(record.payload.get("sink")))
            if entry is None:
                self.store.mark_failed(record.key, reason="sink not configured here", retry=True)
            elif not self._redeliver(entry, record, outcome):
                failed = True
        pending = bool(self.store.list_actions(kind="alert", status="reserved", limit=1))
        self._schedule_retry(failed=failed)
        if pending and not failed:
            self._retry_at = self.clock.now()  # more waiting: go on next cycle

    def _redeliver(self, entry: SinkEntry, record: OutboxRecord, outcome: Outcome) -> bool:
        """Offer one outbox alert to its sink; return whether the sink took it."""
        try:
            alert_data = record.payload["alert"]
            if not isinstance(alert_data, Mapping):
                raise TypeError("the outbox record holds no alert")  # noqa: TRY301
            entry.sink.deliver([Alert.from_record(alert_data)])
        except Exception as exc:  # noqa: BLE001 - a sink failure is recorded, not raised
            message = _short(f"alert sink {entry.name} failed again: {_describe(exc)}")
            give_up = record.attempts >= self.attempts
            self.store.mark_failed(record.key, reason=message, retry=not give_up)
            outcome.errors.append(("<sink>", f"{record.key}: {message}"))
            if give_up:
                log.warning(
                    "giving up %s after %d attempts: %s", record.key, record.attempts, message
                )
                self.failed_alerts.append(record.key)
                outcome.alerts_failed.append(record.key)
            return False
        self.store.mark_sent(record.key, remote_id=entry.name)
        outcome.alerts_redelivered += 1
        return True

    def pending_alerts(self) -> int:
        """Alerts waiting in the outbox for another attempt."""
        return len(self.store.list_actions(kind="alert", status="reserved", limit=10_000))
