"""``WebhookReceiver``: X's CRC, signed deliveries, parsed events, typed handlers; any framework.

The receiver knows nothing of web frameworks. :meth:`WebhookReceiver.handle` takes a
method, query, headers and body and returns a :class:`WebhookResponse`; the WSGI and
ASGI apps (``receiver.wsgi_app()``, ``receiver.asgi_app()``) and a few lines in Flask or
Django views call it. :meth:`WebhookReceiver.receive` is the delivery half alone.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar, cast, overload

import attrs

from socialcare._clock import Clock, SystemClock
from socialcare.alerts import ReplayGuard
from socialcare.errors import ConfigurationError, PayloadError, WebhookError, WebhookSignatureError
from socialcare.webhooks._apps import ASGIApp, WSGIApp, asgi_app, wsgi_app
from socialcare.webhooks._events import (
    DirectMessageEvent,
    DirectMessageEventKind,
    PostEvent,
    PostEventKind,
    UnknownEvent,
    WebhookEvent,
    parse_event,
)
from socialcare.webhooks._signing import crc_response_token, signature_matches

__all__ = ["OAUTH2_SIGNATURE_HEADER", "SIGNATURE_HEADER", "WebhookReceiver", "WebhookResponse"]

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "x-twitter-webhooks-signature"
"""The header carrying X's signature of each delivery (``sha256=<base64 HMAC>``)."""

OAUTH2_SIGNATURE_HEADER = "x-twitter-webhooks-signature-oauth2"
"""The same signature keyed with the app's OAuth 2.0 client secret (X sends it when the
app has one; apps with both secrets may get both headers)."""

MAX_BODY_BYTES = 1_048_576
"""The default largest delivery body accepted (1 MiB); larger ones answer 413."""

PostHandler = Callable[[PostEvent], object]
DMHandler = Callable[[DirectMessageEvent], object]
AnyHandler = Callable[[WebhookEvent], object]
UnknownHandler = Callable[[UnknownEvent], object]
PH = TypeVar("PH", bound=PostHandler)
DH = TypeVar("DH", bound=DMHandler)
AH = TypeVar("AH", bound=AnyHandler)
UH = TypeVar("UH", bound=UnknownHandler)

_JSON = (("content-type", "application/json; charset=utf-8"),)


@attrs.frozen
class WebhookResponse:
    """What to answer X: a status, headers and a body (bytes).

    Attributes:
        status: the HTTP status.
        headers: the response headers.
        body: the response body.
        event: the event delivered to handlers, if this request carried a new one.
    """

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    event: WebhookEvent | None = None

    @property
    def reason(self) -> str:
        """The HTTP reason phrase of :attr:`status`."""
        return _REASONS.get(self.status, "Error")

    @classmethod
    def json(
        cls, status: int, payload: Mapping[str, object], event: WebhookEvent | None = None
    ) -> WebhookResponse:
        """A JSON response."""
        return cls(status, _JSON, json.dumps(payload).encode(), event)


_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Content Too Large",
    500: "Internal Server Error",
}


class WebhookReceiver:
    """Receives X Activity API webhook deliveries: CRC, signatures, events, handlers.

    Args:
        consumer_secret: the app's consumer secret (OAuth 1.0a API secret key): the
            key of the CRC answer and of every delivery signature. An app set up with
            an OAuth 2.0 client secret gives that instead: X then signs in
            ``x-twitter-webhooks-signature-oauth2``, which is checked too.
        replay_guard: remembers each ``event_uuid`` delivered (see
            :class:`~socialcare.alerts.ReplayGuard`): a delivery seen before, a replay
            of a captured request or one of X's duplicate deliveries, is answered
            200 and not handled again. ``None``: every valid delivery is handled.
        replay_window: how long an ``event_uuid`` is remembered (24 hours: X's replay
            jobs reach that far back).
        clock: time for the replay guard.
        max_body_bytes: larger deliveries are refused with 413 before being read.

    Handlers are registered per event type with :meth:`on` (or for every event with
    :meth:`on_any`, for types without a handler with :meth:`on_unknown`) and run in
    registration order, in the thread (or ASGI worker thread) that received the
    delivery. If a handler raises, the delivery is answered 500 and the error is
    logged; with a replay guard, X's retry of that delivery is then refused as a
    duplicate, so make handlers hand work to a durable queue.

    Raises:
        ConfigurationError: an empty ``consumer_secret``.
    """

    def __init__(
        self,
        consumer_secret: str,
        *,
        replay_guard: ReplayGuard | None = None,
        replay_window: dt.timedelta = dt.timedelta(hours=24),
        clock: Clock | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        if not consumer_secret:
            raise ConfigurationError("WebhookReceiver needs the app's consumer secret")
        if max_body_bytes < 1 or replay_window <= dt.timedelta(0):
            msg = "max_body_bytes and replay_window must be positive"
            raise ValueError(msg)
        self._secret = consumer_secret
        self.replay_guard = replay_guard
        self.replay_window = replay_window
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.max_body_bytes = max_body_bytes
        self._handlers: dict[str, list[Callable[[WebhookEvent], object]]] = {}
        self._any: list[Callable[[WebhookEvent], object]] = []
        self._unknown: list[Callable[[WebhookEvent], object]] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        kinds = ", ".join(sorted(self._handlers))
        return f"WebhookReceiver(handlers=[{kinds}], consumer_secret='***')"

    # ------------------------------------------------------------- handlers

    @overload
    def on(self, kind: PostEventKind) -> Callable[[PH], PH]: ...  # type: ignore[overload-overlap]
    @overload
    def on(self, kind: DirectMessageEventKind) -> Callable[[DH], DH]: ...  # type: ignore[overload-overlap]
    @overload
    def on(self, kind: str) -> Callable[[UH], UH]: ...
    def on(self, kind: str) -> Callable[[Callable[..., object]], Callable[..., object]]:
        """Register a handler for one event type.

        Post types get a :class:`PostEvent`, ``dm.received``/``dm.sent`` a
        :class:`DirectMessageEvent`, any other type an :class:`UnknownEvent`.

        Example::

            @receiver.on("post.mention.create")
            def triage(event: PostEvent) -> None: ...
        """
        if not kind or not isinstance(kind, str):
            msg = f"kind must be an event type such as 'post.mention.create', got {kind!r}"
            raise ValueError(msg)

        def register(handler: Callable[..., object]) -> Callable[..., object]:
            with self._lock:
                self._handlers.setdefault(kind, []).append(handler)
            return handler

        return register

    def on_any(self, handler: AH) -> AH:
        """Register a handler for every event (after the type's own handlers)."""
        with self._lock:
            self._any.append(cast("Callable[[WebhookEvent], object]", handler))
        return handler

    def on_unknown(self, handler: UH) -> UH:
        """Register a handler for events whose type has no handler of its own."""
        with self._lock:
            self._unknown.append(cast("Callable[[WebhookEvent], object]", handler))
        return handler

    def _handlers_for(self, event: WebhookEvent) -> list[Callable[[WebhookEvent], object]]:
        with self._lock:
            own = list(self._handlers.get(event.kind, ()))
            fallback = list(self._unknown) if not own else []
            return own + fallback + list(self._any)

    # ------------------------------------------------------------------ CRC

    def crc_response(self, crc_token: str) -> dict[str, str]:
        """X's CRC answer: ``{"response_token": "sha256=..."}``."""
        return {"response_token": crc_response_token(crc_token, self._secret)}

    # ------------------------------------------------------------- delivery

    def verify(self, body: bytes, signature: str | Sequence[str | None] | None) -> None:
        """Check a delivery's signature (or signatures: one of them must match).

        Raises:
            WebhookSignatureError: the signature is missing (status 401) or wrong (403).
        """
        given = [signature] if signature is None or isinstance(signature, str) else signature
        present = [s for s in given if s]
        if not present:
            msg = f"missing {SIGNATURE_HEADER} header"
            raise WebhookSignatureError(msg, status=401)
        # Every candidate is compared (constant time each), so timing tells nothing.
        matches = [signature_matches(body, s, self._secret) for s in present]
        if not any(matches):
            msg = f"{SIGNATURE_HEADER} does not sign this body with the receiver's secret"
            raise WebhookSignatureError(msg, status=403)

    def receive(
        self, body: bytes, signature: str | Sequence[str | None] | None
    ) -> WebhookEvent | None:
        """Verify, parse and handle one delivery; ``None`` if it was seen before.

        Raises:
            WebhookSignatureError: the signature is missing or wrong (nothing handled).
            WebhookError: the body is not an X Activity API event (status 400).
            Exception: whatever a handler raised (the event counts as received).
        """
        self.verify(body, signature)
        try:
            event = parse_event(body)
        except PayloadError as exc:
            raise WebhookError(f"not an X Activity API event: {exc}", status=400) from exc
        if self.replay_guard is not None and event.event_uuid is not None:
            now = self.clock.now()
            key = f"x-activity:{event.event_uuid}"
            if not self.replay_guard.claim(key, expires_at=now + self.replay_window, now=now):
                log.info(
                    "event %s (%s) was delivered before; ignored", event.event_uuid, event.kind
                )
                return None
        for handler in self._handlers_for(event):
            handler(event)
        return event

    def handle(
        self,
        method: str,
        *,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> WebhookResponse:
        """Answer one HTTP request to the webhook URL (any framework can call this).

        ``GET ?crc_token=...`` answers the CRC; ``POST`` delivers an event (signature
        checked first). Header names are matched case-insensitively.

        Answers: 200 (CRC answer, or ``{"received": true}``; a duplicate is 200 too,
        with ``"duplicate": true``), 400 (no ``crc_token``, or a body that is not
        an event), 401/403 (missing/wrong signature), 405 (another method), 500 (a
        handler raised).
        """
        verb = method.upper()
        if verb == "GET":
            token = (query or {}).get("crc_token")
            if not token:
                return WebhookResponse.json(400, {"error": "crc_token query parameter missing"})
            return WebhookResponse.json(200, self.crc_response(token))
        if verb != "POST":
            return WebhookResponse(
                405, (*_JSON, ("allow", "GET, POST")), b'{"error": "method not allowed"}'
            )
        if len(body) > self.max_body_bytes:
            return WebhookResponse.json(413, {"error": "body too large"})
        found = {k.lower(): v for k, v in (headers or {}).items()}
        signatures = [found.get(SIGNATURE_HEADER), found.get(OAUTH2_SIGNATURE_HEADER)]
        try:
            event = self.receive(body, signatures)
        except WebhookError as exc:
            return WebhookResponse.json(exc.status, {"error": str(exc)})
        except Exception:
            log.exception("a webhook handler failed")
            return WebhookResponse.json(500, {"error": "handler failed"})
        if event is None:
            return WebhookResponse.json(200, {"received": True, "duplicate": True})
        return WebhookResponse.json(200, {"received": True}, event)

    # ------------------------------------------------------------------ apps

    def wsgi_app(self) -> WSGIApp:
        """A WSGI application answering at any path (mount it where X should call)."""
        return wsgi_app(self)

    def asgi_app(self) -> ASGIApp:
        """A pure ASGI (3.0) application answering at any path; no framework needed."""
        return asgi_app(self)
