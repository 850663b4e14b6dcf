"""The WSGI redirect app: ``GET /<code>`` -> 302 to the stored target, click counted once."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from socialcare.errors import LinkError
from socialcare.links._codes import check_code
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

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in {"GET", "HEAD"}:
            start_response("405 Method Not Allowed", [_HEADERS_TEXT, ("Allow", "GET, HEAD")])
            return [b"method not allowed\n"]
        path = str(environ.get("PATH_INFO", "")).strip("/")
        try:
            code = check_code(path)
        except LinkError:
            code = None
        link = None
        if code is not None:
            if method == "GET":
                link = store.record_click(code, bot=is_bot(environ.get("HTTP_USER_AGENT")))
            else:
                link = store.get_short_link(code)
        if link is None:
            start_response("404 Not Found", [_HEADERS_TEXT])
            return [_NOT_FOUND if method == "GET" else b""]
        start_response(
            "302 Found",
            [
                ("Location", link.url),
                ("Cache-Control", "private, no-store"),
                ("Referrer-Policy", "unsafe-url"),
                ("Content-Length", "0"),
            ],
        )
        return [b""]

    return app
