"""What a post or DM costs on X pay-per-use, and budgets that cap the spending."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from typing import Literal

import attrs

from socialcare._clock import Clock, SystemClock

__all__ = ["DEFAULT_PRICES", "Budget", "BudgetAction", "BudgetPolicy", "PriceTable"]

BudgetAction = Literal["refuse", "warn"]
"""What a budget does above a cap: make the draft unsendable, or only warn."""


def _price(value: Decimal | str | float) -> Decimal:
    price = Decimal(str(value))
    if not price.is_finite() or price < 0:
        msg = f"a price must be a finite, non-negative amount, got {str(value)[:40]!r}"
        raise ValueError(msg)
    # as a sum of prices shows it (Decimal("1E+1") as 10): one item's price is then shown
    # as the same item's share of a total
    return _ZERO + price


_ZERO = Decimal(0)


def _cap(value: Decimal | str | float | None) -> Decimal | None:
    return None if value is None else _price(value)


@attrs.frozen
class PriceTable:
    """Prices in US dollars per created resource (X pay-per-use; defaults as of 2026).

    Attributes:
        post: a post (or a reply that is not a summoned reply).
        post_with_url: a post or reply that carries a URL (the largest price on X).
        summoned_reply: a reply to a post whose author summoned the account.
        dm: a direct message.
    """

    post: Decimal = attrs.field(default=Decimal("0.015"), converter=_price)
    post_with_url: Decimal = attrs.field(default=Decimal("0.200"), converter=_price)
    summoned_reply: Decimal = attrs.field(default=Decimal("0.010"), converter=_price)
    dm: Decimal = attrs.field(default=Decimal("0.015"), converter=_price)

    def price_of(self, item: Literal["post", "post_with_url", "summoned_reply", "dm"]) -> Decimal:
        """The price of one resource of this kind."""
        return {
            "post": self.post,
            "post_with_url": self.post_with_url,
            "summoned_reply": self.summoned_reply,
            "dm": self.dm,
        }[item]


DEFAULT_PRICES = PriceTable()
"""X pay-per-use prices, 2026: post $0.015, with a URL $0.20, summoned reply $0.01, DM $0.015."""


@attrs.frozen
class BudgetPolicy:
    """Caps on spending, in US dollars (``None``: no cap).

    Attributes:
        per_draft: the most one draft (all its parts and its follow-up DM) may cost.
        per_conversation: the most one conversation may cost in total.
        per_day: the most all drafts may cost per UTC day.
        action: ``"refuse"`` makes a draft over a cap unsendable; ``"warn"`` only warns.
    """

    per_draft: Decimal | None = attrs.field(default=None, converter=_cap)
    per_conversation: Decimal | None = attrs.field(default=None, converter=_cap)
    per_day: Decimal | None = attrs.field(default=None, converter=_cap)
    action: BudgetAction = attrs.field(
        default="refuse", validator=attrs.validators.in_(("refuse", "warn"))
    )


class Budget:
    """Spending tracked against a :class:`BudgetPolicy`, in memory (thread-safe).

    :func:`~socialcare.compose.compose_reply` asks :meth:`check` before it declares a draft
    sendable; call :meth:`spend` once the draft was actually sent. Days are UTC days on
    the budget's clock.
    """

    def __init__(self, policy: BudgetPolicy, *, clock: Clock | None = None) -> None:
        self.policy = policy
        self._clock: Clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._day: dt.date | None = None
        self._today = Decimal(0)
        self._by_conversation: dict[str, Decimal] = {}

    def __repr__(self) -> str:
        return f"Budget({self.policy!r}, spent_today={self.spent_today()})"

    def _roll(self) -> None:
        today = self._clock.now().astimezone(dt.timezone.utc).date()
        if today != self._day:
            self._day = today
            self._today = Decimal(0)

    def spent_today(self) -> Decimal:
        """What was spent on the current UTC day."""
        with self._lock:
            self._roll()
            return self._today

    def spent_in(self, conversation_id: str) -> Decimal:
        """What was spent in one conversation."""
        with self._lock:
            return self._by_conversation.get(conversation_id, Decimal(0))

    def check(self, price: Decimal, *, conversation_id: str | None = None) -> tuple[str, ...]:
        """The caps that spending ``price`` now would exceed, as messages (empty: none)."""
        policy = self.policy
        over: list[str] = []
        with self._lock:
            self._roll()
            if policy.per_draft is not None and price > policy.per_draft:
                over.append(f"costs ${price}, over the per-draft cap of ${policy.per_draft}")
            if policy.per_conversation is not None and conversation_id is not None:
                spent = self._by_conversation.get(conversation_id, Decimal(0))
                if spent + price > policy.per_conversation:
                    over.append(
                        f"would bring conversation {conversation_id} to ${spent + price}, "
                        f"over the per-conversation cap of ${policy.per_conversation}"
                    )
            if policy.per_day is not None and self._today + price > policy.per_day:
                over.append(
                    f"would bring today's spending to ${self._today + price}, "
                    f"over the per-day cap of ${policy.per_day}"
                )
        return tuple(over)

    def spend(self, price: Decimal, *, conversation_id: str | None = None) -> None:
        """Record that ``price`` was spent (in ``conversation_id``, if given)."""
        amount = _price(price)
        with self._lock:
            self._roll()
            self._today += amount
            if conversation_id is not None:
                self._by_conversation[conversation_id] = (
                    self._by_conversation.get(conversation_id, Decimal(0)) + amount
                )
