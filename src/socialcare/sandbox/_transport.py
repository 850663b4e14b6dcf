"""A ``requests`` transport adapter that delivers requests to the sandbox in-process.

``XPlatform`` mounts it on tweepy's session for ``https://api.twitter.com/``
and ``https://api.x.com/``; it replaces the network and nothing else: tweepy builds,
signs and sends its requests exactly as it would in production.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import TYPE_CHECKING

import requests
import requests.adapters
import urllib3
from requests.structures import CaseInsensitiveDict

from socialcare._exports import publish
from socialcare.sandbox._app import REASONS, SandboxRequest

if TYPE_CHECKING:
    from socialcare.sandbox._sandbox import Sandbox
    from socialcare.sandbox._streams import StreamBody

__all__ = ["SandboxTransport"]

_TimeoutArg = float | tuple[float | None, float | None] | None


def _read_timeout(timeout: object) -> float | None:
    if isinstance(timeout, tuple):
        value = timeout[1] if len(timeout) > 1 else timeout[0]
        return float(value) if isinstance(value, int | float) else None
    return float(timeout) if isinstance(timeout, int | float) else None


class _StreamReader(io.RawIOBase):
    """A streaming response's raw body: each read returns what has arrived.

    A read that waits longer than the request's read timeout fails as a socket's
    would under requests (``ConnectionError`` wrapping urllib3's ``ReadTimeoutError``);
    closing it (``response.close()``) ends the connection at the sandbox.
    """

    def __init__(self, body: StreamBody, timeout: float | None) -> None:
        super().__init__()
        self._body = body
        self._timeout = timeout
        self._left = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]  # RawIOBase's buffer
        if not self._left:
            try:
                self._left = self._body.read(self._timeout)
            except TimeoutError as exc:
                self.close()
                timed_out = urllib3.exceptions.ReadTimeoutError(None, "", "Read timed out.")  # type: ignore[arg-type]  # no pool in-process
                raise requests.exceptions.ConnectionError(timed_out) from exc
        size = min(len(buffer), len(self._left))
        buffer[:size] = self._left[:size]
        self._left = self._left[size:]
        return size

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class SandboxTransport(requests.adapters.BaseAdapter):
    """Answers requests from a :class:`Sandbox` without any socket.

    Mount it on a ``requests.Session`` for X's hosts (``Sandbox.transport()``
    builds one; ``Sandbox.platform()`` mounts it for you).
    """

    def __init__(self, sandbox: Sandbox) -> None:
        super().__init__()
        self._handle = sandbox._app.handle  # noqa: SLF001 - the sandbox's own transport

    def send(  # noqa: PLR0917 - requests' adapter interface
        self,
        request: requests.PreparedRequest,
        stream: bool = False,  # noqa: ARG002 - part of the adapter interface
        timeout: _TimeoutArg = None,
        verify: bool | str = True,  # noqa: ARG002
        cert: object = None,  # noqa: ARG002
        proxies: Mapping[str, str] | None = None,  # noqa: ARG002
    ) -> requests.Response:
        """Deliver ``request`` and build the response (or raise as a network would)."""
        body = request.body
        raw = body.encode() if isinstance(body, str) else body if isinstance(body, bytes) else b""
        headers = {
            key: value.decode() if isinstance(value, bytes) else value
            for key, value in request.headers.items()
        }
        exchange = SandboxRequest(
            method=request.method or "GET", url=request.url or "", headers=headers, body=raw
        )
        outcome = self._handle(exchange, timeout=_read_timeout(timeout))
        if outcome.dropped == "before":
            msg = "sandbox: the request timed out before reaching X"
            raise requests.exceptions.ConnectTimeout(msg, request=request)
        if outcome.dropped == "reset":
            msg = "sandbox: connection reset by peer (X processed the request)"
            reset = ConnectionResetError(104, "Connection reset by peer")
            raise requests.exceptions.ConnectionError(msg, reset, request=request)
        if outcome.dropped == "after":
            msg = "sandbox: read timed out (X processed the request; the response was lost)"
            raise requests.exceptions.ReadTimeout(msg, request=request)
        response = requests.Response()
        response.status_code = outcome.status
        response.headers = CaseInsensitiveDict(dict(outcome.headers))
        if outcome.stream is not None:  # a stream route: read as the lines arrive
            response.raw = _StreamReader(outcome.stream, _read_timeout(timeout))
        else:
            response._content = outcome.body  # noqa: SLF001 - how requests stores a read body
            response.raw = io.BytesIO(outcome.body)
        response.url = request.url or ""
        response.request = request
        response.reason = REASONS.get(outcome.status, "Unknown")
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        """Nothing to release."""


# ``socialcare.sandbox`` loads this module (and requests) on first use, so it
# publishes the class itself.
publish("socialcare.sandbox", globals(), __all__)
