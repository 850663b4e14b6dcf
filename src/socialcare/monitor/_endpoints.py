"""The X endpoints the monitor polls, read from the platform's one endpoint table.

Stream kinds name their endpoint through :data:`ENDPOINTS`; the rate budget
falls back to :data:`DEFAULT_LIMITS` before the platform reported a limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from socialcare.platforms.x import DM_EVENTS, MENTIONS, PRICES, SEARCH_RECENT

__all__ = ["DEFAULT_LIMITS", "ENDPOINTS", "READ_PRICES", "USER_READ_PRICE"]

ENDPOINTS: Mapping[str, str] = {
    "search": SEARCH_RECENT.name,
    "mentions": MENTIONS.name,
    "dms": DM_EVENTS.name,
    "webhook": MENTIONS.name,  # the safety net of webhook post events
    "webhook_dms": DM_EVENTS.name,  # the safety net of webhook DM events
}
"""Stream kind -> the endpoint it polls (``"GET /2/tweets/search/recent"``, ...)."""

DEFAULT_LIMITS: Mapping[str, int] = {
    endpoint.name: endpoint.lowest_limit for endpoint in (SEARCH_RECENT, MENTIONS, DM_EVENTS)
}
"""Requests per 15-minute window before the platform reported a limit: the lower of
the app and the per-user limit (300 for search and mentions, 15 for DM events)."""

READ_PRICES: Mapping[str, Decimal] = {
    endpoint.name: endpoint.reads.usd
    for endpoint in (SEARCH_RECENT, MENTIONS, DM_EVENTS)
    if endpoint.reads is not None
}
"""What X bills per item each polled endpoint returns (USD, pay-per-use)."""

USER_READ_PRICE: Decimal = PRICES["user_read"].usd
"""What X bills per user an expansion pulls in (once per user per 24 h UTC window)."""
