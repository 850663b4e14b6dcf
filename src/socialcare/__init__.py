"""socialcare: typed building blocks for social customer care on X.

Listen to every mention of a brand, thread each customer's conversation, reply
fast and short, move sensitive matters to DM, and guard the brand's own account.
Everything public is importable from this package::

    import socialcare

    post = socialcare.Post.from_x({"id": "1", "text": "@acme my order is late"})
"""

from socialcare._alerts import (
    Alert,
    AlertSink,
    AtomFeedSink,
    CallbackSink,
    DigestSchedule,
    EmailDigestSink,
    WebhookSink,
    sign_webhook,
    verify_webhook_signature,
)
from socialcare._clock import Clock, ManualClock, SystemClock
from socialcare._version import __version__
from socialcare.errors import (
    AlertError,
    AuthenticationError,
    ComposeError,
    ConfigurationError,
    DirectMessageNotPermittedError,
    DuplicateContentError,
    InvalidRequestError,
    LeaseError,
    NotFoundError,
    PayloadError,
    PlatformError,
    PlatformUnavailableError,
    QueryError,
    RateLimitError,
    ReplyNotPermittedError,
    ReplyTooLongError,
    SchemaVersionError,
    SocialCareError,
    StorageError,
)
from socialcare.models import (
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
    "Alert",
    "AlertError",
    "AlertSink",
    "AtomFeedSink",
    "AuthenticationError",
    "CallbackSink",
    "Clock",
    "ComposeError",
    "ConfigurationError",
    "DigestSchedule",
    "DirectMessage",
    "DirectMessageNotPermittedError",
    "DuplicateContentError",
    "EmailDigestSink",
    "Entities",
    "Includes",
    "InvalidRequestError",
    "LeaseError",
    "ManualClock",
    "MentionEntity",
    "NotFoundError",
    "Page",
    "PayloadError",
    "PlatformError",
    "PlatformUnavailableError",
    "Post",
    "Problem",
    "QueryError",
    "RateLimitError",
    "ReferenceType",
    "ReferencedPost",
    "ReplyNotPermittedError",
    "ReplySettings",
    "ReplyTooLongError",
    "SchemaVersionError",
    "SocialCareError",
    "StorageError",
    "SystemClock",
    "TagEntity",
    "UrlEntity",
    "User",
    "WebhookSink",
    "Withheld",
    "__version__",
    "sign_webhook",
    "verify_webhook_signature",
]
