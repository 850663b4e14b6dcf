"""Exactly-once replies, posts and DMs: reserve in the store, claim, send, reconcile.

Every outbound action is first reserved in the store under an idempotency key
(:class:`Outbox`), then claimed by one :class:`Sender` (in any process sharing the
store), recorded as an attempt *before* it is sent, sent, and marked with the
platform's id. An attempt whose answer never came (a lost answer, a 5xx or a
timeout after X processed it, a worker killed mid-send) is looked up on the
platform (:class:`OutboxPlatform` ``find_post`` / ``find_dm``) before anything is
sent again. ``pause_all()`` stops every sender sharing the store.

:class:`socialcare.escalation.EscalationFlow` moves a public conversation to direct
messages through the outbox.

Example:
    >>> from socialcare.outbox import Outbox
    >>> from socialcare.storage import MemoryStore
    >>> outbox = Outbox(MemoryStore())
    >>> outbox.dm("42", "Hi Ann, could you send us your order number?").record.key
    'dm:42:dm'

See ``docs/outbox.md``.
"""

from __future__ import annotations

from socialcare._exports import publish
from socialcare.outbox._outbox import OUTBOX_KIND, ActionType, Outbox, OutboxStoreLike
from socialcare.outbox._platform import OutboxPlatform, SupportsHideReply
from socialcare.outbox._sender import Outcome, Sender, SendReport

__all__ = [
    "OUTBOX_KIND",
    "ActionType",
    "Outbox",
    "OutboxPlatform",
    "OutboxStoreLike",
    "Outcome",
    "SendReport",
    "Sender",
    "SupportsHideReply",
]

publish(__name__, globals(), __all__)
