"""The X Activity API stream, typed: the same events as the webhook, over one connection.

``GET /2/activity/stream`` sends every event of the app's subscriptions in the
webhook's envelope, one per line. :func:`activity_stream` opens it through
``XPlatform.activity_stream`` (reconnects, backoff, keep-alive and stall detection
are :class:`~socialcare.platforms.x.StreamConnection` 's) and parses each line
with :func:`~socialcare.webhooks.parse_event`, so a handler written for the
:class:`~socialcare.webhooks.WebhookReceiver` takes stream events unchanged.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING

from socialcare.webhooks._events import WebhookEvent, parse_event

if TYPE_CHECKING:
    from socialcare.platforms.x import ReconnectPolicy, StreamConnection, XPlatform

__all__ = ["activity_stream"]


def activity_stream(
    platform: XPlatform,
    *,
    backfill_minutes: int | None = None,
    stall_timeout: float = 30.0,
    connect_timeout: float = 10.0,
    policy: ReconnectPolicy | None = None,
    sleep: Callable[[float], None] | None = None,
    rng: random.Random | None = None,
) -> StreamConnection[WebhookEvent]:
    """The app's X Activity API stream as typed events (``PostEvent``, ``DirectMessageEvent``...).

    Nothing is sent until the stream is iterated::

        with activity_stream(x) as events:
            for event in events:
                handle(event)  # the same handlers as the webhook receiver's

    The arguments are those of ``XPlatform.filtered_stream``. Unknown event types
    arrive as :class:`~socialcare.webhooks.UnknownEvent`, never dropped.
    """
    return platform.activity_stream(
        parse=parse_event,
        backfill_minutes=backfill_minutes,
        stall_timeout=stall_timeout,
        connect_timeout=connect_timeout,
        policy=policy,
        sleep=sleep,
        rng=rng,
    )
