"""``Usage``: what X's pay-per-use pricing bills, itemized, and the price of calls in between."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import attrs

from socialcare.platforms.x._endpoints import PRICES

__all__ = ["Usage"]


@attrs.frozen
class Usage:
    """What a pay-per-use bill says so far (the sandbox's ledger keeps one).

    Attributes:
        counts: billed items per kind (``post_read``, ``user_read``,
            ``post_create_with_url``...; the kinds of :data:`PRICES`).
        total: the bill in USD.
    """

    counts: Mapping[str, int]
    total: Decimal

    def cost(self, kind: str) -> Decimal:
        """The USD billed for one kind of item."""
        return PRICES[kind].usd * self.counts.get(kind, 0)

    def __sub__(self, earlier: Usage) -> Usage:
        """What was billed since ``earlier`` (the price of the calls in between).

        Example::

            before = sandbox.usage()
            x.mentions(max_results=100)
            print((sandbox.usage() - before).total)
        """
        kinds = set(self.counts) | set(earlier.counts)
        counts = {k: self.counts.get(k, 0) - earlier.counts.get(k, 0) for k in sorted(kinds)}
        counts = {k: n for k, n in counts.items() if n}
        return Usage(counts=counts, total=self.total - earlier.total)
