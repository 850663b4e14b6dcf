"""X (Twitter) API v2: :class:`XPlatform`, the :class:`~socialcare.platforms.Platform` for X.

Also the one table of the X API v2 routes socialcare uses: each
:class:`Endpoint` (``MENTIONS``, ``SEARCH_RECENT``... all in :data:`ENDPOINTS`)
names its route, the parameters and fields, the rate limits per window for app
and user authentication, and the pay-per-use :class:`Price` X bills for it.

Importing this package does not import tweepy or requests; the first
``XPlatform`` built does.
"""

from __future__ import annotations

from socialcare._exports import publish
from socialcare.platforms.x._client import ENV_VARS, XPlatform
from socialcare.platforms.x._endpoints import (
    ACTIVITY_STREAM,
    CREATE_POST,
    CREATE_SUBSCRIPTION,
    CREATE_WEBHOOK,
    DELETE_POST,
    DELETE_SUBSCRIPTION,
    DELETE_WEBHOOK,
    DM_CONVERSATION_EVENTS,
    DM_EVENTS,
    ENDPOINTS,
    FILTERED_STREAM,
    GET_POST,
    GET_POSTS,
    GET_USERS,
    HIDE_REPLY,
    LIST_SUBSCRIPTIONS,
    LIST_WEBHOOKS,
    ME,
    MENTIONS,
    OAUTH2_AUTHORIZE,
    OAUTH2_ENDPOINTS,
    OAUTH2_REVOKE,
    OAUTH2_TOKEN,
    PRICES,
    REPLAY_WEBHOOK,
    SEARCH_ALL,
    SEARCH_RECENT,
    SEND_DM,
    STREAM_RULES,
    UPDATE_STREAM_RULES,
    UPDATE_SUBSCRIPTION,
    USER_BY_USERNAME,
    USER_POSTS,
    VALIDATE_WEBHOOK,
    Endpoint,
    Price,
)
from socialcare.platforms.x._oauth2 import (
    AUTHORIZE_URL,
    CARE_SCOPES,
    AuthorizationRequest,
    OAuth2Client,
    OAuth2Token,
    authorize_in_notebook,
)
from socialcare.platforms.x._rules import (
    MAX_RULE_LENGTH,
    MAX_RULES,
    RulePlan,
    StreamRule,
    desired_rules,
    plan_rules,
)
from socialcare.platforms.x._stream import (
    MatchingRule,
    ReconnectPolicy,
    StreamConnection,
    StreamedPost,
    StreamStats,
)
from socialcare.platforms.x._tokens import RefreshLeases, StoredTokens, TokenProvider, TokenRecords
from socialcare.platforms.x._usage import Usage

__all__ = [
    "ACTIVITY_STREAM",
    "AUTHORIZE_URL",
    "CARE_SCOPES",
    "CREATE_POST",
    "CREATE_SUBSCRIPTION",
    "CREATE_WEBHOOK",
    "DELETE_POST",
    "DELETE_SUBSCRIPTION",
    "DELETE_WEBHOOK",
    "DM_CONVERSATION_EVENTS",
    "DM_EVENTS",
    "ENDPOINTS",
    "ENV_VARS",
    "FILTERED_STREAM",
    "GET_POST",
    "GET_POSTS",
    "GET_USERS",
    "HIDE_REPLY",
    "LIST_SUBSCRIPTIONS",
    "LIST_WEBHOOKS",
    "MAX_RULES",
    "MAX_RULE_LENGTH",
    "ME",
    "MENTIONS",
    "OAUTH2_AUTHORIZE",
    "OAUTH2_ENDPOINTS",
    "OAUTH2_REVOKE",
    "OAUTH2_TOKEN",
    "PRICES",
    "REPLAY_WEBHOOK",
    "SEARCH_ALL",
    "SEARCH_RECENT",
    "SEND_DM",
    "STREAM_RULES",
    "UPDATE_STREAM_RULES",
    "UPDATE_SUBSCRIPTION",
    "USER_BY_USERNAME",
    "USER_POSTS",
    "VALIDATE_WEBHOOK",
    "AuthorizationRequest",
    "Endpoint",
    "MatchingRule",
    "OAuth2Client",
    "OAuth2Token",
    "Price",
    "ReconnectPolicy",
    "RefreshLeases",
    "RulePlan",
    "StoredTokens",
    "StreamConnection",
    "StreamRule",
    "StreamStats",
    "StreamedPost",
    "TokenProvider",
    "TokenRecords",
    "Usage",
    "XPlatform",
    "authorize_in_notebook",
    "desired_rules",
    "plan_rules",
]

publish(__name__, globals(), __all__)
