"""The X endpoints the monitor polls, read from the platform's one endpoint table.

Stream kinds name their endpoint through :data:`ENDPOINTS`; the rate budget
falls back to :data:`DEFAULT_LIMITS` before the platform reported a limit.
"""

from __future__ import annotations

from collections.abc import Mapping

from socialcare.platforms.x import DM_EVENTS, MENTIONS, SEARCH_RECENT

__all__ = ["DEFAULT_LIMITS", "ENDPOINTS"]

ENDPOINTS: Mapping[str, str] = {
    "search": SEARCH_RECENT.name,
    "mentions": MENTIONS.name,
    "dms": DM_EVENTS.name,
}
"""Stream kind -> the endpoint it polls (``"GET /2/tweets/search/recent"``, ...)."""

DEFAULT_LIMITS: Mapping[str, int] = {
    endpoint.name: endpoint.lowest_limit for endpoint in (SEARCH_RECENT, MENTIONS, DM_EVENTS)
}
"""Requests per 15-minute window before the platform reported a limit: the lower of
the app and the per-user limit (300 for search and mentions, 15 for DM events)."""
