"""``MemoryStore``: the whole ``Store`` in process memory, for tests, notebooks and scripts."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING

import attrs

from socialcare._clock import Clock, SystemClock
from socialcare.errors import LeaseError, StorageError
from socialcare.models import DirectMessage, Post, TokenRecord, User
from socialcare.models._care import (
    AuditEntry,
    Conversation,
    ConversationState,
    Escalation,
    EscalationState,
    Lease,
    OutboxRecord,
    OutboxStatus,
    Reservation,
    ShortLink,
    StreamCursor,
)
from socialcare.storage._codec import load_json
from socialcare.storage._common import (
    check_aware,
    check_backlog,
    check_conversation,
    check_delay,
    check_escalation,
    check_json,
    check_key,
    check_keys,
    check_limit,
    check_optional,
    check_posts_text,
    check_since_id,
    check_text,
    check_token_record,
    check_ttl,
    clip,
    dm_document,
    id_order,
    lease_expiry,
    lease_refused,
    not_sendable,
    seen_ids,
    storable_posts,
    user_document,
)
from socialcare.storage._schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["MemoryStore"]


_WAITING = frozenset({"new", "awaiting_brand"})  # the open queue's states
_FAR_PAST = dt.datetime.min.replace(tzinfo=dt.timezone.utc)


def _frozen_json(name: str, value: Mapping[str, object] | None) -> dict[str, object]:
    """A private deep copy of a JSON object, checked like SQL stores check it (``check_json``)."""
    loaded = load_json(check_json(name, value))
    assert isinstance(loaded, dict)  # noqa: S101 - a dict dumps to an object
    return loaded


@attrs.frozen
class _Seen:
    """One seen record: first made at ``seen_at``, held by ``owner`` until ``expires_at``."""

    seen_at: dt.datetime
    owner: str
    expires_at: dt.datetime
    delivered_at: dt.datetime | None = None


class MemoryStore:
    """A :class:`~socialcare.storage.Store` in process memory.

    Thread-safe (one lock serialises every call, so each call is atomic); the data
    lives as long as the object and is not shared with other processes. It has no
    schema to create: :meth:`create_schema` does nothing and the store is ready at
    once. Use it in tests, notebooks and single-process scripts.

    Args:
        clock: where time comes from (lease expiry, record times).
    """

    def __init__(self, *, clock: Clock | None = None) -> None:
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._lock = threading.RLock()
        self._closed = False
        self._posts: dict[str, Post] = {}
        self._users: dict[str, User] = {}
        self._dms: dict[str, DirectMessage] = {}
        self._conversations: dict[str, Conversation] = {}
        self._cursors: dict[str, StreamCursor] = {}
        self._outbox: dict[str, OutboxRecord] = {}
        self._audit: list[AuditEntry] = []
        self._links: dict[str, ShortLink] = {}
        self._escalations: dict[str, Escalation] = {}
        self._leases: dict[str, Lease] = {}
        self._tokens: dict[str, int] = {}
        self._seen: dict[str, dict[str, _Seen]] = {}
        self._paused_since: dt.datetime | None = None
        self._grants: dict[str, TokenRecord] = {}

    def __repr__(self) -> str:
        return f"MemoryStore(posts={len(self._posts)})"

    # -- lifecycle --------------------------------------------------------------------------------

    def _now(self) -> dt.datetime:
        if self._closed:
            raise StorageError("the store is closed")
        return self._clock.now()

    def create_schema(self) -> None:
        """Nothing to create: a memory store is always at the current schema."""

    def schema_version(self) -> int | None:
        """Always the current version."""
        return SCHEMA_VERSION

    def close(self) -> None:
        """Mark the store closed; later calls raise ``StorageError``."""
        self._closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- posts, users, DM events --------------------------------------------------------

    def upsert_posts(self, posts: Iterable[Post]) -> int:
        """See :meth:`Store.upsert_posts`."""
        batch = storable_posts(posts)
        check_posts_text(batch)
        with self._lock:
            self._now()
            self._posts.update((p.id, p) for p in batch)
        return len(batch)

    def get_post(self, post_id: str) -> Post | None:
        """See :meth:`Store.get_post`."""
        check_text("post_id", post_id)
        with self._lock:
            self._now()
            return self._posts.get(post_id)

    def get_posts(self, post_ids: Iterable[str]) -> list[Post]:
        """See :meth:`Store.get_posts`."""
        ids = check_keys("post_ids", post_ids)
        with self._lock:
            self._now()
            return [p for i in ids if (p := self._posts.get(i)) is not None]

    def posts_in_conversation(self, conversation_id: str, *, limit: int = 1000) -> list[Post]:
        """See :meth:`Store.posts_in_conversation`."""
        check_text("conversation_id", conversation_id)
        check_limit(limit)
        with self._lock:
            self._now()
            found = [p for p in self._posts.values() if p.conversation_id == conversation_id]
        found.sort(key=lambda p: (p.created_at or _FAR_PAST, id_order(p.id)))
        return found[:limit]

    def count_posts(self) -> int:
        """See :meth:`Store.count_posts`."""
        with self._lock:
            self._now()
            return len(self._posts)

    def upsert_users(self, users: Iterable[User]) -> int:
        """See :meth:`Store.upsert_users`."""
        batch = {u.id: user_document(u)[0] for u in users}
        with self._lock:
            self._now()
            self._users.update(batch)
        return len(batch)

    def get_user(self, user_id: str) -> User | None:
        """See :meth:`Store.get_user`."""
        check_text("user_id", user_id)
        with self._lock:
            self._now()
            return self._users.get(user_id)

    def get_users(self, user_ids: Iterable[str]) -> list[User]:
        """See :meth:`Store.get_users`."""
        ids = check_keys("user_ids", user_ids)
        with self._lock:
            self._now()
            return [u for i in ids if (u := self._users.get(i)) is not None]

    def upsert_dms(self, messages: Iterable[DirectMessage]) -> int:
        """See :meth:`Store.upsert_dms`."""
        batch = {m.id: dm_document(m)[0] for m in messages}
        with self._lock:
            self._now()
            self._dms.update(batch)
        return len(batch)

    def get_dm(self, event_id: str) -> DirectMessage | None:
        """See :meth:`Store.get_dm`."""
        check_text("event_id", event_id)
        with self._lock:
            self._now()
            return self._dms.get(event_id)

    def dms_in_conversation(
        self, dm_conversation_id: str, *, limit: int = 1000
    ) -> list[DirectMessage]:
        """See :meth:`Store.dms_in_conversation`."""
        check_text("dm_conversation_id", dm_conversation_id)
        check_limit(limit)
        with self._lock:
            self._now()
            found = [m for m in self._dms.values() if m.dm_conversation_id == dm_conversation_id]
        found.sort(key=lambda m: (m.created_at or _FAR_PAST, id_order(m.id)))
        return found[:limit]

    # -- conversations ----------------------------------------------------------------------------

    def put_conversation(self, conversation: Conversation) -> None:
        """See :meth:`Store.put_conversation`."""
        check_conversation(conversation)
        with self._lock:
            self._now()
            self._conversations[conversation.id] = conversation

    def get_conversation(self, conversation_id: str) -> Conversation | None:
        """See :meth:`Store.get_conversation`."""
        check_text("conversation_id", conversation_id)
        with self._lock:
            self._now()
            return self._conversations.get(conversation_id)

    def find_conversations(
        self,
        *,
        customer_id: str | None = None,
        state: ConversationState | None = None,
        assignee: str | None = None,
        limit: int = 100,
    ) -> list[Conversation]:
        """See :meth:`Store.find_conversations`."""
        check_optional("customer_id", customer_id)
        check_optional("assignee", assignee)
        check_limit(limit)
        with self._lock:
            self._now()
            found = [
                c
                for c in self._conversations.values()
                if (customer_id is None or c.customer_id == customer_id)
                and (state is None or c.state == state)
                and (assignee is None or c.assignee == assignee)
            ]
        found.sort(key=lambda c: c.id)
        found.sort(key=lambda c: c.last_activity_at or _FAR_PAST, reverse=True)
        return found[:limit]

    def open_queue(self, *, limit: int = 50) -> list[Conversation]:
        """See :meth:`Store.open_queue`."""
        check_limit(limit)
        with self._lock:
            self._now()
            found = [c for c in self._conversations.values() if c.state in _WAITING]
        found.sort(key=lambda c: (-c.priority, c.waiting_since or _FAR_PAST, c.id))
        return found[:limit]

    # -- monitor cursors --------------------------------------------------------------------------

    def get_cursor(self, stream: str) -> StreamCursor | None:
        """See :meth:`Store.get_cursor`."""
        check_text("stream", stream)
        with self._lock:
            self._now()
            return self._cursors.get(stream)

    def list_cursors(self) -> list[StreamCursor]:
        """See :meth:`Store.list_cursors`."""
        with self._lock:
            self._now()
            return [self._cursors[k] for k in sorted(self._cursors)]

    def advance_cursor(self, stream: str, *, since_id: str | None = None) -> StreamCursor:
        """See :meth:`Store.advance_cursor`."""
        check_key("stream", stream)
        check_since_id(since_id)
        with self._lock:
            now = self._now()
            old = self._cursors.get(stream) or StreamCursor(stream=stream)
            new_id = old.since_id
            if since_id is not None and (new_id is None or id_order(since_id) > id_order(new_id)):
                new_id = since_id
            cursor = attrs.evolve(old, since_id=new_id, last_success_at=now, updated_at=now)
            self._cursors[stream] = cursor
            return cursor

    def record_stream_error(self, stream: str, message: str) -> StreamCursor:
        """See :meth:`Store.record_stream_error`."""
        check_key("stream", stream)
        check_text("message", message)
        with self._lock:
            now = self._now()
            old = self._cursors.get(stream) or StreamCursor(stream=stream)
            cursor = attrs.evolve(old, last_error=message, last_error_at=now, updated_at=now)
            self._cursors[stream] = cursor
            return cursor

    def set_backlog(
        self, stream: str, *, since_id: str | None, until_id: str | None
    ) -> StreamCursor:
        """See :meth:`Store.set_backlog`."""
        check_key("stream", stream)
        check_backlog(since_id, until_id)
        with self._lock:
            now = self._now()
            old = self._cursors.get(stream) or StreamCursor(stream=stream)
            cursor = attrs.evolve(
                old, backlog_since_id=since_id, backlog_until_id=until_id, updated_at=now
            )
            self._cursors[stream] = cursor
            return cursor

    # -- outbox -----------------------------------------------------------------------------------

    def reserve_action(self, key: str, *, kind: str, payload: Mapping[str, object]) -> Reservation:
        """See :meth:`Store.reserve_action`."""
        check_key("key", key)
        check_key("kind", kind)
        body = _frozen_json("payload", payload)
        with self._lock:
            now = self._now()
            existing = self._outbox.get(key)
            if existing is not None:
                return Reservation(record=existing, created=False)
            record = OutboxRecord(
                key=key, kind=kind, payload=body, status="reserved", created_at=now, updated_at=now
            )
            self._outbox[key] = record
            return Reservation(record=record, created=True)

    def get_action(self, key: str) -> OutboxRecord | None:
        """See :meth:`Store.get_action`."""
        check_text("key", key)
        with self._lock:
            self._now()
            return self._outbox.get(key)

    def claim_actions(
        self, owner: str, *, ttl: float, limit: int = 10, kind: str | None = None
    ) -> list[OutboxRecord]:
        """See :meth:`Store.claim_actions`."""
        check_key("owner", owner)
        check_optional("kind", kind)
        check_limit(limit)
        check_ttl(ttl)
        with self._lock:
            now = self._now()
            free = [
                r
                for r in self._outbox.values()
                if r.status == "reserved"
                and (kind is None or r.kind == kind)
                and (r.claim_expires_at is None or r.claim_expires_at <= now)
                and (r.not_before is None or r.not_before <= now)
            ]
            free.sort(key=lambda r: (r.created_at, r.key))
            claimed = []
            for record in free[:limit]:
                updated = attrs.evolve(
                    record,
                    claimed_by=owner,
                    claim_expires_at=lease_expiry(now, ttl),
                    attempts=record.attempts + 1,
                    updated_at=now,
                )
                self._outbox[record.key] = updated
                claimed.append(updated)
            return claimed

    def mark_sent(self, key: str, *, remote_id: str) -> OutboxRecord:
        """See :meth:`Store.mark_sent`."""
        check_text("key", key)
        check_key("remote_id", remote_id)
        with self._lock:
            now = self._now()
            record = self._outbox.get(key)
            if record is None:
                raise StorageError(f"no outbox action with key {clip(key)}")
            if record.status == "sent" and record.remote_id == remote_id:
                return record
            if record.status != "reserved":
                raise StorageError(not_sendable(record))
            updated = attrs.evolve(
                record,
                status="sent",
                remote_id=remote_id,
                claimed_by=None,
                claim_expires_at=None,
                in_doubt=False,
                not_before=None,
                updated_at=now,
            )
            self._outbox[key] = updated
            return updated

    def start_attempt(self, key: str, *, owner: str) -> OutboxRecord | None:
        """See :meth:`Store.start_attempt`."""
        check_text("key", key)
        check_key("owner", owner)
        with self._lock:
            now = self._now()
            record = self._outbox.get(key)
            if (
                record is None
                or self._paused_since is not None
                or record.status != "reserved"
                or record.claimed_by != owner
                or record.claim_expires_at is None
                or record.claim_expires_at <= now
            ):
                return None
            updated = attrs.evolve(
                record,
                first_attempt_at=record.first_attempt_at or now,
                in_doubt=True,
                updated_at=now,
            )
            self._outbox[key] = updated
            return updated

    def mark_failed(
        self,
        key: str,
        *,
        reason: str,
        retry: bool = False,
        delay: float = 0.0,
        not_sent: bool = False,
    ) -> OutboxRecord:
        """See :meth:`Store.mark_failed`."""
        check_text("key", key)
        check_text("reason", reason)
        check_delay(delay)
        with self._lock:
            now = self._now()
            record = self._outbox.get(key)
            if record is None:
                raise StorageError(f"no outbox action with key {clip(key)}")
            if record.status == "sent":
                raise StorageError(not_sendable(record))
            updated = attrs.evolve(
                record,
                status="reserved" if retry else "failed",
                error=reason,
                claimed_by=None,
                claim_expires_at=None,
                in_doubt=record.in_doubt and not not_sent,
                not_before=lease_expiry(now, delay) if retry and delay > 0 else None,
                updated_at=now,
            )
            self._outbox[key] = updated
            return updated

    def list_actions(
        self, *, status: OutboxStatus | None = None, kind: str | None = None, limit: int = 100
    ) -> list[OutboxRecord]:
        """See :meth:`Store.list_actions`."""
        check_optional("kind", kind)
        check_limit(limit)
        with self._lock:
            self._now()
            found = [
                r
                for r in self._outbox.values()
                if (status is None or r.status == status) and (kind is None or r.kind == kind)
            ]
        found.sort(key=lambda r: (r.created_at, r.key))
        return found[:limit]

    # -- pause switch -----------------------------------------------------------------------------

    def pause_all(self) -> bool:
        """See :meth:`Store.pause_all`."""
        with self._lock:
            now = self._now()
            if self._paused_since is not None:
                return False
            self._paused_since = now
            return True

    def resume_all(self) -> bool:
        """See :meth:`Store.resume_all`."""
        with self._lock:
            self._now()
            if self._paused_since is None:
                return False
            self._paused_since = None
            return True

    def paused(self) -> bool:
        """See :meth:`Store.paused`."""
        with self._lock:
            self._now()
            return self._paused_since is not None

    # -- audit log --------------------------------------------------------------------------------

    def append_audit(
        self,
        action: str,
        *,
        actor: str,
        subject: str | None = None,
        detail: Mapping[str, object] | None = None,
    ) -> AuditEntry:
        """See :meth:`Store.append_audit`."""
        check_key("action", action)
        check_key("actor", actor)
        check_optional("subject", subject)
        body = _frozen_json("detail", detail)
        with self._lock:
            now = self._now()
            entry = AuditEntry(
                seq=len(self._audit) + 1,
                at=now,
                actor=actor,
                action=action,
                subject=subject,
                detail=body,
            )
            self._audit.append(entry)
            return entry

    def audit_entries(
        self, *, subject: str | None = None, after_seq: int = 0, limit: int = 100
    ) -> list[AuditEntry]:
        """See :meth:`Store.audit_entries`."""
        check_optional("subject", subject)
        check_limit(limit)
        with self._lock:
            self._now()
            found = [
                e
                for e in self._audit[max(after_seq, 0) :]
                if subject is None or e.subject == subject
            ]
        return found[:limit]

    # -- short links ------------------------------------------------------------------------------

    def put_short_link(
        self,
        code: str,
        url: str,
        *,
        conversation_id: str | None = None,
        campaign: str | None = None,
    ) -> ShortLink:
        """See :meth:`Store.put_short_link`."""
        check_key("code", code)
        check_key("url", url)
        check_optional("conversation_id", conversation_id)
        check_optional("campaign", campaign)
        with self._lock:
            now = self._now()
            existing = self._links.get(code)
            if existing is not None:
                return existing
            link = ShortLink(
                code=code,
                url=url,
                created_at=now,
                conversation_id=conversation_id,
                campaign=campaign,
            )
            self._links[code] = link
            return link

    def get_short_link(self, code: str) -> ShortLink | None:
        """See :meth:`Store.get_short_link`."""
        check_text("code", code)
        with self._lock:
            self._now()
            return self._links.get(code)

    def record_click(self, code: str, *, bot: bool = False) -> ShortLink | None:
        """See :meth:`Store.record_click`."""
        check_text("code", code)
        with self._lock:
            now = self._now()
            link = self._links.get(code)
            if link is None:
                return None
            if bot:
                link = attrs.evolve(link, bot_clicks=link.bot_clicks + 1)
            else:
                link = attrs.evolve(link, clicks=link.clicks + 1, last_clicked_at=now)
            self._links[code] = link
            return link

    def follow_short_link(self, code: str, *, bot: bool = False) -> str | None:
        """See :meth:`Store.follow_short_link`."""
        link = self.record_click(code, bot=bot)
        return None if link is None else link.url

    def find_short_links(
        self,
        *,
        conversation_id: str | None = None,
        campaign: str | None = None,
        limit: int = 100,
    ) -> list[ShortLink]:
        """See :meth:`Store.find_short_links`."""
        check_optional("conversation_id", conversation_id)
        check_optional("campaign", campaign)
        limit = check_limit(limit)
        with self._lock:
            self._now()
            found = [
                link
                for link in self._links.values()
                if (conversation_id is None or link.conversation_id == conversation_id)
                and (campaign is None or link.campaign == campaign)
            ]
        found.sort(key=lambda link: (link.created_at, link.code))
        return found[:limit]

    # -- escalations ------------------------------------------------------------------------------

    def put_escalation(self, escalation: Escalation) -> None:
        """See :meth:`Store.put_escalation`."""
        check_escalation(escalation)
        with self._lock:
            self._now()
            self._escalations[escalation.id] = escalation

    def get_escalation(self, escalation_id: str) -> Escalation | None:
        """See :meth:`Store.get_escalation`."""
        check_text("escalation_id", escalation_id)
        with self._lock:
            self._now()
            return self._escalations.get(escalation_id)

    def find_escalations(
        self,
        *,
        conversation_id: str | None = None,
        state: EscalationState | None = None,
        limit: int = 100,
    ) -> list[Escalation]:
        """See :meth:`Store.find_escalations`."""
        check_optional("conversation_id", conversation_id)
        check_limit(limit)
        with self._lock:
            self._now()
            found = [
                e
                for e in self._escalations.values()
                if (conversation_id is None or e.conversation_id == conversation_id)
                and (state is None or e.state == state)
            ]
        found.sort(key=lambda e: (e.created_at, e.id))
        return found[:limit]

    # -- seen items ------------------------------------------------------------------------------

    def claim_seen(
        self, stream: str, item_ids: Iterable[str], *, owner: str, ttl: float
    ) -> list[str]:
        """See :meth:`Store.claim_seen`."""
        check_key("stream", stream)
        check_key("owner", owner)
        check_ttl(ttl)
        ids = seen_ids(item_ids)
        with self._lock:
            now = self._now()
            expires = lease_expiry(now, ttl)
            seen = self._seen.setdefault(stream, {})
            won: list[str] = []
            for item_id in ids:
                held = seen.get(item_id)
                if held is None:
                    seen[item_id] = _Seen(now, owner, expires)
                elif held.delivered_at is None and held.expires_at <= now:
                    seen[item_id] = attrs.evolve(held, owner=owner, expires_at=expires)
                else:
                    continue
                won.append(item_id)
            return won

    def confirm_seen(self, stream: str, item_ids: Iterable[str], *, owner: str) -> list[str]:
        """See :meth:`Store.confirm_seen`."""
        check_key("stream", stream)
        check_key("owner", owner)
        ids = seen_ids(item_ids)
        with self._lock:
            now = self._now()
            seen = self._seen.get(stream, {})
            done: list[str] = []
            for item_id in ids:
                held = seen.get(item_id)
                if held is not None and held.owner == owner and held.delivered_at is None:
                    seen[item_id] = attrs.evolve(held, delivered_at=now)
                    done.append(item_id)
            return done

    def expired_seen(self, stream: str, *, limit: int = 100) -> list[str]:
        """See :meth:`Store.expired_seen`."""
        check_key("stream", stream)
        limit = check_limit(limit)
        with self._lock:
            now = self._now()
            open_ = [
                (held.expires_at, id_order(item_id), item_id)
                for item_id, held in self._seen.get(stream, {}).items()
                if held.delivered_at is None and held.expires_at <= now
            ]
        return [item_id for *_, item_id in sorted(open_)[:limit]]

    def forget_seen(self, stream: str, *, before: dt.datetime) -> int:
        """See :meth:`Store.forget_seen`."""
        check_key("stream", stream)
        check_aware("before", before)
        with self._lock:
            self._now()
            seen = self._seen.get(stream, {})
            old = [i for i, held in seen.items() if held.seen_at < before]
            for item_id in old:
                del seen[item_id]
            return len(old)

    # -- leases -----------------------------------------------------------------------------------

    def claim_lease(self, key: str, owner: str, *, ttl: float) -> bool:
        """See :meth:`Store.claim_lease`."""
        check_key("key", key)
        check_key("owner", owner)
        check_ttl(ttl)
        with self._lock:
            now = self._now()
            held = self._leases.get(key)
            expires = lease_expiry(now, ttl)
            if held is not None and held.owner == owner:
                self._leases[key] = attrs.evolve(
                    held,
                    acquired_at=min(held.acquired_at, now),
                    expires_at=expires,
                    renewed_at=now,
                )
                return True
            if held is not None and held.expires_at > now and held.renewed_at <= expires:
                return False  # live, and not renewed in a future the clock went back from
            token = self._tokens.get(key, 0) + 1
            self._tokens[key] = token
            self._leases[key] = Lease(
                key=key,
                owner=owner,
                acquired_at=now,
                expires_at=expires,
                token=token,
                renewed_at=now,
            )
            return True

    def renew_lease(self, key: str, owner: str, *, ttl: float) -> Lease:
        """See :meth:`Store.renew_lease`."""
        check_text("key", key)
        check_key("owner", owner)
        check_ttl(ttl)
        with self._lock:
            now = self._now()
            held = self._leases.get(key)
            if held is None or held.owner != owner or held.expires_at <= now:
                raise LeaseError(lease_refused(key, owner, held, now))
            lease = attrs.evolve(
                held,
                acquired_at=min(held.acquired_at, now),
                expires_at=lease_expiry(now, ttl),
                renewed_at=now,
            )
            self._leases[key] = lease
            return lease

    def release_lease(self, key: str, owner: str) -> bool:
        """See :meth:`Store.release_lease`."""
        check_text("key", key)
        check_key("owner", owner)
        with self._lock:
            self._now()
            held = self._leases.get(key)
            if held is None or held.owner != owner:
                return False
            del self._leases[key]
            return True

    def get_lease(self, key: str) -> Lease | None:
        """See :meth:`Store.get_lease`."""
        check_text("key", key)
        with self._lock:
            now = self._now()
            held = self._leases.get(key)
            return held if held is not None and held.expires_at > now else None

    def list_leases(self, *, prefix: str = "") -> list[Lease]:
        """See :meth:`Store.list_leases`."""
        check_text("prefix", prefix)
        with self._lock:
            now = self._now()
            return [
                lease
                for key, lease in sorted(self._leases.items())
                if key.startswith(prefix) and lease.expires_at > now
            ]

    # -- OAuth 2.0 tokens -------------------------------------------------------------------------

    def get_token(self, key: str) -> TokenRecord | None:
        """See :meth:`TokenStore.get_token`."""
        check_key("key", key)
        with self._lock:
            self._now()
            return self._grants.get(key)

    def _store_token(self, record: TokenRecord, version: int) -> TokenRecord:
        stored = attrs.evolve(record, version=version, updated_at=self._now())
        self._grants[record.key] = stored
        return stored

    def put_token(self, record: TokenRecord) -> TokenRecord:
        """See :meth:`TokenStore.put_token`."""
        check_token_record(record)
        with self._lock:
            held = self._grants.get(record.key)
            return self._store_token(record, 1 if held is None else held.version + 1)

    def replace_token(self, record: TokenRecord, *, version: int) -> TokenRecord | None:
        """See :meth:`TokenStore.replace_token`."""
        check_token_record(record)
        with self._lock:
            self._now()
            held = self._grants.get(record.key)
            if held is None or held.version != version:
                return None
            return self._store_token(record, version + 1)

    def delete_token(self, key: str) -> bool:
        """See :meth:`TokenStore.delete_token`."""
        check_key("key", key)
        with self._lock:
            self._now()
            return self._grants.pop(key, None) is not None
