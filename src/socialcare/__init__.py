"""socialcare: typed building blocks for social customer care on X.

Listen to every mention of a brand, thread each customer's conversation, reply
fast and short, move sensitive matters to DM, and guard the brand's own account.
The main names of every feature package are importable from this package::

    import socialcare

    post = socialcare.Post.from_x({"id": "1", "text": "@acme my order is late"})

Names are loaded lazily: ``import socialcare`` imports the errors, the clock and
the version only; ``socialcare.XPlatform`` imports tweepy the first time it is
used, ``socialcare.Sandbox`` the sandbox, and so on. Each name's ``__module__``
is its public package (``socialcare.query.Query``, ``socialcare.models.Post``).
"""

import importlib as _importlib
import typing as _typing

from socialcare._clock import (
    Clock,
    ManualClock,
    SystemClock,
)
from socialcare._version import (
    __version__,
)
from socialcare.errors import (
    AlertError,
    AuthenticationError,
    ComposeError,
    ConfigurationError,
    DirectMessageNotPermittedError,
    DuplicateContentError,
    InvalidRequestError,
    LeaseError,
    LinkError,
    NotFoundError,
    PayloadError,
    PlatformError,
    PlatformUnavailableError,
    PrivateDataError,
    QueryError,
    RateLimitError,
    ReplyNotPermittedError,
    ReplyTooLongError,
    SchemaVersionError,
    ShortCodeTakenError,
    ShortenerError,
    SocialCareError,
    StorageError,
    TemplateError,
)

if _typing.TYPE_CHECKING:
    from socialcare.alerts import (
        Alert,
        AlertSink,
        AtomFeedSink,
        CallbackSink,
        DigestSchedule,
        EmailDigestSink,
        MemoryReplayGuard,
        ReplayGuard,
        WebhookSink,
        sign_webhook,
        verify_webhook_signature,
    )
    from socialcare.compose import (
        Budget,
        BudgetPolicy,
        Draft,
        PriceTable,
        ReplyPermission,
        Template,
        can_reply,
        compose_dm,
        compose_reply,
    )
    from socialcare.conversations import (
        StoreThreader,
        backfill,
    )
    from socialcare.escalation import (
        EscalationDecision,
        EscalationPolicy,
        SentimentScorer,
    )
    from socialcare.links import (
        LinkTracker,
        Shortener,
        redirect_app,
    )
    from socialcare.models import (
        AuditEntry,
        Conversation,
        ConversationState,
        DirectMessage,
        Entities,
        Escalation,
        Includes,
        Lease,
        MentionEntity,
        OutboxRecord,
        Page,
        Post,
        Problem,
        ReferencedPost,
        ReferenceType,
        ReplySettings,
        Reservation,
        ShortLink,
        StreamCursor,
        TagEntity,
        UrlEntity,
        User,
        Withheld,
    )
    from socialcare.monitor import (
        CycleReport,
        Monitor,
        MonitorHealth,
        Stream,
        StreamHealth,
        StreamKind,
    )
    from socialcare.platforms import (
        Platform,
        QueryLike,
        RateLimit,
        SupportsRender,
        iter_items,
        iter_pages,
    )
    from socialcare.platforms.x import (
        XPlatform,
    )
    from socialcare.privacy import (
        Finding,
        PrivateDataGuard,
    )
    from socialcare.query import (
        PostView,
        Query,
        QuerySet,
        pack_terms,
    )
    from socialcare.sandbox import (
        Sandbox,
    )
    from socialcare.storage import (
        MemoryStore,
        SQLiteStore,
        Store,
        open_store,
    )
    from socialcare.text import (
        AutolinkOptions,
        TextConfig,
        TweetParse,
        autolink,
        extract_entities,
        parse_tweet,
    )
    from socialcare.threads import (
        BusinessHours,
        Placeholder,
        Thread,
        Threader,
        Timings,
    )

__all__ = [
    "Alert",
    "AlertError",
    "AlertSink",
    "AtomFeedSink",
    "AuditEntry",
    "AuthenticationError",
    "AutolinkOptions",
    "Budget",
    "BudgetPolicy",
    "BusinessHours",
    "CallbackSink",
    "Clock",
    "ComposeError",
    "ConfigurationError",
    "Conversation",
    "ConversationState",
    "CycleReport",
    "DigestSchedule",
    "DirectMessage",
    "DirectMessageNotPermittedError",
    "Draft",
    "DuplicateContentError",
    "EmailDigestSink",
    "Entities",
    "Escalation",
    "EscalationDecision",
    "EscalationPolicy",
    "Finding",
    "Includes",
    "InvalidRequestError",
    "Lease",
    "LeaseError",
    "LinkError",
    "LinkTracker",
    "ManualClock",
    "MemoryReplayGuard",
    "MemoryStore",
    "MentionEntity",
    "Monitor",
    "MonitorHealth",
    "NotFoundError",
    "OutboxRecord",
    "Page",
    "PayloadError",
    "Placeholder",
    "Platform",
    "PlatformError",
    "PlatformUnavailableError",
    "Post",
    "PostView",
    "PriceTable",
    "PrivateDataError",
    "PrivateDataGuard",
    "Problem",
    "Query",
    "QueryError",
    "QueryLike",
    "QuerySet",
    "RateLimit",
    "RateLimitError",
    "ReferenceType",
    "ReferencedPost",
    "ReplayGuard",
    "ReplyNotPermittedError",
    "ReplyPermission",
    "ReplySettings",
    "ReplyTooLongError",
    "Reservation",
    "SQLiteStore",
    "Sandbox",
    "SchemaVersionError",
    "SentimentScorer",
    "ShortCodeTakenError",
    "ShortLink",
    "Shortener",
    "ShortenerError",
    "SocialCareError",
    "StorageError",
    "Store",
    "StoreThreader",
    "Stream",
    "StreamCursor",
    "StreamHealth",
    "StreamKind",
    "SupportsRender",
    "SystemClock",
    "TagEntity",
    "Template",
    "TemplateError",
    "TextConfig",
    "Thread",
    "Threader",
    "Timings",
    "TweetParse",
    "UrlEntity",
    "User",
    "WebhookSink",
    "Withheld",
    "XPlatform",
    "__version__",
    "autolink",
    "backfill",
    "can_reply",
    "compose_dm",
    "compose_reply",
    "extract_entities",
    "iter_items",
    "iter_pages",
    "open_store",
    "pack_terms",
    "parse_tweet",
    "redirect_app",
    "sign_webhook",
    "verify_webhook_signature",
]

_LAZY: dict[str, str] = {
    "Alert": "socialcare.alerts",
    "AlertSink": "socialcare.alerts",
    "AtomFeedSink": "socialcare.alerts",
    "CallbackSink": "socialcare.alerts",
    "DigestSchedule": "socialcare.alerts",
    "EmailDigestSink": "socialcare.alerts",
    "MemoryReplayGuard": "socialcare.alerts",
    "ReplayGuard": "socialcare.alerts",
    "WebhookSink": "socialcare.alerts",
    "sign_webhook": "socialcare.alerts",
    "verify_webhook_signature": "socialcare.alerts",
    "Budget": "socialcare.compose",
    "BudgetPolicy": "socialcare.compose",
    "Draft": "socialcare.compose",
    "PriceTable": "socialcare.compose",
    "ReplyPermission": "socialcare.compose",
    "Template": "socialcare.compose",
    "can_reply": "socialcare.compose",
    "compose_dm": "socialcare.compose",
    "compose_reply": "socialcare.compose",
    "EscalationDecision": "socialcare.escalation",
    "EscalationPolicy": "socialcare.escalation",
    "SentimentScorer": "socialcare.escalation",
    "LinkTracker": "socialcare.links",
    "Shortener": "socialcare.links",
    "redirect_app": "socialcare.links",
    "CycleReport": "socialcare.monitor",
    "Monitor": "socialcare.monitor",
    "MonitorHealth": "socialcare.monitor",
    "Stream": "socialcare.monitor",
    "StreamHealth": "socialcare.monitor",
    "StreamKind": "socialcare.monitor",
    "Finding": "socialcare.privacy",
    "PrivateDataGuard": "socialcare.privacy",
    "PostView": "socialcare.query",
    "Query": "socialcare.query",
    "QuerySet": "socialcare.query",
    "pack_terms": "socialcare.query",
    "AuditEntry": "socialcare.models",
    "Conversation": "socialcare.models",
    "ConversationState": "socialcare.models",
    "DirectMessage": "socialcare.models",
    "Entities": "socialcare.models",
    "Escalation": "socialcare.models",
    "Includes": "socialcare.models",
    "Lease": "socialcare.models",
    "MentionEntity": "socialcare.models",
    "OutboxRecord": "socialcare.models",
    "Page": "socialcare.models",
    "Post": "socialcare.models",
    "Problem": "socialcare.models",
    "ReferenceType": "socialcare.models",
    "ReferencedPost": "socialcare.models",
    "ReplySettings": "socialcare.models",
    "Reservation": "socialcare.models",
    "ShortLink": "socialcare.models",
    "StreamCursor": "socialcare.models",
    "TagEntity": "socialcare.models",
    "UrlEntity": "socialcare.models",
    "User": "socialcare.models",
    "Withheld": "socialcare.models",
    "Platform": "socialcare.platforms",
    "QueryLike": "socialcare.platforms",
    "RateLimit": "socialcare.platforms",
    "SupportsRender": "socialcare.platforms",
    "iter_items": "socialcare.platforms",
    "iter_pages": "socialcare.platforms",
    "XPlatform": "socialcare.platforms.x",
    "Sandbox": "socialcare.sandbox",
    "MemoryStore": "socialcare.storage",
    "SQLiteStore": "socialcare.storage",
    "Store": "socialcare.storage",
    "open_store": "socialcare.storage",
    "AutolinkOptions": "socialcare.text",
    "TextConfig": "socialcare.text",
    "TweetParse": "socialcare.text",
    "autolink": "socialcare.text",
    "extract_entities": "socialcare.text",
    "parse_tweet": "socialcare.text",
    "BusinessHours": "socialcare.threads",
    "Placeholder": "socialcare.threads",
    "Thread": "socialcare.threads",
    "Threader": "socialcare.threads",
    "Timings": "socialcare.threads",
    "StoreThreader": "socialcare.conversations",
    "backfill": "socialcare.conversations",
}
"""Where each lazily loaded name lives: its public package."""


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'socialcare' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
