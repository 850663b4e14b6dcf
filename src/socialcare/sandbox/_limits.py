"""Per-endpoint rate limits with X's real numbers, in fixed windows on the sandbox clock.

Limits are counted per endpoint and per principal: the app (bearer token) or
one user (user-context token), as X counts them. A window opens at the first
request and resets 15 minutes (or 24 hours) later; ``x-rate-limit-reset`` is
that moment in Unix seconds.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections.abc import Mapping

import attrs

from socialcare.platforms.x import ENDPOINTS

__all__ = ["LIMITS", "EndpointLimit", "Quota", "RateLimiter"]

_15_MIN = dt.timedelta(minutes=15)
_24_H = dt.timedelta(hours=24)


@attrs.frozen
class EndpointLimit:
    """Requests allowed per window for the app and for each user (``None``: not allowed)."""

    app: int | None
    user: int | None
    window: dt.timedelta = _15_MIN
    daily_user: int | None = None


LIMITS: Mapping[str, EndpointLimit] = {
    name: EndpointLimit(
        app=endpoint.app_limit,
        user=endpoint.user_limit,
        window=endpoint.window,
        daily_user=endpoint.daily_user_limit,
    )
    for name, endpoint in ENDPOINTS.items()
}
"""X's documented limits per endpoint name, from :data:`socialcare.platforms.x.ENDPOINTS`."""


@attrs.frozen
class Quota:
    """The state of one window after a request was counted (or refused)."""

    limit: int
    remaining: int
    reset_at: dt.datetime
    allowed: bool

    @property
    def reset_epoch(self) -> int:
        """``reset_at`` in whole Unix seconds, rounded up (X's ``x-rate-limit-reset``)."""
        return math.ceil(self.reset_at.timestamp())


@attrs.define
class _Window:
    opened_at: dt.datetime
    used: int = 0


class RateLimiter:
    """Counts requests per (endpoint, principal, window)."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self._windows: dict[tuple[str, str, dt.timedelta], _Window] = {}
        self._lock = threading.Lock()

    def take(self, endpoint: str, principal: str, *, is_user: bool, now: dt.datetime) -> Quota:
        """Count one request; ``allowed`` is false when a window is exhausted."""
        spec = LIMITS.get(endpoint)
        per_window = None if spec is None else (spec.user if is_user else spec.app)
        if spec is None or per_window is None:
            return Quota(limit=0, remaining=0, reset_at=now, allowed=True)
        checks = [(per_window, spec.window)]
        if is_user and spec.daily_user is not None:
            checks.append((spec.daily_user, _24_H))
        with self._lock:
            states = [self._window(endpoint, principal, w, now) for _, w in checks]
            blocked = [
                i
                for i, ((limit, _), state) in enumerate(zip(checks, states, strict=True))
                if state.used >= limit
            ]
            allowed = not self.enabled or not blocked
            if allowed:
                for state in states:
                    state.used += 1
            # Report the window that refused the request, else the main (15-minute) one.
            shown = blocked[-1] if blocked and self.enabled else 0
            limit, length = checks[shown]
            return Quota(
                limit=limit,
                remaining=max(0, limit - states[shown].used),
                reset_at=states[shown].opened_at + length,
                allowed=allowed,
            )

    def _window(
        self, endpoint: str, principal: str, length: dt.timedelta, now: dt.datetime
    ) -> _Window:
        key = (endpoint, principal, length)
        state = self._windows.get(key)
        if state is None or now >= state.opened_at + length:
            # Windows open on whole seconds, so the advertised reset is exact.
            opened = now.replace(microsecond=0)
            state = self._windows[key] = _Window(opened_at=opened)
        return state

    def exhaust(self, endpoint: str, principal: str, *, now: dt.datetime) -> None:
        """Use up the 15-minute window of ``endpoint`` for ``principal`` (for tests)."""
        spec = LIMITS[endpoint]
        with self._lock:
            state = self._window(endpoint, principal, spec.window, now)
            state.used = max(spec.app or 0, spec.user or 0)
