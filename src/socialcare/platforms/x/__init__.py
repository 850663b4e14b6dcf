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
    CREATE_POST,
    DELETE_POST,
    DM_CONVERSATION_EVENTS,
    DM_EVENTS,
    ENDPOINTS,
    GET_POST,
    GET_POSTS,
    GET_USERS,
    HIDE_REPLY,
    ME,
    MENTIONS,
    PRICES,
    SEARCH_ALL,
    SEARCH_RECENT,
    SEND_DM,
    USER_BY_USERNAME,
    USER_POSTS,
    Endpoint,
    Price,
)

__all__ = [
    "CREATE_POST",
    "DELETE_POST",
    "DM_CONVERSATION_EVENTS",
    "DM_EVENTS",
    "ENDPOINTS",
    "ENV_VARS",
    "GET_POST",
    "GET_POSTS",
    "GET_USERS",
    "HIDE_REPLY",
    "ME",
    "MENTIONS",
    "PRICES",
    "SEARCH_ALL",
    "SEARCH_RECENT",
    "SEND_DM",
    "USER_BY_USERNAME",
    "USER_POSTS",
    "Endpoint",
    "Price",
    "XPlatform",
]

publish(__name__, globals(), __all__)
