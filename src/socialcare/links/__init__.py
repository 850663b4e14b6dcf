"""Tracked links with the brand's own short codes.

:class:`LinkTracker` is a self-hosted branded shortener: custom or random codes, targets
and click counts in the store, UTM tagging, per-conversation and per-campaign attribution;
:func:`redirect_app` serves the redirects (WSGI), counting bots and link previews apart.
:class:`Bitly`, :class:`Shlink`, :class:`Yourls` and :class:`TinyURL` are httpx adapters for
hosted shorteners that fall back to the long URL (or raise) when the service fails.
Every URL counts 23 in a post whatever its length, so a short link saves no characters:
it tracks.

See ``docs/links.md``.
"""

from __future__ import annotations

from socialcare._exports import publish
from socialcare.links._codes import CODE_ALPHABET, check_code, random_code, tag_url
from socialcare.links._services import (
    DEFAULT_TIMEOUT,
    Bitly,
    HTTPShortener,
    OnError,
    Shlink,
    ShortenResult,
    TinyURL,
    Yourls,
)
from socialcare.links._tracker import LinkStats, LinkTracker, Shortener
from socialcare.links._wsgi import BOT_USER_AGENTS, is_bot, redirect_app

__all__ = [
    "BOT_USER_AGENTS",
    "CODE_ALPHABET",
    "DEFAULT_TIMEOUT",
    "Bitly",
    "HTTPShortener",
    "LinkStats",
    "LinkTracker",
    "OnError",
    "Shlink",
    "ShortenResult",
    "Shortener",
    "TinyURL",
    "Yourls",
    "check_code",
    "is_bot",
    "random_code",
    "redirect_app",
    "tag_url",
]

publish(__name__, globals(), __all__)
