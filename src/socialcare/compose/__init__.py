"""Replies that X accepts: measured, fitted, priced and checked before a request is spent (pure).

:func:`compose_reply` turns a body (or a saved :class:`Template`) into a :class:`Draft`:
the text as X will store it, its weighted length and the room left, the post it answers,
its links (each counts 23), its price on X pay-per-use and the reasons it can or cannot be
sent. :func:`can_reply` answers X's summoned-reply rule; :class:`Budget` caps spending;
:func:`dm_deep_link` builds the "Send us a DM" link a reply can carry.

Example:
    >>> from socialcare.models import Post
    >>> post = Post(id="9", text="@acmehelp my parcel is late", author_id="42")
    >>> draft = compose_reply(
    ...     post, "@ann Sorry! Tracking: https://acme.com/t/9", author="ann", signature="JD"
    ... )
    >>> draft.text, draft.length, str(draft.price)
    ('Sorry! Tracking: https://acme.com/t/9 ^JD', 44, '0.200')

See ``docs/compose.md``.
"""

from __future__ import annotations

from socialcare._exports import publish
from socialcare.compose._deeplink import dm_deep_link
from socialcare.compose._draft import (
    MAX_DM_LENGTH,
    MAX_POST_LENGTH,
    Draft,
    DraftKind,
    DraftPart,
    LengthPolicy,
    LinkUse,
    compose_dm,
    compose_reply,
    split_thread,
    truncate,
)
from socialcare.compose._pricing import (
    DEFAULT_PRICES,
    Budget,
    BudgetAction,
    BudgetPolicy,
    PriceTable,
)
from socialcare.compose._rules import ReplyPermission, ReplyRule, can_reply
from socialcare.compose._template import Template

__all__ = [
    "DEFAULT_PRICES",
    "MAX_DM_LENGTH",
    "MAX_POST_LENGTH",
    "Budget",
    "BudgetAction",
    "BudgetPolicy",
    "Draft",
    "DraftKind",
    "DraftPart",
    "LengthPolicy",
    "LinkUse",
    "PriceTable",
    "ReplyPermission",
    "ReplyRule",
    "Template",
    "can_reply",
    "compose_dm",
    "compose_reply",
    "dm_deep_link",
    "split_thread",
    "truncate",
]

publish(__name__, globals(), __all__)
