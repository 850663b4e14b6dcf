"""Pay-per-use billing as X charges it in 2026, so tests can see what a bot would cost.

Prices (USD) come from the endpoint table, :data:`socialcare.platforms.x.ENDPOINTS`
(X's pricing page, see ``x-api/constraints.md``): a post read $0.005 per
resource, a user read $0.010, a DM event read $0.010, "owned reads" (your own
mentions and posts timelines) $0.001 per resource since 2026-04-20, a post
create $0.015, a post create with a URL $0.200, a summoned reply $0.010, a DM
create $0.015.

Reads are deduplicated as X does: usage is tracked per app, and a resource (a
post, a user, a DM event) returned again within the same UTC day is not billed
again, whichever endpoint, expansion or token (the app's bearer token or a
user's) fetched it. The first fetch of the day is billed, to the principal that
made it.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from decimal import Decimal

from socialcare.platforms.x import ENDPOINTS, Usage
from socialcare.platforms.x import PRICES as X_PRICES

__all__ = ["PRICES", "Ledger", "Usage"]

PRICES: Mapping[str, Decimal] = {kind: price.usd for kind, price in X_PRICES.items()}
"""X's pay-per-use price per billed item, in USD (from :data:`socialcare.platforms.x.PRICES`)."""

OWNED_READS_SINCE = dt.datetime(2026, 4, 20, tzinfo=dt.timezone.utc)


_RESOURCE = {
    "post_read": "post",
    "owned_read": "post",
    "user_read": "user",
    "dm_event_read": "dm_event",
}
"""The resource each read price bills: one post is one resource, at either price."""


class Ledger:
    """Counts billable items per principal; a resource read is billed once per app and UTC day."""

    def __init__(self) -> None:
        self._counts: dict[str, dict[str, int]] = {}
        self._seen: set[tuple[str, str, dt.date]] = set()
        self._lock = threading.Lock()

    def charge(self, principal: str, kind: str, count: int = 1) -> None:
        """Bill ``count`` items of ``kind`` (writes: never deduplicated).

        Raises:
            KeyError: ``kind`` has no price.
        """
        if kind not in PRICES:
            msg = f"no price for {kind!r}; known: {sorted(PRICES)}"
            raise KeyError(msg)
        with self._lock:
            mine = self._counts.setdefault(principal, {})
            mine[kind] = mine.get(kind, 0) + count

    def read(self, principal: str, kind: str, resource_id: str, *, now: dt.datetime) -> None:
        """Bill one resource read to ``principal``, unless the app read it this UTC day."""
        key = (_RESOURCE.get(kind, kind), resource_id, now.astimezone(dt.timezone.utc).date())
        with self._lock:
            if key in self._seen:
                return
            self._seen.add(key)
        self.charge(principal, kind)

    def record_response(
        self,
        principal: str,
        *,
        endpoint: str,
        own_timeline: bool,
        payload: Mapping[str, object],
        now: dt.datetime,
    ) -> None:
        """Bill the resources a successful read returned."""
        route = ENDPOINTS[endpoint]
        billed = route.reads
        if own_timeline and route.owned_reads is not None and now >= OWNED_READS_SINCE:
            billed = route.owned_reads
        data = payload.get("data")
        items = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
        for item in items:
            if billed is not None and isinstance(item, dict) and isinstance(item.get("id"), str):
                self.read(principal, billed.kind, item["id"], now=now)
        includes = payload.get("includes")
        if isinstance(includes, Mapping):
            for kind, key in (("post_read", "tweets"), ("user_read", "users")):
                for item in includes.get(key) or []:
                    if isinstance(item, dict) and isinstance(item.get("id"), str):
                        self.read(principal, kind, item["id"], now=now)

    def usage(self, principal: str | None = None) -> Usage:
        """The bill so far, for one principal (``app``, ``user:<id>``) or everyone."""
        with self._lock:
            counts: dict[str, int] = {}
            for who, mine in self._counts.items():
                if principal is None or who == principal:
                    for kind, count in mine.items():
                        counts[kind] = counts.get(kind, 0) + count
        total = sum((PRICES[k] * n for k, n in counts.items()), Decimal(0))
        return Usage(counts=counts, total=total)
