"""The values socialcare works with: X objects and care records.

X objects (:class:`Post`, :class:`User`, :class:`DirectMessage`, :class:`Page`
and their parts) are built from X API v2 JSON with ``from_x`` and turned back
with ``to_x``. Care records (:class:`Conversation`, :class:`Escalation`,
:class:`OutboxRecord`, :class:`ShortLink`, :class:`Lease`, :class:`StreamCursor`,
:class:`AuditEntry`, ...) describe the care work around them and are what stores
keep. X Activity API objects (:class:`WebhookConfig`, :class:`ActivitySubscription`,
:class:`ActivityFilter`, :class:`ReplayJob`) describe real-time delivery. All are
immutable ``attrs`` values.
"""

from __future__ import annotations

from socialcare._exports import publish
from socialcare.models._activity import (
    ActivityFilter,
    ActivitySubscription,
    ReplayJob,
    WebhookConfig,
)
from socialcare.models._care import (
    AuditEntry,
    Channel,
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
from socialcare.models._records import Record, RecordValue, to_dataframe, to_records
from socialcare.models._tokens import TokenRecord
from socialcare.models._x import (
    DirectMessage,
    Entities,
    Includes,
    MentionEntity,
    Page,
    Post,
    Problem,
    ReferencedPost,
    ReferenceType,
    ReplySettings,
    TagEntity,
    UrlEntity,
    User,
    Withheld,
)

__all__ = [
    "ActivityFilter",
    "ActivitySubscription",
    "AuditEntry",
    "Channel",
    "Conversation",
    "ConversationState",
    "DirectMessage",
    "Entities",
    "Escalation",
    "EscalationState",
    "Includes",
    "Lease",
    "MentionEntity",
    "OutboxRecord",
    "OutboxStatus",
    "Page",
    "Post",
    "Problem",
    "Record",
    "RecordValue",
    "ReferenceType",
    "ReferencedPost",
    "ReplayJob",
    "ReplySettings",
    "Reservation",
    "ShortLink",
    "StreamCursor",
    "TagEntity",
    "TokenRecord",
    "UrlEntity",
    "User",
    "WebhookConfig",
    "Withheld",
    "to_dataframe",
    "to_records",
]

publish(__name__, globals(), __all__)
