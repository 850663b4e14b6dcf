"""Social platforms behind one typed protocol.

``Platform`` is what socialcare needs from a network; ``XPlatform`` (in
:mod:`socialcare.platforms.x`) implements it on X API v2 through tweepy, and
runs unchanged against :class:`socialcare.sandbox.Sandbox` offline.
"""

from __future__ import annotations

from socialcare._exports import publish
from socialcare.platforms._base import (
    Platform,
    QueryLike,
    RateLimit,
    ReplySettings,
    SupportsRender,
)
from socialcare.platforms._paging import iter_items, iter_pages, iter_posts_with_authors

__all__ = [
    "Platform",
    "QueryLike",
    "RateLimit",
    "ReplySettings",
    "SupportsRender",
    "iter_items",
    "iter_pages",
    "iter_posts_with_authors",
]

publish(__name__, globals(), __all__)
