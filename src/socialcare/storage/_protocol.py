r"""The storage protocols: everything socialcare persists, one narrow protocol per concern.

A store is shared by every component of a care bot (monitor, threading, reply
composer, escalation flow, care desk) and, with :class:`SQLiteStore` or
:class:`~socialcare.storage.postgres.PostgresStore`, by several threads and worker
processes at once.

**The cut.** Each protocol below is one concern with its own table(s), its own
records and its own consistency rules, so a component asks only for what it uses
(the monitor needs posts, cursors and leases; an alert re-deliverer needs the
outbox) and a backend may implement just one concern (leases on Redis, say):

* :class:`PostStore`, :class:`UserStore`, :class:`DMStore`: platform objects, kept as
  X JSON, upserted idempotently by id;
* :class:`ConversationStore`, :class:`EscalationStore`: care records written whole,
  last writer wins;
* :class:`CursorStore`: monitor cursors, moved forward monotonically;
* :class:`OutboxStore`: outbound actions, reserved once per key and claimed exclusively;
* :class:`PauseSwitch`: one store-wide switch that stops every outbox sender;
* :class:`AuditLog`: append-only;
* :class:`LinkStore`: insert-if-absent short links with atomic click counts;
* :class:`LeaseStore`: exclusive, expiring leases with fencing tokens;
* :class:`TokenStore`: OAuth 2.0 grants, replaced by compare-and-swap on a version;
* :class:`StoreLifecycle`: schema management, ``close`` and ``with`` blocks.

:class:`Store` is their union; the three shipped backends implement all of it. Concerns
are not split further (a read-only ``PostReader``, say) because no method of a concern is
useful without the others of that concern, and they are not merged further because
each merge would force single-concern backends to implement tables they do not have.
``socialcare.testing`` ships one conformance suite per protocol (see
``docs/storage.md``, "Writing a backend").

**Contracts.** Each method below states what it promises under concurrency:

* *Atomic* means the method's whole effect becomes visible at once or not at all;
  a failure (raised as :class:`~socialcare.errors.StorageError`) leaves the store
  as it was before the call, and everything committed earlier stays intact.
* Methods that decide something between competing callers (lease claims, outbox
  reservation and claiming, cursor advance, click counting) make the decision in
  one atomic step inside the store (a conditional write), never by reading first
  and writing afterwards, so exactly one competitor wins.
* Reads see only committed data.

**Arguments.** Every backend gives the same answer or the same error for the same call.
Bad arguments raise ``ValueError`` naming the argument (offending values are clipped
in messages), before anything is written:

* a string holding a lone surrogate (``"\ud800"``), anywhere: in a key or name, a
  message, a payload or a record field (values built by ``from_x`` never hold one);
* a NUL character (``"\x00"``) in a string kept outside a JSON document (keys, ids,
  names, messages, record fields); inside JSON documents (post, user and DM data,
  outbox payloads, audit details) NUL is stored faithfully;
* a ``ttl`` that is not a finite number of seconds in ``(0, MAX_TTL]`` (ten years);
* ids of platform objects that are not decimal strings, as X sends them (posts,
  users and DM events must read back equal from their X JSON).

**Times.** Platform objects keep X's precision: their times are stored as X writes
them (milliseconds), so a post, user or DM event reads back exactly as X sent it
(finer times of directly built objects are cut to the millisecond on every backend).
Care records and the times the store records (``created_at``, lease expiry, ...)
keep microseconds on every backend; the latter come from the store's injectable
:class:`~socialcare.Clock`. Processes sharing a store must have reasonably
synchronised clocks; lease TTLs should be generous compared to the skew.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, runtime_checkable

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

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "AuditLog",
    "ConversationStore",
    "CursorStore",
    "DMStore",
    "EscalationStore",
    "LeaseStore",
    "LinkStore",
    "OutboxStore",
    "PauseSwitch",
    "PostStore",
    "SeenStore",
    "Store",
    "StoreLifecycle",
    "TokenStore",
    "UserStore",
]


@runtime_checkable
class StoreLifecycle(Protocol):
    """The lifecycle every store has: schema management, closing, ``with`` blocks.

    A backend that has no schema (an in-memory one) makes ``create_schema`` a no-op
    and reports the current version.
    """

    def create_schema(self) -> None:
        """Create the tables, or migrate an older schema forward to the current version.

        Idempotent: calling it on a current schema does nothing. Atomic: each
        migration step commits with its version record, so an interrupted run
        resumes where it stopped. Safe to run from several processes at once.

        Raises:
            SchemaVersionError: the stored schema is newer than this code.
        """
        ...

    def schema_version(self) -> int | None:
        """The stored schema's version, or ``None`` when there is no schema yet."""
        ...

    def close(self) -> None:
        """Release connections. Idempotent. The store is unusable afterwards."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


@runtime_checkable
class PostStore(Protocol):
    """Where posts are kept (the monitor's and the threader's memory of what was seen).

    Posts are stored as their X API v2 JSON and read back equal (``from_x``).
    """

    def upsert_posts(self, posts: Iterable[Post]) -> int:
        """Insert posts, replacing any stored post with the same id; return how many.

        Idempotent: upserting the same posts again leaves the store unchanged.
        Within one call a later post wins over an earlier one with the same id.
        Atomic: all posts of the call are stored, or none (on error).
        """
        ...

    def get_post(self, post_id: str) -> Post | None:
        """The stored post with this id, or ``None``."""
        ...

    def get_posts(self, post_ids: Iterable[str]) -> list[Post]:
        """The stored posts among ``post_ids``, in the order given (unknown ids skipped)."""
        ...

    def posts_in_conversation(self, conversation_id: str, *, limit: int = 1000) -> list[Post]:
        """Posts of an X conversation, oldest first (by ``created_at``, then id)."""
        ...

    def count_posts(self) -> int:
        """How many posts are stored."""
        ...


@runtime_checkable
class UserStore(Protocol):
    """Where user profiles are kept.

    Users are stored as their X API v2 JSON and read back equal (``from_x``).
    """

    def upsert_users(self, users: Iterable[User]) -> int:
        """Insert or replace users by id; return how many. Idempotent and atomic."""
        ...

    def get_user(self, user_id: str) -> User | None:
        """The stored user with this id, or ``None``."""
        ...

    def get_users(self, user_ids: Iterable[str]) -> list[User]:
        """The stored users among ``user_ids``, in the order given (unknown ids skipped)."""
        ...


@runtime_checkable
class DMStore(Protocol):
    """Where direct-message events are kept.

    Events are stored as their X API v2 JSON and read back equal (``from_x``).
    """

    def upsert_dms(self, messages: Iterable[DirectMessage]) -> int:
        """Insert or replace DM events by id; return how many. Idempotent and atomic."""
        ...

    def get_dm(self, event_id: str) -> DirectMessage | None:
        """The stored DM event with this id, or ``None``."""
        ...

    def dms_in_conversation(
        self, dm_conversation_id: str, *, limit: int = 1000
    ) -> list[DirectMessage]:
        """Events of a DM conversation, oldest first (by ``created_at``, then id)."""
        ...


@runtime_checkable
class ConversationStore(Protocol):
    """Customer conversations and the open-conversations queue.

    Whole-record writes, last writer wins; the queue is served from an index.
    """

    def put_conversation(self, conversation: Conversation) -> None:
        """Insert or replace a conversation by id.

        Atomic, last writer wins: two concurrent writers of the same conversation
        do not merge their changes. Serialise writers of one conversation with a
        lease (:meth:`LeaseStore.claim_lease`) when that matters, as the care desk does.
        """
        ...

    def get_conversation(self, conversation_id: str) -> Conversation | None:
        """The stored conversation with this id, or ``None``."""
        ...

    def find_conversations(
        self,
        *,
        customer_id: str | None = None,
        state: ConversationState | None = None,
        assignee: str | None = None,
        limit: int = 100,
    ) -> list[Conversation]:
        """Conversations matching every given filter, most recently active first."""
        ...

    def open_queue(self, *, limit: int = 50) -> list[Conversation]:
        """The open-conversations queue: the top ``limit`` open conversations.

        Ordered by priority (highest first), then by ``waiting_since`` (longest
        waiting first), then by id. Served from an index, so it stays fast with
        millions of stored posts and conversations.
        """
        ...


@runtime_checkable
class CursorStore(Protocol):
    """Monitor stream cursors, their health and their backlog windows.

    The monitor keeps one cursor per stream; ``since_id`` only moves forward.
    """

    def get_cursor(self, stream: str) -> StreamCursor | None:
        """The cursor and health of a monitor stream, or ``None`` if never recorded."""
        ...

    def list_cursors(self) -> list[StreamCursor]:
        """Every stream's cursor, by stream name."""
        ...

    def advance_cursor(self, stream: str, *, since_id: str | None = None) -> StreamCursor:
        """Record a successful poll of ``stream``, moving its ``since_id`` forward.

        Atomic and monotonic: ``since_id`` only ever grows (ids compare as numbers),
        so a slow worker that finishes late never moves a cursor back.
        ``since_id=None`` records the success without moving the cursor. Sets
        ``last_success_at`` to now; creates the stream's record when absent.
        """
        ...

    def record_stream_error(self, stream: str, message: str) -> StreamCursor:
        """Record a failed poll of ``stream`` (``last_error``, ``last_error_at``). Atomic."""
        ...

    def set_backlog(
        self, stream: str, *, since_id: str | None, until_id: str | None
    ) -> StreamCursor:
        """Record the stream's unfetched backlog window, or clear it.

        ``until_id`` is the exclusive upper end (the oldest post already fetched),
        ``since_id`` the exclusive lower end (``None``: as far back as the platform
        reaches). ``until_id=None`` clears the backlog (``since_id`` must then be
        ``None`` too). Creates the cursor when there is none; leaves ``since_id``
        and the health fields alone. Atomic: the two ids change together.

        Raises:
            ValueError: an id is not a decimal id, or ``since_id`` is given
                without ``until_id``, or ``since_id`` is not older than ``until_id``.
        """
        ...


@runtime_checkable
class OutboxStore(Protocol):
    """The outbox of outbound actions: reserve once per key, claim, mark sent or failed.

    One action per idempotency key, ever; claims are exclusive while they live.
    """

    def reserve_action(self, key: str, *, kind: str, payload: Mapping[str, object]) -> Reservation:
        """Reserve the outbound action with idempotency key ``key``.

        Atomic: of any number of concurrent reservations of one key exactly one
        creates the record (``created=True``, status ``"reserved"``); every other
        call, now or later, gets the existing record unchanged (``created=False``),
        whatever its status. A key is never reserved twice.
        """
        ...

    def get_action(self, key: str) -> OutboxRecord | None:
        """The outbox record with this key, or ``None``."""
        ...

    def claim_actions(
        self, owner: str, *, ttl: float, limit: int = 10, kind: str | None = None
    ) -> list[OutboxRecord]:
        """Claim up to ``limit`` reserved actions for ``owner`` to send, oldest first.

        With ``kind``, only actions of that kind are claimed (a reply sender and
        an alert re-deliverer share one outbox without taking each other's work).

        Takes actions that are ``"reserved"`` and not claimed, or whose claim has
        expired, and not deferred (``not_before`` unset or past); sets
        ``claimed_by=owner``, ``claim_expires_at=now+ttl`` and increments ``attempts``.
        Atomic and exclusive: concurrent callers never receive the same action
        while its claim is live (PostgreSQL uses ``FOR UPDATE SKIP LOCKED``, so
        they do not wait on each other either).

        A worker that dies after sending but before :meth:`OutboxStore.mark_sent` leaves the
        action to be claimed again when the claim expires: delivery is exactly
        once when workers finish, at least once when they crash mid-send, unless
        the sender records each attempt with :meth:`start_attempt` first and
        looks on the platform before sending an action that is ``in_doubt`` (as
        :class:`~socialcare.outbox.Sender` does).
        """
        ...

    def start_attempt(self, key: str, *, owner: str) -> OutboxRecord | None:
        """Record, before sending, that ``owner`` starts a send attempt of ``key`` now.

        One atomic conditional update: only while the action is ``"reserved"``,
        claimed by ``owner`` with a live claim, and the store is not paused (see
        :class:`PauseSwitch`), it sets ``in_doubt`` and, on the first attempt only,
        ``first_attempt_at`` to now, and returns the updated record. Otherwise it
        changes nothing and returns ``None``: do not send (the claim was lost, the
        action was settled, or every sender is paused). Once :meth:`PauseSwitch.pause_all`
        has returned, no call anywhere starts an attempt until :meth:`PauseSwitch.resume_all`.
        """
        ...

    def mark_sent(self, key: str, *, remote_id: str) -> OutboxRecord:
        """Record that the action was sent and the platform gave it ``remote_id``.

        Atomic conditional update from ``"reserved"``; clears the claim, ``in_doubt``
        and ``not_before``. Idempotent:
        marking an already sent action with the same ``remote_id`` returns it.

        Raises:
            StorageError: no such key, the action failed, or it was sent with a
                different remote id.
        """
        ...

    def mark_failed(
        self,
        key: str,
        *,
        reason: str,
        retry: bool = False,
        delay: float = 0.0,
        not_sent: bool = False,
    ) -> OutboxRecord:
        """Record a failed send of a reserved action.

        With ``retry=False`` the action becomes ``"failed"`` for good; with
        ``retry=True`` it stays ``"reserved"``, its claim is dropped so another
        claim can take it (after ``delay`` seconds: ``not_before`` becomes now +
        ``delay``, or is cleared when ``delay`` is 0), and ``error`` keeps ``reason``.
        ``not_sent=True`` says the failed attempt certainly did not reach the
        platform: ``in_doubt`` is cleared (otherwise it is left as it was, so a
        doubt is never lost). Atomic conditional update.

        Raises:
            StorageError: no such key, or the action is already sent.
            ValueError: ``delay`` is negative, not finite or over ``MAX_TTL``.
        """
        ...

    def list_actions(
        self, *, status: OutboxStatus | None = None, kind: str | None = None, limit: int = 100
    ) -> list[OutboxRecord]:
        """Outbox records, oldest first, optionally only those with ``status`` and ``kind``."""
        ...


@runtime_checkable
class PauseSwitch(Protocol):
    """The store-wide pause switch of every outbox sender, in every process.

    While the switch is on, :meth:`OutboxStore.start_attempt` refuses every attempt,
    so no sender sharing the store starts a send (a send already started finishes).
    Reservations and claims go on; nothing is lost, sending resumes where it stopped.
    """

    def pause_all(self) -> bool:
        """Turn the switch on; return whether this call did (``False``: already paused).

        Atomic and idempotent: once it has returned, no
        :meth:`OutboxStore.start_attempt` on this store (from any process) succeeds
        until :meth:`resume_all`.
        """
        ...

    def resume_all(self) -> bool:
        """Turn the switch off; return whether this call did (``False``: was not paused).

        Atomic and idempotent.
        """
        ...

    def paused(self) -> bool:
        """Whether the switch is on (a committed read)."""
        ...


@runtime_checkable
class AuditLog(Protocol):
    """The append-only audit log.

    Entries are never updated or deleted; ``seq`` grows in commit order.
    """

    def append_audit(
        self,
        action: str,
        *,
        actor: str,
        subject: str | None = None,
        detail: Mapping[str, object] | None = None,
    ) -> AuditEntry:
        """Append an entry to the audit log and return it (with its ``seq``).

        Append-only and atomic; ``seq`` is strictly increasing in commit order of
        appends on one store (entries are never updated or deleted by socialcare).
        """
        ...

    def audit_entries(
        self, *, subject: str | None = None, after_seq: int = 0, limit: int = 100
    ) -> list[AuditEntry]:
        """Audit entries with ``seq > after_seq`` (optionally about ``subject``), in order."""
        ...


@runtime_checkable
class LinkStore(Protocol):
    """Tracked short links and their click counts.

    Codes are inserted once; clicks are counted inside the store, people and bots
    (link-preview fetchers) apart.
    """

    def put_short_link(
        self,
        code: str,
        url: str,
        *,
        conversation_id: str | None = None,
        campaign: str | None = None,
    ) -> ShortLink:
        """Create the short link ``code -> url`` unless ``code`` is taken; return the stored link.

        Atomic insert-if-absent: if ``code`` already exists the existing link is
        returned unchanged, so compare its ``url`` to detect a collision. Of several
        concurrent writers of one code exactly one wins; all see the winner's link.
        """
        ...

    def get_short_link(self, code: str) -> ShortLink | None:
        """The short link with this code, or ``None``."""
        ...

    def record_click(self, code: str, *, bot: bool = False) -> ShortLink | None:
        """Count one click on ``code``; return the updated link, or ``None`` if unknown.

        A person's click adds one to ``clicks`` and sets ``last_clicked_at``; a bot's
        (``bot=True``: a link-preview fetcher) adds one to ``bot_clicks`` only. Atomic
        increment inside the store: concurrent clicks are never lost.
        """
        ...

    def follow_short_link(self, code: str, *, bot: bool = False) -> str | None:
        """Count one click on ``code`` exactly as :meth:`record_click`; return its target URL.

        The redirect's hot path: the same single atomic write, without building the
        :class:`~socialcare.models.ShortLink`. ``None`` (and nothing counted) if the
        code is unknown.
        """
        ...

    def find_short_links(
        self,
        *,
        conversation_id: str | None = None,
        campaign: str | None = None,
        limit: int = 100,
    ) -> list[ShortLink]:
        """Links matching every given filter, oldest first (then by code)."""
        ...


@runtime_checkable
class EscalationStore(Protocol):
    """Escalations of public conversations to direct messages.

    Whole-record writes, last writer wins.
    """

    def put_escalation(self, escalation: Escalation) -> None:
        """Insert or replace an escalation by id. Atomic, last writer wins."""
        ...

    def get_escalation(self, escalation_id: str) -> Escalation | None:
        """The escalation with this id, or ``None``."""
        ...

    def find_escalations(
        self,
        *,
        conversation_id: str | None = None,
        state: EscalationState | None = None,
        limit: int = 100,
    ) -> list[Escalation]:
        """Escalations matching every given filter, oldest first."""
        ...


@runtime_checkable
class LeaseStore(Protocol):
    """Expiring, exclusive leases with fencing tokens.

    Expiry follows the store's clock; the fencing ``token`` grows whenever the
    lease changes hands.

    A clock that goes back (a sandbox restarted at its start time) leaves no lease
    held for the future. Every lease records ``renewed_at``, when its owner last
    claimed or renewed it. For a claim with ``ttl``, another owner's lease whose
    ``renewed_at`` is later than now by more than ``ttl`` counts as expired, whatever
    its ``expires_at`` (it was renewed in a future the clock went back from: a dead
    worker that kept renewing up to a restart leaves nothing held). Within ``ttl`` it
    is still held, so skew between workers below the TTL never gives a lease to two
    owners. When the owner claims or renews a lease, ``renewed_at`` becomes now, and
    so does ``acquired_at`` if it is later than now. A released lease is free
    whatever the clock does.
    """

    def claim_lease(self, key: str, owner: str, *, ttl: float) -> bool:
        """Try to take the lease on ``key`` for ``ttl`` seconds; return whether ``owner`` holds it.

        Succeeds when the lease is free, expired or last renewed by another owner
        later than now + ``ttl`` (in a future the clock went back from; see the class)
        (taken over; the fencing ``token`` grows), or already held by ``owner`` (then
        it is extended and ``renewed_at`` is now).
        Atomic: of concurrent claimants exactly one wins; the clock is read under the
        same lock as the lease, so a paused claimant never mistakes a lease renewed
        meanwhile for one from the future.
        """
        ...

    def renew_lease(self, key: str, owner: str, *, ttl: float) -> Lease:
        """Extend ``owner``'s live lease on ``key`` to now + ``ttl``, renewed now. Atomic.

        Raises:
            LeaseError: ``owner`` does not hold the lease, or it has expired
                (claim it again instead).
        """
        ...

    def release_lease(self, key: str, owner: str) -> bool:
        """Give up ``owner``'s lease on ``key``; return whether there was one to release.

        Atomic; releasing a lease held by someone else does nothing.
        """
        ...

    def get_lease(self, key: str) -> Lease | None:
        """The unexpired, unreleased lease on ``key``, or ``None``.

        A lease from a future the clock went back from is reported (its
        ``renewed_at`` is later than now) until a claimant takes it over.
        """
        ...

    def list_leases(self, *, prefix: str = "") -> list[Lease]:
        """Live leases whose key starts with ``prefix``, by key."""
        ...


class SeenStore(Protocol):
    """Which items each monitor stream has delivered, whatever source brought them.

    A stream fed both in real time (webhooks, streams) and by polling delivers each
    post or DM event once: the first source to claim its id delivers it, the other
    finds it seen. A claim has an owner and an expiry, like the outbox's claims: the
    owner confirms it (:meth:`confirm_seen`) once the item's handlers ran, and a claim
    still unconfirmed when it expires (its worker died between the claim and the
    handlers) can be claimed again, by polling or by another worker. Delivery is
    exactly once when workers finish, at least once when one crashes mid-delivery.
    Records are kept per ``(stream, item id)`` with the time they were first made,
    and dropped with :meth:`forget_seen` once no source can bring the item again.
    """

    def claim_seen(
        self, stream: str, item_ids: Iterable[str], *, owner: str, ttl: float
    ) -> list[str]:
        """Claim ``item_ids`` on ``stream`` for ``owner`` until now + ``ttl``; return those won.

        An id is won when it was never claimed, or its claim is unconfirmed and has
        expired (whoever held it); it is then held by ``owner`` until now + ``ttl``.
        Ids delivered (confirmed) or held by a live claim are not returned. The
        result keeps the order of ``item_ids`` (a repeated id counts once). Atomic
        per id: of concurrent claimants of one ``(stream, id)``, on one store or on
        many handles of one database, exactly one gets it back.
        """
        ...

    def confirm_seen(self, stream: str, item_ids: Iterable[str], *, owner: str) -> list[str]:
        """Mark the ids ``owner`` holds on ``stream`` delivered; return those confirmed.

        A claim that expired is still confirmed while nobody claimed it again; an id
        held by another owner, confirmed already, or never claimed is left alone.
        Confirmed ids are never claimed again. Atomic.
        """
        ...

    def expired_seen(self, stream: str, *, limit: int = 100) -> list[str]:
        """Ids of ``stream`` claimed but never confirmed whose claim has expired.

        The items whose worker died mid-delivery, oldest expiry first, for a worker to
        claim again (:meth:`claim_seen`) and deliver.
        """
        ...

    def forget_seen(self, stream: str, *, before: dt.datetime) -> int:
        """Drop ``stream``'s records first made before ``before``; return how many. Atomic."""
        ...


@runtime_checkable
class TokenStore(Protocol):
    """OAuth 2.0 grants (:class:`~socialcare.models.TokenRecord`), one per key.

    Every write gives the record the next ``version`` (1 for a new key) and
    ``updated_at`` = now. A refresh spends the refresh token at X, so the new access
    *and* refresh tokens are written together by one :meth:`replace_token`: a worker
    that dies after it has them either wrote both or neither. Tokens are stored as
    given; wrap the store in :class:`~socialcare.storage.EncryptedTokens` to keep
    them encrypted at rest.
    """

    def get_token(self, key: str) -> TokenRecord | None:
        """The record stored under ``key``, or ``None``."""
        ...

    def put_token(self, record: TokenRecord) -> TokenRecord:
        """Store ``record`` whatever is there (a new authorisation); return it as stored.

        Atomic; the stored version is the previous one plus one.
        """
        ...

    def replace_token(self, record: TokenRecord, *, version: int) -> TokenRecord | None:
        """Store ``record`` if the stored one has ``version``; return it stored, else ``None``.

        Atomic compare-and-swap: of concurrent callers naming the same version exactly
        one wins; ``None`` when the key is absent or its version differs (someone
        else wrote first: read it again).
        """
        ...

    def delete_token(self, key: str) -> bool:
        """Forget the record under ``key``; return whether there was one. Atomic."""
        ...


@runtime_checkable
class Store(
    StoreLifecycle,
    PostStore,
    UserStore,
    DMStore,
    ConversationStore,
    CursorStore,
    OutboxStore,
    PauseSwitch,
    AuditLog,
    LinkStore,
    EscalationStore,
    LeaseStore,
    SeenStore,
    TokenStore,
    Protocol,
):
    """Where socialcare keeps its state: the union of every storage protocol.

    Implementations: :class:`MemoryStore`, :class:`SQLiteStore` and
    :class:`~socialcare.storage.postgres.PostgresStore`. Annotate a component with the
    narrowest protocol (or union of protocols) it uses, so single-concern backends fit.

    All methods are safe to call from several threads at once on one store object.
    Every failure of the underlying database surfaces as
    :class:`~socialcare.errors.StorageError` (with the driver's exception as
    ``__cause__``); bad arguments raise ``ValueError`` (see the module's rules).
    """
