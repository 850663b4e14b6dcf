"""The WSGI redirect app: ``GET /<code>`` -> 302 to the stored target, click counted once."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from socialcare.links._codes import CODE_PATTERN
from socialcare.storage import LinkStore

__all__ = ["BOT_USER_AGENTS", "is_bot", "redirect_app"]

BOT_USER_AGENTS = re.compile(
    r"twitterbot|facebookexternalhit|slackbot|discordbot|telegrambot|whatsapp|linkedinbot"
    r"|skypeuripreview|embedly|bot\b|crawler|spider|preview|curl/|python-requests|httpx",
    re.IGNORECASE,
)
"""User agents of link-preview fetchers and bots (X's card fetcher is Twitterbot)."""

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_NOT_FOUND = b"not found\n"
_HEADERS_TEXT = ("Content-Type", "text/plain; charset=utf-8")
# Built once; every response gets a fresh list (servers and middleware may change it).
_HEADERS_302 = (
    ("Cache-Control", "private, no-store"),
    ("Referrer-Policy", "unsafe-url"),
    ("Content-Length", "0"),
)


def is_bot(user_agent: str | None) -> bool:
    """Whether a request comes from a bot or link-preview fetcher (an empty agent counts)."""
    return not user_agent or BOT_USER_AGENTS.search(user_agent) is not None


def redirect_app(store: LinkStore) -> WSGIApp:
    """A WSGI app that follows short links kept in ``store``.

    ``GET /<code>`` answers ``302 Found`` to the stored target (only stored targets: no
    open redirect) and counts exactly one click per request, people's and bots' apart
    (:func:`is_bot`). ``HEAD`` answers the same without counting. Invalid or unknown
    codes answer 404; other methods 405.
    """
    follow = store.follow_short_link
    get = store.get_short_link
    match_code = CODE_PATTERN.match

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        is_get = method == "GET"
        if not is_get and method != "HEAD":
            start_response("405 Method Not Allowed", [_HEADERS_TEXT, ("Allow", "GET, HEAD")])
            return [b"method not allowed\n"]
        # PATH_INFO is a str under PEP 3333; anything else is no valid code.
        path = environ.get("PATH_INFO", "")
        code = path.strip("/") if isinstance(path, str) else ""
        url: str | None = None
        if match_code(code):  # the check of check_code, without raising per bad request
            if is_get:
                url = follow(code, bot=is_bot(environ.get("HTTP_USER_AGENT")))
            else:
                link = get(code)
                url = None if link is None else link.url
        if url is None:
            start_response("404 Not Found", [_HEADERS_TEXT])
            return [_NOT_FOUND if is_get else b""]
        start_response("302 Found", [("Location", url), *_HEADERS_302])
        return [b""]

    return app
