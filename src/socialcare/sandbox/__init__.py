"""A simulated X API v2 (2026 rules) that tweepy, curl or any client can talk to.

Seed it with users, posts and DMs (by hand, from twcs CSV, or from recorded
X API v2 responses), break it on purpose (5xx, timeouts, 429, lost responses,
slow answers), and point an ``XPlatform`` at it with :meth:`Sandbox.platform`,
or serve it on 127.0.0.1 with :meth:`Sandbox.serve`. Register a webhook and X Activity
API subscriptions through ``XPlatform`` and the sandbox delivers signed events for new
mentions, replies, quotes and DMs (:meth:`Sandbox.deliver_pending`,
:meth:`Sandbox.deliver_automatically`). The filtered stream (with its rules) and the
activity stream are served as long-lived chunked responses with keep-alives; posts and
events are pushed as they are created, and :meth:`Sandbox.drop_streams` and
:meth:`Sandbox.stall_streams` break them on purpose.

Routes, rate limits (:data:`LIMITS`) and prices (:data:`PRICES`) come from
the endpoint table, :data:`socialcare.platforms.x.ENDPOINTS`. Importing this
package imports neither tweepy nor requests; :class:`SandboxTransport` (a
``requests`` adapter) loads requests when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from socialcare._exports import publish
from socialcare.sandbox._app import SandboxOutcome, SandboxRequest
from socialcare.sandbox._auth import SandboxCredentials
from socialcare.sandbox._billing import PRICES, Usage
from socialcare.sandbox._faults import FaultKind
from socialcare.sandbox._limits import LIMITS, EndpointLimit
from socialcare.sandbox._oauth2 import OAuth2App, OAuth2Server, RefreshRecord
from socialcare.sandbox._sandbox import CallRecord, Sandbox, SandboxServer
from socialcare.sandbox._seed import OutsideSearchWindowWarning, TwcsImport
from socialcare.sandbox._streams import StreamBody, StreamKind
from socialcare.sandbox._webhooks import DeliveryAttempt, DeliveryReport, DeliveryThread

if TYPE_CHECKING:
    from socialcare.sandbox._transport import SandboxTransport

__all__ = [
    "LIMITS",
    "PRICES",
    "CallRecord",
    "DeliveryAttempt",
    "DeliveryReport",
    "DeliveryThread",
    "EndpointLimit",
    "FaultKind",
    "OAuth2App",
    "OAuth2Server",
    "OutsideSearchWindowWarning",
    "RefreshRecord",
    "Sandbox",
    "SandboxCredentials",
    "SandboxOutcome",
    "SandboxRequest",
    "SandboxServer",
    "SandboxTransport",
    "StreamBody",
    "StreamKind",
    "TwcsImport",
    "Usage",
]

_LAZY = frozenset({"SandboxTransport"})


def __getattr__(name: str) -> object:
    """``SandboxTransport`` subclasses a requests adapter: import it on first use."""
    if name in _LAZY:
        from socialcare.sandbox import _transport  # noqa: PLC0415 - loads requests

        value = getattr(_transport, name)
        globals()[name] = value
        return value
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


publish(__name__, globals(), [name for name in __all__ if name not in _LAZY])
