"""A simulated X API v2 (2026 rules) that tweepy, curl or any client can talk to.

Seed it with users, posts and DMs (by hand, from twcs CSV, or from recorded
X API v2 responses), break it on purpose (5xx, timeouts, 429, lost responses,
slow answers), and point an ``XPlatform`` at it with :meth:`Sandbox.platform`,
or serve it on 127.0.0.1 with :meth:`Sandbox.serve`.
"""

from __future__ import annotations

from socialcare._exports import publish
from socialcare.sandbox._auth import SandboxCredentials
from socialcare.sandbox._billing import PRICES, Usage
from socialcare.sandbox._faults import FaultKind
from socialcare.sandbox._limits import LIMITS, EndpointLimit
from socialcare.sandbox._sandbox import CallRecord, Sandbox, SandboxServer
from socialcare.sandbox._seed import TwcsImport
from socialcare.sandbox._transport import SandboxTransport

__all__ = [
    "LIMITS",
    "PRICES",
    "CallRecord",
    "EndpointLimit",
    "FaultKind",
    "Sandbox",
    "SandboxCredentials",
    "SandboxServer",
    "SandboxTransport",
    "TwcsImport",
    "Usage",
]

publish(__name__, globals(), __all__)
