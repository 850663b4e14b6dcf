"""``Desk``: the queue, rules on ingest, assignment under leases, SLA checks and the audit view."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

import attrs

from socialcare._clock import Clock, SystemClock
from socialcare.alerts import Alert, AlertSink
from socialcare.compose import DEFAULT_PRICES, PriceTable
from socialcare.conversations import StoreThreader, ThreadStore
from socialcare.desk._report import Report, build_report
from socialcare.desk._rules import RuleSet, Triage
from socialcare.desk._sla import Breach, SlaPolicy, Team
from socialcare.errors import AlertError, CollisionError, LeaseError
from socialcare.models import Conversation, Lease, OutboxRecord, Post, Reservation, User
from socialcare.outbox import OUTBOX_KIND, Outbox
from socialcare.storage import LeaseStore, OutboxStore, PauseSwitch, UserStore, audit_trail
from socialcare.text import extract_urls
from socialcare.threads import BusinessHours

if TYPE_CHECKING:
    from typing_extensions import Self

    from socialcare.compose import Draft

__all__ = [
    "ALERT_KIND",
    "LEASE_PREFIX",
    "Claim",
    "Desk",
    "DeskStore",
    "OutboundAction",
    "QueueItem",
]

log = logging.getLogger("socialcare.desk")

ALERT_KIND = "desk.alert"
"""The outbox ``kind`` of the desk's breach records, and the prefix of its alerts' kinds
(``desk.alert:<sink name>``): one record per sink and breach, so an alert fires once per
breach (across processes and restarts) and a failed sink is retried."""
LEASE_PREFIX = "desk:conversation:"
"""Lease keys of conversations: ``desk:conversation:<conversation id>``."""
_ACTOR = "socialcare.desk"
# The SeenStore stream marking the posts the desk triaged (its own mark: a monitor
# sharing the store saves posts before they reach the desk).
_TRIAGED = "socialcare.desk:triaged"
_CLAIM_TTL = 600.0
_OPEN_STATES = ("new", "awaiting_brand", "escalated")
_PAGE = 1000
_FAR_FUTURE = dt.datetime.max.replace(tzinfo=dt.timezone.utc)


class DeskStore(ThreadStore, UserStore, OutboxStore, PauseSwitch, LeaseStore, Protocol):
    """What a :class:`Desk` needs: posts, users, conversations, outbox, audit log and leases.

    Every shipped store (memory, SQLite, PostgreSQL) is one.
    """


@attrs.frozen
class QueueItem:
    """One open conversation in the desk's queue, with its service levels.

    Attributes:
        conversation: the record.
        team: the team it belongs to.
        first_response_due: when the first answer is due (``None``: answered, or no target).
        resolution_due: when it is due resolved (``None``: no target).
        breaches: the breaches it has now.
        holder: the live lease on it (who is handling it), if any.
    """

    conversation: Conversation
    team: str
    first_response_due: dt.datetime | None
    resolution_due: dt.datetime | None
    breaches: tuple[Breach, ...] = ()
    holder: Lease | None = None

    @property
    def due(self) -> dt.datetime | None:
        """The next deadline: the first response while unanswered, else the resolution."""
        return self.first_response_due or self.resolution_due


@attrs.frozen
class OutboundAction:
    """One outbound action as the audit log and the outbox recorded it.

    Attributes:
        key: the outbox idempotency key.
        action: ``"reply"``, ``"post"``, ``"dm"``, ``"delete"`` or ``"hide"``.
        agent: who asked for it (the actor of its reservation).
        conversation_id: the conversation it belongs to, when known.
        text: what was (or is to be) sent, for replies, posts and DMs.
        status: ``"reserved"``, ``"sent"`` or ``"failed"``.
        reserved_at: when it was reserved.
        sent_at: when it was sent (``None`` until then).
        remote_id: the platform's id of the sent object.
        price: what it cost on X pay-per-use (zero unless sent; hidden replies and
            deletions are free).
        error: why it failed, if it did.
    """

    key: str
    action: str
    agent: str
    conversation_id: str | None
    text: str | None
    status: str
    reserved_at: dt.datetime
    sent_at: dt.datetime | None
    remote_id: str | None
    price: Decimal
    error: str | None = None


class Claim:
    """An agent's lease on one conversation, renewed while the work goes on.

    Made by :meth:`Desk.assign` (which already holds the lease). As a context manager,
    a background thread renews the lease every ``ttl / 3`` seconds until the block
    ends, then releases it (without ``with`` nothing renews it: call :meth:`renew`).
    :meth:`reply`, :meth:`dm`, :meth:`hide` and :meth:`resolve` check first that the
    lease is still this claim's (same owner and fencing token), so a claim that lapsed
    and was taken over does not answer. The check and the outbox reservation are two
    store calls, not one transaction: keep the TTL generous against pauses (the
    renewal thread keeps a live claim far from expiry).

    Attributes:
        desk: the desk.
        conversation_id: the conversation.
        agent: who holds it.
        lease: the lease as last claimed or renewed.
    """

    def __init__(self, desk: Desk, conversation_id: str, agent: str, lease: Lease) -> None:
        self.desk = desk
        self.conversation_id = conversation_id
        self.agent = agent
        self.lease = lease
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None
        self._lock = threading.Lock()
        self.renewals = 0
        self.renew_error: BaseException | None = None

    def __repr__(self) -> str:
        return (
            f"Claim(conversation_id={self.conversation_id!r}, agent={self.agent!r}, "
            f"token={self.lease.token}, expires_at={self.lease.expires_at.isoformat()})"
        )

    @property
    def token(self) -> int:
        """The lease's fencing token."""
        return self.lease.token

    @property
    def key(self) -> str:
        """The lease key."""
        return LEASE_PREFIX + self.conversation_id

    def renew(self) -> Lease:
        """Extend the lease by the desk's TTL from now.

        Raises:
            CollisionError: the lease lapsed and another agent took it (or it is gone).
        """
        with self._lock:
            try:
                lease = self.desk.store.renew_lease(self.key, self.agent, ttl=self.desk.lease_ttl)
            except LeaseError as exc:
                raise self.desk.collision(self.conversation_id, self.agent) from exc
            if lease.token != self.lease.token:
                raise self.desk.collision(self.conversation_id, self.agent)
            self.lease = lease
            self.renewals += 1
            return lease

    def check(self) -> None:
        """Raise :class:`~socialcare.errors.CollisionError` unless this claim still holds."""
        current = self.desk.store.get_lease(self.key)
        if current is None or current.owner != self.agent or current.token != self.lease.token:
            raise self.desk.collision(self.conversation_id, self.agent, current)

    def reply(self, to: str | Post, text: str | Draft, *, purpose: str = "reply") -> Reservation:
        """Reserve a public reply in this conversation through the outbox (audited as the agent)."""
        self.check()
        return self.desk.outbox(self.agent).reply(
            to, text, purpose=purpose, subject=self.conversation_id
        )

    def dm(self, to: str | User, text: str | Draft, *, purpose: str | None = None) -> Reservation:
        """Reserve a direct message to the customer through the outbox."""
        self.check()
        return self.desk.outbox(self.agent).dm(
            to,
            text,
            purpose=purpose or f"desk:{self.conversation_id}",
            subject=self.conversation_id,
        )

    def hide(self, post_id: str) -> Reservation:
        """Reserve hiding a reply in the brand's conversation through the outbox."""
        self.check()
        return self.desk.outbox(self.agent).hide(post_id)

    def resolve(self) -> Conversation:
        """Resolve the conversation (audited as ``conversation.resolved``)."""
        self.check()
        return self.desk.threader.resolve(self.conversation_id)

    def release(self) -> bool:
        """Stop renewing and give the lease up; return whether there was one to release."""
        self._stop.set()
        if self._renewer is not None and self._renewer is not threading.current_thread():
            self._renewer.join()
        return self.desk.store.release_lease(self.key, self.agent)

    def _renew_loop(self, every: float) -> None:
        while not self._stop.wait(every):
            try:
                self.renew()
            except Exception as exc:  # noqa: BLE001 - kept for the owner, renewing stops
                self.renew_error = exc
                log.warning("lease on %s lost: %s", self.conversation_id, exc)
                return

    def __enter__(self) -> Self:
        every = self.desk.renew_every or self.desk.lease_ttl / 3
        self._renewer = threading.Thread(
            target=self._renew_loop, args=(every,), name=f"desk-lease-{self.conversation_id}",
            daemon=True,
        )  # fmt: skip
        self._renewer.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _sink_name(sink: AlertSink, index: int) -> str:
    name = getattr(sink, "name", None)
    return name if isinstance(name, str) and name else f"{type(sink).__name__}#{index}"


class Desk:
    """The care desk: the open queue, rules on ingest, claims, service levels, audit.

    Args:
        store: where everything is kept (every shipped store).
        brands: the brand accounts' user ids.
        rules: applied to every new inbound post on :meth:`ingest`.
        sla: the teams' service levels (default: one team around the clock, no
            targets, coverage alarm after an hour).
        sinks: where :meth:`check` sends breach alerts.
        clock: the time source (the store's clock should agree).
        lease_ttl: seconds a claim lives unless renewed.
        renew_every: seconds between renewals inside ``with`` (default ``lease_ttl / 3``).
        prices: the price table of the audit view and reports.
        threader: the store threader to share (default: a new one on ``store``).
    """

    def __init__(
        self,
        store: DeskStore,
        *,
        brands: Iterable[str] = (),
        rules: RuleSet | None = None,
        sla: SlaPolicy | None = None,
        sinks: Sequence[AlertSink] = (),
        clock: Clock | None = None,
        lease_ttl: float = 120.0,
        renew_every: float | None = None,
        prices: PriceTable = DEFAULT_PRICES,
        threader: StoreThreader | None = None,
    ) -> None:
        self.store = store
        self.clock = clock or SystemClock()
        self.threader = threader or StoreThreader(store, brands=brands, clock=self.clock)
        self.brands = frozenset(brands) | self.threader.brands
        self._owner = f"{_ACTOR}/{uuid.uuid4().hex}"
        self.rules = rules or RuleSet()
        self.sla = sla or SlaPolicy()
        self.sinks = tuple(sinks)
        self.lease_ttl = lease_ttl
        self.renew_every = renew_every
        self.prices = prices

    def __repr__(self) -> str:
        return f"Desk(store={self.store!r}, rules={len(self.rules.rules)}, sinks={len(self.sinks)})"

    def outbox(self, agent: str) -> Outbox:
        """An :class:`~socialcare.outbox.Outbox` on the desk's store acting as ``agent``."""
        return Outbox(self.store, actor=agent)

    # -- ingest and rules ---------------------------------------------------------------------

    def ingest(self, posts: Iterable[Post], *, users: Iterable[User] = ()) -> list[Triage]:
        """Store and thread posts, then apply the rules to each new inbound post.

        Each decision is written to the audit log (action ``"desk.rule"``, subject the
        conversation, detail: the post, the rules, why and what they did) and applied:
        tags added, priority raised, the conversation assigned when unassigned, the
        reply hidden (through the outbox), the conversation resolved. A post is
        triaged once: the desk marks the posts it triaged (``SeenStore`` stream
        ``socialcare.desk:triaged``), so a post a monitor sharing the store saved first
        is still triaged, and one ingested again (after a restart too) is not.

        Args:
            posts: posts as the monitor or a webhook delivered them.
            users: their authors (stored; otherwise the store's users are read).

        Returns:
            the triage of every new inbound post that some rule matched.
        """
        batch = [p for p in posts if not p.is_retweet]
        known = {u.id: u for u in users}
        if known:
            self.store.upsert_users(known.values())
        inbound = {p.id: p for p in batch if p.author_id not in self.brands}
        self.threader.ingest(batch)
        won = self.store.claim_seen(_TRIAGED, inbound, owner=self._owner, ttl=_CLAIM_TTL)
        fresh = [inbound[i] for i in won]
        decided: list[Triage] = []
        for post in fresh:
            author = known.get(post.author_id or "") or (
                self.store.get_user(post.author_id) if post.author_id else None
            )
            triage = self.rules.evaluate(post, author)
            if not triage:
                continue
            cid = self.threader.thread_of(post.id).conversation_id
            triage = attrs.evolve(triage, conversation_id=cid)
            self._apply(triage)
            decided.append(triage)
        if won:
            self.store.confirm_seen(_TRIAGED, won, owner=self._owner)
        return decided

    def _apply(self, triage: Triage) -> None:
        cid = triage.conversation_id
        self.store.append_audit(
            "desk.rule",
            actor=_ACTOR,
            subject=cid,
            detail={
                "post": triage.post_id,
                "rules": [
                    {"rule": m.rule, "why": list(m.why), "actions": list(m.actions)}
                    for m in triage.matches
                ],
            },
        )
        record = self.store.get_conversation(cid)
        if record is not None:
            updated = attrs.evolve(
                record,
                tags=record.tags | triage.tags,
                priority=record.priority
                if triage.priority is None
                else max(record.priority, triage.priority),
                assignee=record.assignee or triage.assign,
            )
            if updated != record:
                self.store.put_conversation(updated)
        if triage.hide_reply:
            self.outbox(_ACTOR).hide(triage.post_id, purpose=f"desk:{triage.matches[0].rule}")
        if triage.resolve and record is not None and record.state != "resolved":
            self.threader.resolve(cid)

    # -- the queue --------------------------------------------------------------------------

    def open_conversations(self, *, limit: int = 1000) -> list[Conversation]:
        """Open conversations: ``new``, ``awaiting_brand`` (the open queue), ``escalated``.

        At most ``limit`` of the open queue and ``limit`` escalated ones.
        """
        found = self.store.open_queue(limit=limit)
        found.extend(self.store.find_conversations(state="escalated", limit=limit))
        return found

    def queue(
        self, *, now: dt.datetime | None = None, limit: int = 50, scan: int = 1000
    ) -> list[QueueItem]:
        """The open conversations to work on, most urgent first.

        Ordered by priority (highest first), then by the next SLA deadline (soonest,
        breached first), then by how long the customer has waited, then by id. Reads
        the top ``scan`` conversations of the store's open queue (and escalated ones).
        """
        now = now or self.clock.now()
        conversations = self.open_conversations(limit=scan)
        held = {
            lease.key.removeprefix(LEASE_PREFIX): lease
            for lease in self.store.list_leases(prefix=LEASE_PREFIX)
        }
        breaches: dict[str, list[Breach]] = {}
        for b in self.sla.breaches(conversations, now=now, handled=held):
            breaches.setdefault(b.conversation_id, []).append(b)
        items = []
        for c in conversations:
            team: Team = self.sla.team_for(c)
            first, resolved = team.due(c)
            items.append(
                QueueItem(
                    conversation=c,
                    team=team.name,
                    first_response_due=None if c.first_response_at is not None else first,
                    resolution_due=resolved,
                    breaches=tuple(breaches.get(c.id, ())),
                    holder=held.get(c.id),
                )
            )
        items.sort(
            key=lambda i: (
                -i.conversation.priority,
                i.due or _FAR_FUTURE,
                i.conversation.waiting_since or _FAR_FUTURE,
                i.conversation.id,
            )
        )
        return items[:limit]

    # -- assignment -------------------------------------------------------------------------

    def collision(
        self, conversation_id: str, agent: str, lease: Lease | None = None
    ) -> CollisionError:
        """The error for ``agent`` finding ``conversation_id`` held by someone else."""
        lease = lease or self.store.get_lease(LEASE_PREFIX + conversation_id)
        if lease is None or lease.owner == agent:
            return CollisionError(
                f"conversation {conversation_id}: {agent}'s lease lapsed (claim it again)",
                conversation_id=conversation_id,
                holder=lease.owner if lease is not None else "nobody",
                expires_at=lease.expires_at if lease is not None else None,
            )
        return CollisionError(
            f"conversation {conversation_id} is being handled by {lease.owner} "
            f"until {lease.expires_at.isoformat()} (unless renewed)",
            conversation_id=conversation_id,
            holder=lease.owner,
            expires_at=lease.expires_at,
        )

    def assign(self, conversation_id: str, agent: str) -> Claim:
        """Claim the conversation for ``agent``; use the result in a ``with`` block.

        The claim is a lease (``LEASE_PREFIX + conversation_id``) in the store, so
        two agents or bots in any processes cannot hold one conversation at once.
        Claiming again as the same agent extends it. The conversation's ``assignee``
        becomes ``agent`` and the claim is audited (``"desk.assigned"``).

        Raises:
            CollisionError: someone else holds it (names the holder and expiry).
            KeyError: there is no such conversation.
        """
        record = self.store.get_conversation(conversation_id)
        if record is None:
            raise KeyError(conversation_id)
        key = LEASE_PREFIX + conversation_id
        if not self.store.claim_lease(key, agent, ttl=self.lease_ttl):
            raise self.collision(conversation_id, agent)
        lease = self.store.get_lease(key)
        if lease is None or lease.owner != agent:  # lapsed at once (a tiny TTL)
            raise self.collision(conversation_id, agent, lease)
        if record.assignee != agent:
            self.store.put_conversation(attrs.evolve(record, assignee=agent))
        self.store.append_audit(
            "desk.assigned",
            actor=agent,
            subject=conversation_id,
            detail={"token": lease.token, "expires_at": lease.expires_at.isoformat()},
        )
        return Claim(self, conversation_id, agent, lease)

    # -- service levels ----------------------------------------------------------------------

    def breaches(self, *, now: dt.datetime | None = None, scan: int = 1000) -> list[Breach]:
        """Every breach of the open conversations at ``now`` (reads only; sends nothing)."""
        now = now or self.clock.now()
        held = [
            lease.key.removeprefix(LEASE_PREFIX)
            for lease in self.store.list_leases(prefix=LEASE_PREFIX)
        ]
        return self.sla.breaches(self.open_conversations(limit=scan), now=now, handled=held)

    def check(self, now: dt.datetime | None = None, *, owner: str = _ACTOR) -> list[Breach]:
        """Find the breaches at ``now`` and alert the new ones through the sinks, once each.

        Each breach is reserved in the store's outbox once per sink (kind
        ``desk.alert:<sink name>``, key ``desk-alert:<sink name>:<breach key>``; a
        sink's name is its ``name`` attribute, else ``<class name>#<index>``), so it
        fires once however many processes check and however often. Each process
        delivers only to the sinks it has; a sink that fails
        (:class:`~socialcare.errors.AlertError`) gets the alert again on a later check.
        Without sinks the breaches are still recorded (kind ``desk.alert``), once each.
        New breaches are audited as ``desk.breach.<kind>``.

        Returns:
            the breaches first found by this call (already reported ones are left out).
        """
        found = self.breaches(now=now)
        sinks = {_sink_name(s, n): s for n, s in enumerate(self.sinks)}
        new: list[Breach] = []
        for breach in found:
            if self._reserve_alerts(breach, list(sinks)):
                new.append(breach)
                self.store.append_audit(
                    f"desk.breach.{breach.kind}",
                    actor=owner,
                    subject=breach.conversation_id,
                    detail={"due": breach.due.isoformat(), "detail": breach.detail},
                )
        for name, sink in sinks.items():
            self._deliver(owner, name, sink)
        return new

    def _reserve_alerts(self, breach: Breach, sinks: list[str]) -> bool:
        """Reserve the breach's alert for every sink; whether this call was the first."""
        payload: dict[str, object] = {
            "breach": breach.kind,
            "conversation_id": breach.conversation_id,
            "detail": breach.detail,
        }
        if not sinks:
            key = f"desk-alert:{breach.key}"
            reservation = self.store.reserve_action(key, kind=ALERT_KIND, payload=payload)
            if reservation.created:  # nothing to deliver: recorded as settled at once
                self.store.mark_sent(key, remote_id=breach.key)
            return reservation.created
        alert = self._alert(breach).to_record()
        created = False
        for name in sinks:
            reservation = self.store.reserve_action(
                f"desk-alert:{name}:{breach.key}",
                kind=f"{ALERT_KIND}:{name}",
                payload={**payload, "sink": name, "alert": alert},
            )
            created = created or reservation.created
        return created

    def _deliver(self, owner: str, name: str, sink: AlertSink) -> None:
        kind = f"{ALERT_KIND}:{name}"
        while claimed := self.store.claim_actions(owner, ttl=60.0, limit=_PAGE, kind=kind):
            for record in claimed:
                raw = record.payload.get("alert")
                if not isinstance(raw, Mapping):
                    self.store.mark_failed(record.key, reason="no alert in the record")
                    continue
                alert = Alert.from_record(raw)
                try:
                    sink.deliver([alert])
                    sink.flush()
                except AlertError as exc:
                    self.store.mark_failed(
                        record.key, reason=str(exc)[:500], retry=True, delay=60.0
                    )
                    continue
                self.store.mark_sent(record.key, remote_id=alert.delivery_id)
            if len(claimed) < _PAGE:
                return

    def _alert(self, breach: Breach) -> Alert:
        posts = self.store.posts_in_conversation(breach.conversation_id, limit=_PAGE)
        inbound = [p for p in posts if p.author_id not in self.brands]
        waiting = [p for p in inbound if p.created_at is not None and p.created_at >= breach.since]
        chosen = waiting or inbound
        post = chosen[0] if chosen else Post(id=breach.conversation_id, text=breach.detail)
        author = self.store.get_user(post.author_id) if post.author_id else None
        return Alert(stream=f"desk.{breach.kind}", post=post, received_at=breach.due, author=author)

    # -- audit ------------------------------------------------------------------------------

    def outbound(
        self,
        *,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        agent: str | None = None,
        conversation_id: str | None = None,
        limit: int = 100_000,
    ) -> list[OutboundAction]:
        """Every outbound action (who, what, when, remote id, price), oldest first.

        Read from the outbox records and the audit log (``outbox.reserved`` gives who
        and the conversation, ``outbox.sent``/``outbox.reconciled`` when it was sent).
        ``since``/``until`` filter on the reservation time.
        """
        reserved, sent = self._outbound_entries()
        actions: list[tuple[int, OutboundAction]] = []
        for record in self.store.list_actions(kind=OUTBOX_KIND, limit=limit):
            if since is not None and record.created_at < since:
                continue
            if until is not None and record.created_at >= until:
                continue
            who, subject, seq = reserved.get(record.key, ("unknown", None, 0))
            view = self._view(record, who, subject, sent.get(record.key))
            if agent is not None and view.agent != agent:
                continue
            if conversation_id is not None and view.conversation_id != conversation_id:
                continue
            actions.append((seq, view))
        actions.sort(key=lambda pair: (pair[1].reserved_at, pair[0], pair[1].key))
        return [view for _, view in actions]

    def _outbound_entries(
        self,
    ) -> tuple[dict[str, tuple[str, str | None, int]], dict[str, dt.datetime]]:
        """From the audit log: who reserved each key (and about what), when each was sent."""
        reserved: dict[str, tuple[str, str | None, int]] = {}
        sent: dict[str, dt.datetime] = {}
        for entry in audit_trail(self.store, page_size=_PAGE):
            key = entry.detail.get("key")
            if not isinstance(key, str):
                continue
            if entry.action == "outbox.reserved":
                reserved.setdefault(key, (entry.actor, entry.subject, entry.seq))
            elif entry.action in {"outbox.sent", "outbox.reconciled"}:
                sent.setdefault(key, entry.at)
        return reserved, sent

    def _view(
        self, record: OutboxRecord, who: str, subject: str | None, sent_at: dt.datetime | None
    ) -> OutboundAction:
        payload = record.payload
        action = str(payload.get("action", "?"))
        text = payload.get("text")
        conversation = subject if subject is not None else None
        if conversation is not None and self.store.get_conversation(conversation) is None:
            post = self.store.get_post(conversation) if conversation.isdigit() else None
            conversation = post.conversation_id if post is not None else conversation
        if record.status == "sent" and sent_at is None:
            sent_at = record.updated_at
        return OutboundAction(
            key=record.key,
            action=action,
            agent=who,
            conversation_id=conversation,
            text=text if isinstance(text, str) else None,
            status=record.status,
            reserved_at=record.created_at,
            sent_at=sent_at if record.status == "sent" else None,
            remote_id=record.remote_id,
            price=self.price_of(record),
            error=record.error,
        )

    def price_of(self, record: OutboxRecord) -> Decimal:
        """What a sent outbox action cost on X pay-per-use (zero unless sent).

        A DM is priced as a DM; a reply or post with a URL as ``post_with_url``; a
        reply as a summoned reply (the desk answers customers who wrote to the brand);
        a post as a post; hiding and deleting are free.
        """
        if record.status != "sent":
            return Decimal(0)
        action = record.payload.get("action")
        text = record.payload.get("text")
        has_url = isinstance(text, str) and bool(extract_urls(text))
        if action == "dm":
            return self.prices.dm
        if action in {"reply", "post"} and has_url:
            return self.prices.post_with_url
        if action == "reply":
            return self.prices.summoned_reply
        if action == "post":
            return self.prices.post
        return Decimal(0)

    # -- reports ----------------------------------------------------------------------------

    def report(
        self,
        *,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        hours: BusinessHours | None = None,
        limit: int = 100_000,
    ) -> Report:
        """The figures of conversations first opened in ``[since, until)``.

        Volumes, first-response and resolution times (business time with ``hours``)
        and the price of the outbound actions, per conversation; group them with
        :meth:`Report.by` (agent, brand, channel, team).
        """
        return build_report(self, since=since, until=until, hours=hours, limit=limit)
