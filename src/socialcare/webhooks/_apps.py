"""Ready-made WSGI and ASGI apps around a :class:`~socialcare.webhooks.WebhookReceiver`.

Both answer at any path (mount them where X should call), read at most the
receiver's ``max_body_bytes`` (a longer ``Content-Length`` is refused with 413 before
the body is read; a body that grows past it while streaming too), and hand the
request to ``WebhookReceiver.handle``. The ASGI app is a plain ASGI 3.0 callable (no
framework); it runs handlers in a worker thread so the event loop keeps answering
CRC challenges, and it answers ``lifespan`` messages.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from socialcare.webhooks._receiver import WebhookReceiver, WebhookResponse

__all__ = ["ASGIApp", "WSGIApp", "asgi_app", "wsgi_app"]

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
"""A WSGI application (PEP 3333)."""

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
"""An ASGI 3.0 application."""

_TOO_LARGE = b'{"error": "body too large"}'
_BAD_LENGTH = b'{"error": "invalid Content-Length"}'
_JSON = ("content-type", "application/json; charset=utf-8")


def _query(raw: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))


def wsgi_app(receiver: WebhookReceiver) -> WSGIApp:
    """A WSGI app for ``receiver`` (see the module docstring)."""
    limit = receiver.max_body_bytes

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET"))
        body = b""
        if method.upper() == "POST":
            raw_length = str(environ.get("CONTENT_LENGTH") or "0")
            if not raw_length.isdigit():
                start_response("400 Bad Request", [_JSON])
                return [_BAD_LENGTH]
            if int(raw_length) > limit:
                start_response("413 Content Too Large", [_JSON, ("connection", "close")])
                return [_TOO_LARGE]
            body = environ["wsgi.input"].read(int(raw_length)) if int(raw_length) else b""
        headers = {
            key[5:].replace("_", "-").lower(): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        response = receiver.handle(
            method, query=_query(str(environ.get("QUERY_STRING", ""))), headers=headers, body=body
        )
        start_response(f"{response.status} {response.reason}", list(response.headers))
        return [response.body]

    return app


async def _send(send: Send, response: WebhookResponse) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


class _ASGIApp:
    """The receiver as an ASGI 3.0 app (an object, so routers take it as an app, not a view)."""

    def __init__(self, receiver: WebhookReceiver) -> None:
        from socialcare.webhooks._receiver import WebhookResponse  # noqa: PLC0415 - cycle

        self._receiver = receiver
        self._limit = receiver.max_body_bytes
        self._too_large = WebhookResponse(413, (_JSON, ("connection", "close")), _TOO_LARGE)

    def __repr__(self) -> str:
        return f"<ASGI app of {self._receiver!r}>"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            msg = f"unsupported ASGI scope type {scope['type']!r}"
            raise RuntimeError(msg)
        headers = {
            bytes(k).decode("latin-1").lower(): bytes(v).decode("latin-1")
            for k, v in scope.get("headers", ())
        }
        method = str(scope.get("method", "GET"))
        query = _query(bytes(scope.get("query_string", b"")).decode("latin-1"))
        if method.upper() != "POST":
            response = self._receiver.handle(method, query=query, headers=headers)
            await _send(send, response)
            return
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._limit:
            await _send(send, self._too_large)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = bytes(message.get("body", b""))
            size += len(chunk)
            if size > self._limit:
                await _send(send, self._too_large)
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        response = await asyncio.to_thread(
            self._receiver.handle, method, query=query, headers=headers, body=b"".join(chunks)
        )
        await _send(send, response)


def asgi_app(receiver: WebhookReceiver) -> ASGIApp:
    """A pure ASGI 3.0 app for ``receiver`` (see the module docstring)."""
    return _ASGIApp(receiver)
