"""Rate budgets: a token bucket per endpoint, refilled evenly over X's 15-minute window."""

from __future__ import annotations

import datetime as dt
import math

import attrs

from socialcare._clock import Clock
from socialcare.monitor._endpoints import DEFAULT_LIMITS
from socialcare.platforms import RateLimit

__all__ = ["RATE_WINDOW", "Budget"]

RATE_WINDOW = 15 * 60.0
"""X's rate-limit window, in seconds."""


@attrs.define
class _Bucket:
    """A token bucket for one endpoint, refilled evenly over the rate window."""

    capacity: float
    tokens: float
    updated: dt.datetime

    def refill(self, now: dt.datetime) -> None:
        elapsed = max(0.0, (now - self.updated).total_seconds())
        self.tokens = min(self.capacity, self.tokens + elapsed * self.capacity / RATE_WINDOW)
        self.updated = now


class Budget:
    """Rate-limit budgets for every endpoint a monitor polls.

    Each bucket holds ``share`` of the limit the platform last reported for the
    endpoint (or of :data:`DEFAULT_LIMITS` before the first response).
    """

    def __init__(self, clock: Clock, share: float) -> None:
        self._clock = clock
        self._share = share
        self._buckets: dict[str, _Bucket] = {}

    def _bucket(self, endpoint: str, observed: RateLimit | None) -> _Bucket:
        limit = observed.limit if observed is not None else DEFAULT_LIMITS.get(endpoint, 15)
        capacity = max(1.0, math.floor(limit * self._share))
        bucket = self._buckets.get(endpoint)
        now = self._clock.now()
        if bucket is None:
            bucket = self._buckets[endpoint] = _Bucket(capacity, capacity, now)
        elif bucket.capacity != capacity:
            bucket.tokens = min(bucket.tokens, capacity)
            bucket.capacity = capacity
        bucket.refill(now)
        return bucket

    def capacity(self, endpoint: str, observed: RateLimit | None) -> float:
        """Requests per window this monitor allows itself on ``endpoint``."""
        return self._bucket(endpoint, observed).capacity

    def available(self, endpoint: str, observed: RateLimit | None) -> bool:
        """Whether a request to ``endpoint`` fits the budget now."""
        bucket = self._bucket(endpoint, observed)
        if bucket.tokens < 1:
            return False
        now = self._clock.now()
        return observed is None or observed.remaining > 0 or observed.reset_at <= now

    def spend(self, endpoint: str) -> None:
        """Take one token for a request made."""
        bucket = self._buckets.get(endpoint)
        if bucket is not None:
            bucket.tokens = max(0.0, bucket.tokens - 1)

    def drain(self, endpoint: str) -> None:
        """Empty the bucket after a 429: the platform's view wins."""
        bucket = self._buckets.get(endpoint)
        if bucket is not None:
            bucket.tokens = 0.0

    def seconds_until_token(self, endpoint: str) -> float:
        """How long until the next token of ``endpoint`` (0 when one is there)."""
        bucket = self._buckets.get(endpoint)
        if bucket is None or bucket.tokens >= 1:
            return 0.0
        return (1 - bucket.tokens) * RATE_WINDOW / bucket.capacity
