"""Real time from X: the X Activity API webhook receiver (CRC, signatures, typed events).

A :class:`WebhookReceiver` answers X's CRC challenges, checks the signature of every
delivery (constant time), optionally refuses replays with an
:class:`~socialcare.alerts.ReplayGuard`, parses each event into a :class:`PostEvent`
(``post.mention.create``, ``post.reply.create``, ``post.quote.create``,
``post.create``), a :class:`DirectMessageEvent` (``dm.received``, ``dm.sent``) or an
:class:`UnknownEvent` (everything else, kept read-only, never dropped), and calls the
handlers registered with :meth:`WebhookReceiver.on`. It needs no web framework:
``receiver.wsgi_app()`` and ``receiver.asgi_app()`` are ready to mount, and
:meth:`WebhookReceiver.handle` fits any view function (see ``docs/realtime.md``).

Webhooks and subscriptions are managed through ``XPlatform`` (``create_webhook``,
``create_subscription``, ``replay_webhook``...). The same events arrive over one
long-lived connection with :func:`activity_stream` (``GET /2/activity/stream``).
"""

from __future__ import annotations

from socialcare._exports import publish
from socialcare.webhooks._apps import ASGIApp, WSGIApp
from socialcare.webhooks._events import (
    DirectMessageEvent,
    DirectMessageEventKind,
    PostEvent,
    PostEventKind,
    UnknownEvent,
    WebhookEvent,
    parse_event,
)
from socialcare.webhooks._receiver import (
    OAUTH2_SIGNATURE_HEADER,
    SIGNATURE_HEADER,
    WebhookReceiver,
    WebhookResponse,
)
from socialcare.webhooks._signing import crc_response_token, delivery_signature, signature_matches
from socialcare.webhooks._stream import activity_stream

__all__ = [
    "OAUTH2_SIGNATURE_HEADER",
    "SIGNATURE_HEADER",
    "ASGIApp",
    "DirectMessageEvent",
    "DirectMessageEventKind",
    "PostEvent",
    "PostEventKind",
    "UnknownEvent",
    "WSGIApp",
    "WebhookEvent",
    "WebhookReceiver",
    "WebhookResponse",
    "activity_stream",
    "crc_response_token",
    "delivery_signature",
    "parse_event",
    "signature_matches",
]

publish(__name__, globals(), __all__)
