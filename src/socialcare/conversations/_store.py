"""A threader backed by a store: posts and conversation records survive restarts."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

import attrs

from socialcare._clock import Clock, SystemClock
from socialcare.models import Conversation, ConversationState, DirectMessage, Post
from socialcare.storage import (
    AuditLog,
    ConversationStore,
    DMStore,
    PostStore,
    SeenStore,
    audit_trail,
)
from socialcare.threads import CareEvent, Thread, Threader, next_state

if TYPE_CHECKING:
    from socialcare.privacy import PrivateDataGuard

__all__ = ["StoreThreader", "ThreadStore"]

# The SeenStore stream marking the posts a threader counted in a record.
_THREADED = "socialcare.conversations:threaded"
_CLAIM_TTL = 600.0

_WAITING = frozenset({"new", "awaiting_brand"})
_LOAD_LIMIT = 100_000
_MAX_CHAIN = 10_000
_ACTOR = "socialcare.conversations"
_ACTIONS: dict[str, CareEvent] = {
    "conversation.escalated": "escalate",
    "conversation.resolved": "resolve",
}
_AUDIT_PAGE = 1000


class ThreadStore(PostStore, ConversationStore, DMStore, AuditLog, SeenStore, Protocol):
    """What :class:`StoreThreader` needs from a store: posts, DMs, records, audit, seen marks.

    Escalations and resolutions are recorded in the audit log with their times; the
    posts already counted in a conversation record are marked on the ``SeenStore``
    stream ``socialcare.conversations:threaded``. Every
    :class:`~socialcare.storage.Store` backend provides it.
    """


class StoreThreader:
    """A :class:`~socialcare.threads.Threader` whose posts and care records live in a store.

    ``ingest`` stores the posts, threads them, and updates each affected conversation's
    record (:class:`~socialcare.models.Conversation`): its care state, customer, first
    inbound, first response, last activity and ``waiting_since``. A conversation record
    is opened only by inbound (a non-brand post): the brand's own replies never open
    one. The record is derived from the conversation's turns in time order, with the
    escalations and resolutions at the times they were made, so it does not depend on
    the order in which posts arrive: a late, older brand reply lands where it was
    written. Whether a post was already counted is the threader's own mark (the
    ``SeenStore`` stream ``socialcare.conversations:threaded``, claimed before the
    record is updated and confirmed after), never whether the post is stored: a
    :class:`~socialcare.monitor.Monitor` sharing the store may have stored it first.
    Ingesting a post again, in this process or after a restart, changes nothing; a
    threader that died between the claim and the confirmation leaves the post to be
    counted again once the claim expires. A new ``StoreThreader`` on the same store
    carries on where the last one stopped: a conversation's posts are loaded from the
    store the first time it is touched (by ``conversation_id``; for posts without one,
    the reply chain upwards), and its escalations and resolutions are read back from
    the audit log (``conversation.escalated`` and ``conversation.resolved`` entries).

    Not thread-safe; serialise writers of one conversation (a lease) across processes.

    Args:
        store: where posts, DMs and conversation records are kept.
        brands: the brand accounts' user ids (explicit; never guessed).
        clock: the time source for escalations and resolutions.
        redact: a :class:`~socialcare.privacy.PrivateDataGuard` to keep private data out
            of the store: posts and DMs are redacted before they are stored or threaded
            (:meth:`~socialcare.privacy.PrivateDataGuard.redact_post`, length for
            length, so entity offsets still hold). ``None`` (the default): stored as
            given.
    """

    def __init__(
        self,
        store: ThreadStore,
        *,
        brands: Iterable[str] = (),
        clock: Clock | None = None,
        redact: PrivateDataGuard | None = None,
    ) -> None:
        self._store = store
        self.redact = redact
        self._threader = Threader(brands=brands)
        self._clock = clock or SystemClock()
        self._loaded: set[str] = set()
        self._events: dict[str, list[tuple[dt.datetime, CareEvent]]] = {}
        self._first_seen: dict[str, dt.datetime] = {}
        self._owner = f"{_ACTOR}/{uuid.uuid4().hex}"

    @property
    def brands(self) -> frozenset[str]:
        """The configured brand account ids."""
        return self._threader.brands

    def _load(self, post: Post) -> None:
        cid = post.conversation_id
        if cid is not None:
            if cid not in self._loaded:
                self._loaded.add(cid)
                self._threader.ingest(self._store.posts_in_conversation(cid, limit=_LOAD_LIMIT))
            return
        parent = post.replied_to_id
        for _ in range(_MAX_CHAIN):
            if parent is None or parent in self._threader:
                return
            stored = self._store.get_post(parent)
            if stored is None:
                return
            self._threader.ingest([stored])
            parent = stored.replied_to_id

    def ingest(self, posts: Iterable[Post]) -> list[Conversation]:
        """Store and thread posts; return the conversation records that changed.

        Raises:
            TypeError: an item is not a :class:`~socialcare.models.Post`.
            StorageError: the store failed (posts already stored stay stored).
        """
        batch = []
        items: Iterable[object] = posts
        for post in items:
            if not isinstance(post, Post):
                msg = f"ingest() takes Post values, got {type(post).__name__}"
                raise TypeError(msg)
            if not post.is_retweet:
                batch.append(post if self.redact is None else self.redact.redact_post(post))
        if not batch:
            return []
        for post in batch:
            self._load(post)
        # Not yet counted in a record: this threader's mark, not the post table (a
        # monitor sharing the store saves posts before they reach the threader).
        won = self._store.claim_seen(
            _THREADED, [p.id for p in batch], owner=self._owner, ttl=_CLAIM_TTL
        )
        claimed = set(won)
        fresh = [p for p in batch if p.id in claimed]
        self._store.upsert_posts(batch)
        self._threader.ingest(batch)
        now = self._clock.now()
        touched = self._touched(fresh, now)
        changed: list[Conversation] = []
        for conversation_id, thread in touched.items():
            record = self._store.get_conversation(conversation_id)
            updated = _derive(
                record, thread, self._events_of(conversation_id), self._first_seen, now
            )
            if updated is not None and updated != record:
                self._store.put_conversation(updated)
                changed.append(updated)
        if won:
            self._store.confirm_seen(_THREADED, won, owner=self._owner)
        return changed

    def _touched(self, fresh: list[Post], now: dt.datetime) -> dict[str, Thread]:
        """The threads the fresh posts are in, by conversation id (first touched first)."""
        touched: dict[str, Thread] = {}
        for post in sorted(fresh, key=_time_key):
            if post.created_at is None:
                self._first_seen.setdefault(post.id, now)  # counts as written when first seen
            if post.conversation_id is not None and post.conversation_id in touched:
                continue
            thread = self._threader.thread_of(post.id)
            touched.setdefault(thread.conversation_id, thread)
        return touched

    def _events_of(self, conversation_id: str) -> list[tuple[dt.datetime, CareEvent]]:
        """The conversation's escalations and resolutions, read from the audit log once."""
        events = self._events.get(conversation_id)
        if events is None:
            events = []
            for entry in audit_trail(self._store, subject=conversation_id, page_size=_AUDIT_PAGE):
                event = _ACTIONS.get(entry.action)
                at = entry.detail.get("at")
                if event is not None and isinstance(at, str):
                    events.append((dt.datetime.fromisoformat(at), event))
            for at, event in sorted(events):  # the threader's snapshots know them too
                if event == "escalate":
                    self._threader.escalate(conversation_id, at)
                else:
                    self._threader.resolve(conversation_id, at)
            self._events[conversation_id] = events
        return events

    def ingest_dms(self, messages: Iterable[DirectMessage]) -> list[Conversation]:
        """Store DMs; return the conversation records that changed.

        DMs between a brand and the customer of an escalated conversation join it (the
        DM lane): its activity times and waiting state follow them.
        """
        batch = list(messages)
        if self.redact is not None:
            batch = [self.redact.redact_dm(m) for m in batch]
        self._store.upsert_dms(batch)
        self._threader.ingest_dms(batch)
        changed: dict[str, Conversation] = {}
        for message in sorted(batch, key=lambda m: (m.created_at or _FAR_PAST, m.id)):
            people = {message.sender_id, *message.participant_ids} - {None}
            if message.dm_conversation_id and not message.participant_ids:
                people.update(message.dm_conversation_id.split("-"))
            customers = people - self.brands
            if not customers or not people & self.brands:
                continue
            for customer in sorted(c for c in customers if c is not None):
                for record in self._store.find_conversations(
                    customer_id=customer, state="escalated"
                ):
                    current = changed.get(record.id, record)
                    inbound = message.sender_id not in self.brands
                    updated = attrs.evolve(
                        current,
                        last_activity_at=_latest(current.last_activity_at, message.created_at),
                        waiting_since=(current.waiting_since or message.created_at)
                        if inbound
                        else None,
                    )
                    changed[record.id] = updated
        for record in changed.values():
            self._store.put_conversation(record)
        return list(changed.values())

    def _event(self, conversation_id: str, event: CareEvent) -> Conversation:
        record = self._store.get_conversation(conversation_id)
        if record is None:
            raise KeyError(conversation_id)
        now = self._clock.now()
        events = self._events_of(conversation_id)
        action = "conversation.escalated" if event == "escalate" else "conversation.resolved"
        self._store.append_audit(
            action, actor=_ACTOR, subject=conversation_id, detail={"at": now.isoformat()}
        )
        events.append((now, event))
        if event == "escalate":
            self._threader.escalate(conversation_id, now)
        else:
            self._threader.resolve(conversation_id, now)
        state = next_state(record.state, event)
        updated = attrs.evolve(
            record, state=state, waiting_since=record.waiting_since if state in _WAITING else None
        )
        self._store.put_conversation(updated)
        return updated

    def escalate(self, conversation_id: str) -> Conversation:
        """Move the conversation to direct messages (state ``escalated``); return the record.

        Raises:
            KeyError: no conversation record has this id.
        """
        return self._event(conversation_id, "escalate")

    def resolve(self, conversation_id: str) -> Conversation:
        """Mark the conversation resolved; new inbound reopens it. Returns the record.

        Raises:
            KeyError: no conversation record has this id.
        """
        return self._event(conversation_id, "resolve")

    def thread(self, conversation_id: str) -> Thread:
        """The conversation's tree, loaded from the store when needed.

        Raises:
            KeyError: no stored post belongs to this conversation.
        """
        if conversation_id not in self._loaded:
            self._loaded.add(conversation_id)
            self._threader.ingest(
                self._store.posts_in_conversation(conversation_id, limit=_LOAD_LIMIT)
            )
        return self._threader.thread(conversation_id)

    def thread_of(self, post_id: str) -> Thread:
        """The conversation holding ``post_id`` (loaded from the store when needed).

        Raises:
            KeyError: the post is neither stored nor referenced.
        """
        if post_id not in self._threader:
            stored = self._store.get_post(post_id)
            if stored is not None:
                self._load(stored)
                self._threader.ingest([stored])
        return self._threader.thread_of(post_id)

    def record(self, conversation_id: str) -> Conversation | None:
        """The stored conversation record (its care state), or ``None``."""
        return self._store.get_conversation(conversation_id)


_FAR_PAST = dt.datetime.min.replace(tzinfo=dt.timezone.utc)


def _time_key(post: Post) -> tuple[dt.datetime, int, str]:
    return (post.created_at or _FAR_PAST, len(post.id), post.id)


def _earliest(a: dt.datetime | None, b: dt.datetime | None) -> dt.datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: dt.datetime | None, b: dt.datetime | None) -> dt.datetime | None:
    return b if a is None else a if b is None else max(a, b)


def _derive(
    record: Conversation | None,
    thread: Thread,
    events: list[tuple[dt.datetime, CareEvent]],
    first_seen: dict[str, dt.datetime],
    now: dt.datetime,
) -> Conversation | None:
    """The record after replaying the thread's posts and the care events in time order.

    ``None`` (no record) while no customer has written. The replay depends only on the
    posts held and the events, never on the order posts arrived in. A post without
    ``created_at`` counts as written when it was first seen (``now`` if not seen by
    this process). The first inbound and first response times are the earliest of the
    replay and the stored record (a conversation without ``conversation_id`` may be
    only partly loaded after a restart); the last activity is the latest of both (the
    DM lane also moves it). While the conversation stays escalated, ``waiting_since``
    is the one the DM lane keeps.
    """
    timeline: list[tuple[dt.datetime, int, int, str, str]] = []
    for post in thread.posts:
        at = post.created_at or first_seen.get(post.id, now)
        timeline.append((at, 0, len(post.id), post.id, thread.role(post.author_id)))
    timeline.extend((at, 1 if event == "escalate" else 2, 0, "", event) for at, event in events)
    timeline.sort()
    state, first_inbound, first_response, last, waiting = _replay(timeline)
    if state is None:
        return record
    if record is None:
        return Conversation(
            id=thread.conversation_id,
            state=state,
            customer_id=thread.customer_id,
            first_inbound_at=first_inbound,
            first_response_at=first_response,
            last_activity_at=last,
            waiting_since=waiting,
        )
    if state == "escalated" and record.state == "escalated":
        waiting = record.waiting_since  # the DM lane's
    return attrs.evolve(
        record,
        state=state,
        customer_id=thread.customer_id or record.customer_id,
        first_inbound_at=_earliest(record.first_inbound_at, first_inbound),
        first_response_at=_earliest(record.first_response_at, first_response),
        last_activity_at=_latest(record.last_activity_at, last),
        waiting_since=waiting,
    )


_Replayed = tuple[
    "ConversationState | None", "dt.datetime | None", "dt.datetime | None",
    "dt.datetime | None", "dt.datetime | None",
]  # fmt: skip


def _replay(timeline: list[tuple[dt.datetime, int, int, str, str]]) -> _Replayed:
    """The record's fields after the timeline's turns (by role) and events, in order.

    State, first inbound, first response, last activity and ``waiting_since``.
    """
    state: ConversationState | None = None
    first_inbound = first_response = last = waiting = None
    for at, _, _, _, what in timeline:
        if what == "bystander" or (what == "brand" and state is None):
            if state is not None:
                last = _latest(last, at)
            continue  # neither bystanders nor the brand open a conversation
        if what in {"escalate", "resolve"}:
            state = next_state(state, "escalate" if what == "escalate" else "resolve")
            waiting = None
            continue
        previous = state
        if what == "customer":
            state = next_state(previous, "inbound")
            first_inbound = first_inbound or at
            if state in _WAITING and not (previous in _WAITING and waiting is not None):
                waiting = at
        else:
            state = next_state(previous, "response")
            first_response = first_response or at
            if state not in _WAITING:
                waiting = None
        last = _latest(last, at)
    return state, first_inbound, first_response, last, waiting
