"""The X endpoints the monitor polls, in one place (one small mapping).

Stream kinds name their endpoint through :data:`ENDPOINTS`; the rate budget
falls back to :data:`DEFAULT_LIMITS` before the platform reported a limit.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["DEFAULT_LIMITS", "ENDPOINTS"]

ENDPOINTS: Mapping[str, str] = {
    "search": "GET /2/tweets/search/recent",
    "mentions": "GET /2/users/:id/mentions",
    "dms": "GET /2/dm_events",
}
"""Stream kind -> the endpoint it polls."""

# Requests per 15-minute window when the platform has not told us yet. Search and
# mentions use the per-user numbers (the lower of app and user), DM reads 15.
DEFAULT_LIMITS: Mapping[str, int] = {
    ENDPOINTS["search"]: 300,
    ENDPOINTS["mentions"]: 300,
    ENDPOINTS["dms"]: 15,
}
