"""X (Twitter) API v2: :class:`XPlatform`, the :class:`~socialcare.platforms.Platform` for X."""

from __future__ import annotations

from socialcare._exports import publish
from socialcare.platforms.x._client import ENV_VARS, XPlatform

__all__ = ["ENV_VARS", "XPlatform"]

publish(__name__, globals(), __all__)
