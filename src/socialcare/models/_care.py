"""The records a store keeps besides platform objects: immutable ``attrs`` values.

Platform objects (:class:`~socialcare.models.Post`, :class:`~socialcare.models.User`,
:class:`~socialcare.models.DirectMessage`) are stored as they are; the records
here describe the care work around them: conversations, stream cursors, the
outbox of outbound actions, the audit log, short links, escalations and leases.

Every time is an aware ``datetime`` in UTC. Stores set the bookkeeping times
(``created_at``, ``updated_at``, lease expiry) from their injectable clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

import attrs

__all__ = [
    "AuditEntry",
    "Channel",
    "Conversation",
    "ConversationState",
    "Escalation",
    "EscalationState",
    "Lease",
    "OutboxRecord",
    "OutboxStatus",
    "Reservation",
    "ShortLink",
    "StreamCursor",
]

ConversationState = Literal["new", "awaiting_brand", "awaiting_customer", "escalated", "resolved"]
"""The one care state of a conversation: ``new`` (the customer wrote, nobody answered
yet), ``awaiting_brand`` (the customer wrote again and waits), ``awaiting_customer``
(the brand answered), ``escalated`` (moved to direct messages), ``resolved`` (done;
new inbound reopens it as ``awaiting_brand``). ``new`` and ``awaiting_brand`` form the
open queue. :func:`socialcare.threads.next_state` is the transition function.
Schema version 5 migrated the earlier ``open``/``pending``/``closed`` to
``awaiting_brand``/``awaiting_customer``/``resolved``."""

_WAITING_FOR_BRAND = frozenset({"new", "awaiting_brand"})  # the open queue's states

Channel = Literal["public", "dm"]
"""Where a conversation happens: public replies or direct messages."""

OutboxStatus = Literal["reserved", "sent", "failed"]
"""``reserved``: recorded, not yet confirmed sent; ``sent``: the platform accepted it
(``remote_id`` holds its id); ``failed``: given up (``error`` says why)."""

EscalationState = Literal["requested", "sent", "resolved", "failed"]
"""``requested``: the move to DM was decided; ``sent``: the DM went out;
``resolved``: the matter was settled; ``failed``: the DM could not be sent."""

_CONVERSATION_STATES = frozenset(
    {"new", "awaiting_brand", "awaiting_customer", "escalated", "resolved"}
)
_CHANNELS = frozenset({"public", "dm"})
_OUTBOX_STATUSES = frozenset({"reserved", "sent", "failed"})
_ESCALATION_STATES = frozenset({"requested", "sent", "resolved", "failed"})


def _aware(_instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, dt.datetime) and value.utcoffset() is None:
        msg = f"{attribute.name} must be timezone-aware (UTC), got a naive datetime"
        raise ValueError(msg)


def _one_of(allowed: frozenset[str]) -> Callable[[object, attrs.Attribute[Any], Any], None]:
    def check(_instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value not in allowed:
            msg = f"{attribute.name} must be one of {', '.join(sorted(allowed))}, got {value!r}"
            raise ValueError(msg)

    return check


def _non_empty(_instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not value:
        msg = f"{attribute.name} must be a non-empty string, got {value!r}"
        raise ValueError(msg)


_INT64 = 2**63


def _int64(_instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        msg = f"{attribute.name} must be an integer, got {type(value).__name__}"
        raise ValueError(msg)  # noqa: TRY004 - the validators of records raise ValueError
    if not -_INT64 <= value < _INT64:
        msg = (
            f"{attribute.name} must be in the 64-bit signed range, "
            f"got a {value.bit_length()}-bit integer"
        )
        raise ValueError(msg)


def _tags(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        msg = "tags must be a collection of strings, not a single string"
        raise TypeError(msg)
    return frozenset(value)


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.utcoffset() is None:
        return value
    return value.astimezone(dt.timezone.utc)


def _utc_required(value: dt.datetime) -> dt.datetime:
    if value.utcoffset() is None:
        return value
    return value.astimezone(dt.timezone.utc)


@attrs.frozen
class Conversation:
    """A customer conversation as the care desk tracks it.

    Attributes:
        id: the conversation id (X's ``conversation_id`` or a DM conversation id).
        channel: ``"public"`` or ``"dm"``.
        state: the care state (see :data:`ConversationState`): ``"new"``,
            ``"awaiting_brand"``, ``"awaiting_customer"``, ``"escalated"`` or ``"resolved"``.
        customer_id: the customer's user id.
        assignee: the agent (or bot) handling it.
        tags: free-form labels.
        priority: higher is more urgent; the open queue serves high priority first.
            An ``int`` in the 64-bit signed range (``-2**63 <= priority < 2**63``).
        first_inbound_at: when the customer first wrote.
        first_response_at: when the brand first answered.
        last_activity_at: the latest message either way.
        waiting_since: since when the customer waits for an answer; required while
            ``state`` is ``"new"`` or ``"awaiting_brand"`` (the open queue, which it
            orders: longest wait first).
    """

    id: str = attrs.field(validator=_non_empty)
    channel: Channel = attrs.field(default="public", validator=_one_of(_CHANNELS))
    state: ConversationState = attrs.field(
        default="new",
        validator=_one_of(_CONVERSATION_STATES),
    )
    customer_id: str | None = None
    assignee: str | None = None
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_tags)
    priority: int = attrs.field(default=0, validator=_int64)
    first_inbound_at: dt.datetime | None = attrs.field(
        default=None, converter=_utc, validator=_aware
    )
    first_response_at: dt.datetime | None = attrs.field(
        default=None, converter=_utc, validator=_aware
    )
    last_activity_at: dt.datetime | None = attrs.field(
        default=None, converter=_utc, validator=_aware
    )
    waiting_since: dt.datetime | None = attrs.field(default=None, converter=_utc, validator=_aware)

    def __attrs_post_init__(self) -> None:
        if self.state in _WAITING_FOR_BRAND and self.waiting_since is None:
            msg = (
                f"conversation {self.id!r} is {self.state} but has no waiting_since: "
                "set it to when the customer started waiting"
            )
            raise ValueError(msg)


@attrs.frozen
class StreamCursor:
    """Where a monitor stream stands: its cursor and its health.

    Attributes:
        stream: the stream's name.
        since_id: the newest post id seen; the next poll asks for newer ones.
        last_success_at: when a poll last succeeded.
        last_error: the last error's message (kept after later successes, see times).
        last_error_at: when that error happened.
        updated_at: when the record last changed.
        backlog_since_id: with ``backlog_until_id``, the stream's unfetched backlog:
            posts newer than this id (``None``: as far back as the platform reaches)
            and older than ``backlog_until_id`` were not fetched yet. A monitor
            whose poll found more new posts than its page budget delivers the
            newest ones, moves ``since_id`` past them, and walks this window on the
            next polls until it is empty, so nothing is skipped.
        backlog_until_id: the upper (exclusive) end of the backlog window; ``None``
            when the stream has no backlog.
    """

    stream: str
    since_id: str | None = None
    last_success_at: dt.datetime | None = attrs.field(
        default=None, converter=_utc, validator=_aware
    )
    last_error: str | None = None
    last_error_at: dt.datetime | None = attrs.field(default=None, converter=_utc, validator=_aware)
    updated_at: dt.datetime | None = attrs.field(default=None, converter=_utc, validator=_aware)
    backlog_since_id: str | None = None
    backlog_until_id: str | None = None

    @property
    def has_backlog(self) -> bool:
        """Whether posts between the backlog ids remain to be fetched."""
        return self.backlog_until_id is not None


@attrs.frozen
class OutboxRecord:
    """One outbound action (a reply, a DM, a like) keyed by its idempotency key.

    Attributes:
        key: the idempotency key; one action per key, ever.
        kind: what the action is, for example ``"reply"`` or ``"dm"``.
        payload: what to send (JSON-compatible).
        status: ``"reserved"``, ``"sent"`` or ``"failed"``.
        remote_id: the platform's id for the sent object.
        error: why the last attempt failed.
        attempts: how many times a worker claimed it.
        claimed_by: the worker currently sending it, if any.
        claim_expires_at: when that claim lapses.
        created_at: when it was reserved.
        updated_at: when it last changed.
        first_attempt_at: when the first send attempt started (recorded before it
            was sent; the start of the window in which to look for it on the platform).
        in_doubt: whether an attempt may have reached the platform without an answer
            (a lost answer, a 5xx or timeout after sending, a worker killed mid-send):
            the next sender looks for it on the platform before sending again.
        not_before: the action is not claimed before this time (a rate-limit reset,
            a back-off); ``None``: at once.
    """

    key: str
    kind: str
    payload: Mapping[str, object] = attrs.field(hash=False)
    status: OutboxStatus
    created_at: dt.datetime = attrs.field(converter=_utc_required, validator=_aware)
    updated_at: dt.datetime = attrs.field(converter=_utc_required, validator=_aware)
    remote_id: str | None = None
    error: str | None = None
    attempts: int = 0
    claimed_by: str | None = None
    claim_expires_at: dt.datetime | None = attrs.field(
        default=None, converter=_utc, validator=_aware
    )
    first_attempt_at: dt.datetime | None = attrs.field(
        default=None, converter=_utc, validator=_aware
    )
    in_doubt: bool = False
    not_before: dt.datetime | None = attrs.field(default=None, converter=_utc, validator=_aware)


@attrs.frozen
class Reservation:
    """The answer to :meth:`Store.reserve_action`.

    Attributes:
        record: the action stored under the key (new, or the one already there).
        created: whether this call created it; ``False`` means the key was taken
            and ``record`` is the earlier action, untouched.
    """

    record: OutboxRecord
    created: bool


@attrs.frozen
class AuditEntry:
    """One line of the append-only audit log.

    Attributes:
        seq: position in the log, strictly increasing.
        at: when it was appended.
        actor: who acted (an agent, a worker, ``"system"``).
        action: what happened, for example ``"reply.sent"``.
        subject: what it concerns (a conversation or post id), if anything.
        detail: more facts (JSON-compatible).
    """

    seq: int
    at: dt.datetime = attrs.field(converter=_utc_required, validator=_aware)
    actor: str
    action: str
    subject: str | None = None
    detail: Mapping[str, object] = attrs.field(factory=dict, hash=False)


@attrs.frozen
class ShortLink:
    """A tracked short link.

    Attributes:
        code: the short code (the path of the short URL).
        url: where it leads.
        clicks: how many times people followed it (bots and link previews not included).
        created_at: when it was created.
        conversation_id: the conversation it was sent in, if any.
        last_clicked_at: when a person last followed it.
        campaign: the campaign it belongs to, if any (attribution).
        bot_clicks: how many times bots and link-preview fetchers (X's card fetcher,
            Twitterbot) requested it, counted apart from ``clicks``.
    """

    code: str
    url: str
    created_at: dt.datetime = attrs.field(converter=_utc_required, validator=_aware)
    clicks: int = 0
    conversation_id: str | None = None
    last_clicked_at: dt.datetime | None = attrs.field(
        default=None, converter=_utc, validator=_aware
    )
    campaign: str | None = None
    bot_clicks: int = 0


@attrs.frozen
class Escalation:
    """A move of a public conversation to direct messages.

    Attributes:
        id: the escalation id (stable, for example derived from the conversation).
        conversation_id: the public conversation.
        user_id: the customer to message.
        reason: why it was escalated.
        state: ``"requested"``, ``"sent"``, ``"resolved"`` or ``"failed"``.
        post_id: the post that triggered it, if any.
        outbox_key: the outbox action that sends the DM, if any.
        created_at: when it was recorded.
        updated_at: when it last changed.
    """

    id: str = attrs.field(validator=_non_empty)
    conversation_id: str
    user_id: str
    reason: str
    created_at: dt.datetime = attrs.field(converter=_utc_required, validator=_aware)
    updated_at: dt.datetime = attrs.field(converter=_utc_required, validator=_aware)
    state: EscalationState = attrs.field(
        default="requested",
        validator=_one_of(_ESCALATION_STATES),
    )
    post_id: str | None = None
    outbox_key: str | None = None


@attrs.frozen
class Lease:
    """A time-limited claim on a key (a conversation, a monitor stream).

    Attributes:
        key: what is leased.
        owner: who holds it.
        acquired_at: when this owner took it (now, when the owner claims or renews it
            after the store's clock went back: see ``LeaseStore``).
        expires_at: when it lapses unless renewed; after that anyone may take it.
        token: a fencing token that grows every time the lease changes hands.
        renewed_at: when the owner last claimed or renewed it (default:
            ``acquired_at``); a lease renewed later than now by more than a
            claimant's ``ttl`` is from a future the clock went back from, and is
            taken over (see ``LeaseStore``).
    """

    key: str
    owner: str
    acquired_at: dt.datetime = attrs.field(converter=_utc_required, validator=_aware)
    expires_at: dt.datetime = attrs.field(converter=_utc_required, validator=_aware)
    token: int = 1
    renewed_at: dt.datetime = attrs.field(
        default=attrs.Factory(lambda lease: lease.acquired_at, takes_self=True),
        converter=_utc_required,
        validator=_aware,
    )
