"""The one method XPlatform's mixins (``ActivityAPI``, ``StreamAPI``) call on their host."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import requests

    from socialcare.platforms.x._endpoints import Endpoint
    from socialcare.platforms.x._errors import Context

__all__ = ["PlatformHost"]


class PlatformHost:
    """Declares what a mixin of ``XPlatform`` uses of it: the app client and ``_call``."""

    _app: Any

    def _call(  # pragma: no cover - XPlatform's own _call runs
        self,
        endpoint: Endpoint,
        send: Callable[[], requests.Response],
        *,
        context: Context = "read",
        idempotent: bool = True,
    ) -> dict[str, Any]:
        raise NotImplementedError
