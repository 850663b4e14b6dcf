"""The HTTP session under tweepy: a default timeout, X's current host, a transport.

This module imports tweepy and requests; ``XPlatform`` imports it when the
first instance is built, so importing :mod:`socialcare.platforms.x` stays light.
"""

from __future__ import annotations

from typing import Any

import requests
import requests.adapters
import tweepy

__all__ = ["HOSTS", "TWEEPY_HOST", "make_client"]

HOSTS = ("https://api.twitter.com/", "https://api.x.com/")
"""X's hosts; a transport adapter is mounted on each (and on ``api_host``)."""

TWEEPY_HOST = "https://api.twitter.com"
"""The host tweepy hard-codes; requests to it are sent to ``api_host`` instead."""


class _Session(requests.Session):
    """tweepy's session, with a default timeout (tweepy passes none) and X's current host.

    The host is swapped before the request is prepared, so OAuth 1.0a signs the
    URL actually sent.
    """

    def __init__(self, timeout: float, host: str) -> None:
        super().__init__()
        self._timeout = timeout
        self._host = host.rstrip("/")

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]  # same call, host and timeout adjusted
        kwargs.setdefault("timeout", self._timeout)
        if url.startswith(TWEEPY_HOST + "/"):
            url = self._host + url[len(TWEEPY_HOST) :]
        return super().request(method, url, **kwargs)


def make_client(
    *,
    timeout: float,
    api_host: str,
    transport: requests.adapters.BaseAdapter | None,
    **credentials: str | None,
) -> Any:
    """A ``tweepy.Client`` returning raw responses, on a :class:`_Session`."""
    client = tweepy.Client(**credentials, return_type=requests.Response, wait_on_rate_limit=False)
    session = _Session(timeout, api_host)
    if transport is not None:
        for host in (*HOSTS, api_host.rstrip("/") + "/"):
            session.mount(host, transport)
    client.session = session
    return client
