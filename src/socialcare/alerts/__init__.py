"""Alerts: tell people about new posts, wherever they look.

An :class:`Alert` is one event (a new mention, a DM, ...) for one stream; an
:class:`AlertSink` delivers alerts: :class:`CallbackSink` (your function),
:class:`WebhookSink` (signed HTTP POST; :func:`verify_webhook_signature` checks
it on the receiving side, :class:`MemoryReplayGuard` or your own
:class:`ReplayGuard` refuses replays), :class:`EmailDigestSink` (instant, hourly or daily
digests) and :class:`AtomFeedSink` (a feed file per stream). The monitor fans
new posts out to sinks; other parts (the own-account guard) can use them too.
"""

from __future__ import annotations

from socialcare._exports import publish
from socialcare.alerts._replay import MemoryReplayGuard, ReplayGuard
from socialcare.alerts._sinks import (
    Alert,
    AlertSink,
    AtomFeedSink,
    CallbackSink,
    DigestSchedule,
    EmailDigestSink,
    WebhookSink,
    redact_url,
    sign_webhook,
    verify_webhook_signature,
)

__all__ = [
    "Alert",
    "AlertSink",
    "AtomFeedSink",
    "CallbackSink",
    "DigestSchedule",
    "EmailDigestSink",
    "MemoryReplayGuard",
    "ReplayGuard",
    "WebhookSink",
    "redact_url",
    "sign_webhook",
    "verify_webhook_signature",
]

publish(__name__, globals(), __all__)
