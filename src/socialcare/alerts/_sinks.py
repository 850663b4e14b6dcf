"""Alerts: what a monitor tells people when a matching post arrives, and where it sends it.

A sink is anything with ``deliver(alerts)`` and ``flush()`` (the :class:`AlertSink`
protocol). socialcare ships four:

- :class:`CallbackSink`: call a Python function for every alert.
- :class:`WebhookSink`: POST JSON to a URL, signed with HMAC-SHA256
  (:func:`verify_webhook_signature` checks it on the receiving side).
- :class:`EmailDigestSink`: e-mail over SMTP, instantly or as an hourly or daily digest.
- :class:`AtomFeedSink`: an Atom feed file per stream, for any feed reader.

Alerts may carry any text (a post built by hand can hold control characters or
lone surrogates); every sink cleans what it writes, so delivery fails only with
:class:`~socialcare.errors.AlertError`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import re
import smtplib
import tempfile
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Final, Literal, Protocol, runtime_checkable
from urllib.parse import urlsplit

import attrs
import httpx
import tenacity

from socialcare._clock import Clock, SystemClock
from socialcare._json import Fields, format_time
from socialcare._text_repr import clip, valid_unicode
from socialcare.alerts._replay import ReplayGuard
from socialcare.errors import AlertError, ConfigurationError, PayloadError
from socialcare.models import Post, User

__all__ = [
    "Alert",
    "AlertSink",
    "AtomFeedSink",
    "CallbackSink",
    "DigestSchedule",
    "EmailDigestSink",
    "WebhookSink",
    "redact_url",
    "sign_webhook",
    "verify_webhook_signature",
]

DigestSchedule = Literal["instant", "hourly", "daily"]
"""How often an :class:`EmailDigestSink` sends: every alert at once, or one digest per period."""

SIGNATURE_HEADER = "X-SocialCare-Signature"
TIMESTAMP_HEADER = "X-SocialCare-Timestamp"
DELIVERY_HEADER = "X-SocialCare-Delivery"
_ATOM = "http://www.w3.org/2005/Atom"
_RECORD_VERSION: Final = 1
_log = logging.getLogger("socialcare.alerts")

# Characters XML 1.0 forbids (C0 controls but tab/LF/CR, surrogates, U+FFFE/U+FFFF).
_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Characters that break a line or a header: every control character and Unicode line breaks.
_NOT_INLINE: Final = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def _inline(text: str) -> str:
    """``text`` as one clean line: valid Unicode, every control character a space."""
    return _NOT_INLINE.sub(" ", valid_unicode(text))


def _xml(text: str) -> str:
    """``text`` with every character XML 1.0 forbids replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def _clean_json(value: object) -> object:
    """``value`` (JSON-ready) with lone surrogates in strings replaced by U+FFFD."""
    if isinstance(value, str):
        return valid_unicode(value)
    if isinstance(value, dict):
        return {valid_unicode(str(k)): _clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_json(v) for v in value]
    return value


def _utf8_json(value: object) -> bytes:
    """Compact UTF-8 JSON; strings that are not valid Unicode are repaired first."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    except UnicodeEncodeError:
        cleaned = _clean_json(value)
        return json.dumps(cleaned, ensure_ascii=False, separators=(",", ":")).encode()


@attrs.frozen
class Alert:
    """A post that a monitor stream matched.

    Attributes:
        stream: the stream (column) that matched, for example ``"brand-mentions"``.
        post: the post.
        received_at: when the monitor received it (UTC).
        author: the post's author, when the platform sent it along.
        reason: why the alert was raised, when it is more than "a stream matched"
            (the own-account guard: ``"not sent through the outbox"``); it leads the
            :attr:`title`.
        link: where to see it when that is not the post's page on x.com (a direct
            message's conversation, ``https://x.com/messages/<conversation id>``).
    """

    stream: str
    post: Post
    received_at: dt.datetime
    author: User | None = None
    reason: str | None = None
    link: str | None = None

    @property
    def delivery_id(self) -> str:
        """A stable id of this alert: the same stream and post always give the same id.

        32 hex digits of a SHA-256 of the stream name and the post id. A sink that
        delivers an alert again (a retry, or the monitor's outbox after a failure)
        sends the same id, so receivers can de-duplicate.
        """
        raw = f"{self.stream}\x00{self.post.id}".encode("utf-8", "surrogatepass")
        return hashlib.sha256(raw).hexdigest()[:32]

    @property
    def url(self) -> str:
        """The post's address on x.com (or :attr:`link` when set)."""
        if self.link is not None:
            return self.link
        handle = self.author.username if self.author is not None else "i/web"
        return f"https://x.com/{handle}/status/{self.post.id}"

    @property
    def title(self) -> str:
        """A one-line summary: who said what (shortened)."""
        who = f"@{self.author.username}" if self.author is not None else "someone"
        if self.reason is not None:
            who = f"{' '.join(self.reason.split())}: {who}"
        text = " ".join(self.post.full_text.split())
        return f"{who}: {text[:77]}..." if len(text) > 80 else f"{who}: {text}"  # noqa: PLR2004

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict: delivery id, stream, URL, times, post and author as X API v2 JSON.

        ``"reason"`` is added when the alert has one.
        """
        out: dict[str, object] = {
            "delivery_id": self.delivery_id,
            "stream": self.stream,
            "url": self.url,
            "received_at": format_time(self.received_at),
            "post": self.post.to_x(),
            "author": None if self.author is None else self.author.to_x(),
        }
        if self.reason is not None:
            out["reason"] = self.reason
        return out

    def to_record(self) -> dict[str, object]:
        """A JSON-compatible mapping to persist this alert; :meth:`from_record` reads it back.

        ``Alert.from_record(alert.to_record()) == alert`` for alerts whose post and
        author came from X (built by ``from_x``); times keep full precision. Strings
        are valid Unicode (lone surrogates become U+FFFD, as in ``from_x``), so the
        record always encodes as UTF-8 JSON. The layout is versioned
        (``"version": 1``) and will stay readable by later releases.
        """
        record: dict[str, object] = {
            "version": _RECORD_VERSION,
            "stream": self.stream,
            "received_at": self.received_at.isoformat(),
            "post": self.post.to_x(),
            "post_created_at": (
                None if self.post.created_at is None else self.post.created_at.isoformat()
            ),
            "author": None if self.author is None else self.author.to_x(),
        }
        if self.reason is not None:
            record["reason"] = self.reason
        if self.link is not None:
            record["link"] = self.link
        cleaned = _clean_json(record)
        assert isinstance(cleaned, dict)  # noqa: S101 - a dict stays a dict
        return cleaned

    @classmethod
    def from_record(cls, record: Mapping[str, object]) -> Alert:
        """Rebuild an alert from :meth:`to_record`'s mapping.

        Raises:
            PayloadError: the record is malformed or of an unknown version; the
                error names the field (``alert.post.id``).
        """
        f = Fields(record, "alert")
        version = f.integer("version", required=True)
        if version != _RECORD_VERSION:
            raise PayloadError(
                f"unknown alert record version {clip(version)}", field="alert.version"
            )
        post_fields = f.obj("post")
        if post_fields is None:
            raise PayloadError("required field is missing", field="alert.post")
        post = Post.from_x(post_fields.raw_mapping(), path="alert.post")
        created_at = f.time("post_created_at", exact=True)
        if created_at is not None:
            post = attrs.evolve(post, created_at=created_at)
        author = f.obj("author")
        received_at = f.time("received_at", required=True, exact=True)
        assert received_at is not None  # noqa: S101 - required=True guarantees it
        return cls(
            stream=f.string("stream"),
            post=post,
            received_at=received_at,
            author=None
            if author is None
            else User.from_x(author.raw_mapping(), path="alert.author"),
            reason=f.string("reason", required=False),
            link=f.string("link", required=False),
        )


@runtime_checkable
class AlertSink(Protocol):
    """Where alerts go.

    Contract:
        ``deliver(alerts)`` hands over a batch, oldest first. A sink either
        delivers the batch (or queues it for a digest) or raises
        :class:`~socialcare.errors.AlertError` - never any other exception, whatever
        text the alerts carry; it never drops alerts silently.
        ``flush()`` is called by the monitor after every cycle and on shutdown;
        sinks that batch (digests) send what is due then, others do nothing; it
        too raises only ``AlertError``.

        Delivery is at least once: after an ``AlertError`` the caller may call
        ``deliver`` again later with the same alerts (the monitor keeps failed
        alerts in an outbox, persisted with :meth:`Alert.to_record`). Part of a
        failed batch may already have arrived, so sinks should be idempotent or
        let receivers de-duplicate by :attr:`Alert.delivery_id`:
        :class:`WebhookSink` sends it per alert and a batch id in the
        ``X-SocialCare-Delivery`` header; :class:`AtomFeedSink` is idempotent (an
        entry id appears once per feed); :class:`EmailDigestSink` may send a
        mail twice; :class:`CallbackSink` calls the callback again.
        A monitor calls a sink from one thread at a time.
    """

    def deliver(self, alerts: Sequence[Alert]) -> None:
        """Deliver (or queue) a batch of alerts."""
        ...

    def flush(self) -> None:
        """Send whatever is due."""
        ...


@attrs.define
class CallbackSink:
    """Call ``callback(alert)`` for every alert; an exception becomes :class:`AlertError`."""

    callback: Callable[[Alert], object]

    def deliver(self, alerts: Sequence[Alert]) -> None:
        """Call the callback once per alert, in order."""
        for alert in alerts:
            try:
                self.callback(alert)
            except Exception as exc:
                raise AlertError(
                    f"alert callback failed on post {clip(alert.post.id)}: "
                    f"{type(exc).__name__}: {clip(_inline(str(exc)), 200)}"
                ) from exc

    def flush(self) -> None:
        """Nothing to flush."""


def sign_webhook(secret: str | bytes, body: bytes, timestamp: int) -> str:
    """The signature header value for ``body`` sent at ``timestamp`` (Unix seconds).

    The signed message is ``b"<timestamp>." + body``; the value reads ``sha256=<hex>``.
    A ``str`` secret is used as its UTF-8 bytes.
    """
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


# Unix seconds as the sink sends them: ASCII digits, no sign, no leading zero, no "_".
_TIMESTAMP: Final = re.compile("0|[1-9][0-9]{0,11}")
_SIGNATURE: Final = re.compile("sha256=[0-9a-f]{64}")


def verify_webhook_signature(
    secret: str | bytes,
    body: bytes,
    *,
    timestamp: str,
    signature: str,
    now: dt.datetime | None = None,
    tolerance: dt.timedelta = dt.timedelta(minutes=5),
    replay_guard: ReplayGuard | None = None,
) -> bool:
    """Check a webhook request on the receiving side, in constant time.

    Every malformed input makes it return ``False``, never raise: a ``body`` that
    is not bytes, a ``timestamp`` or ``signature`` that is not a ``str`` (``None``
    for a missing header), a timestamp that is not plain Unix seconds (ASCII
    digits only, at most 12, no sign, ``_`` or leading zero: ``"+1767225600"``,
    ``"01767225600"`` and ``"1767_225600"`` are refused), or a signature that is
    not ``sha256=`` and 64 lowercase hex digits, or a ``str`` secret that is not valid
    Unicode (a lone surrogate: no sender can sign with it). Only a ``secret`` of the wrong type
    (neither ``str`` nor ``bytes``) raises ``TypeError``: that is a bug in the
    receiver, not a bad request.

    Without ``replay_guard`` a captured request verifies again and again within
    ``tolerance``. With one, each signature is accepted once: a second delivery
    of the same signed request returns ``False``. (A sink's own retry is a new
    request with a new timestamp; de-duplicate those by the
    ``X-SocialCare-Delivery`` header or the alerts' ``delivery_id``.)

    Args:
        secret: the shared secret given to :class:`WebhookSink`.
        body: the raw request body, byte for byte (``bytes``, ``bytearray`` or ``memoryview``).
        timestamp: the ``X-SocialCare-Timestamp`` header.
        signature: the ``X-SocialCare-Signature`` header.
        now: the receiver's current time (defaults to the system clock).
        tolerance: how old (or how far ahead) a request may be, to refuse replays.
        replay_guard: remembers accepted signatures until they expire, see
            :class:`MemoryReplayGuard`; checked only once everything else passed.

    Returns:
        Whether the signature matches, the timestamp is within ``tolerance`` of
        ``now``, and (with a guard) the request was not seen before.

    Raises:
        TypeError: ``secret`` is neither ``str`` nor ``bytes``.
    """
    # Receivers pass raw header values: check the types at run time, whatever the hints say.
    given: tuple[object, object, object, object] = (secret, body, timestamp, signature)
    raw_secret, raw_body, raw_timestamp, raw_signature = given
    if not _usable_secret(raw_secret):
        return False  # no sender can sign with it: WebhookSink refuses such a secret
    if not isinstance(raw_body, bytes | bytearray | memoryview):
        return False
    if not isinstance(raw_timestamp, str) or _TIMESTAMP.fullmatch(raw_timestamp) is None:
        return False
    if not isinstance(raw_signature, str) or _SIGNATURE.fullmatch(raw_signature) is None:
        return False
    sent = int(timestamp)
    moment = now or dt.datetime.now(dt.timezone.utc)
    if abs(moment.timestamp() - sent) > tolerance.total_seconds():
        return False
    if not hmac.compare_digest(sign_webhook(secret, bytes(body), sent), signature):
        return False
    if replay_guard is None:
        return True
    try:
        expires_at = dt.datetime.fromtimestamp(sent, dt.timezone.utc) + tolerance
    except (OverflowError, ValueError, OSError):
        expires_at = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
    if moment.tzinfo is None:
        moment = moment.astimezone(dt.timezone.utc)
    return replay_guard.claim(signature, expires_at=expires_at, now=moment)


def _usable_secret(secret: object) -> bool:
    """Whether ``secret`` can sign: bytes, or a ``str`` that is valid Unicode.

    Raises:
        TypeError: ``secret`` is neither ``str`` nor ``bytes``.
    """
    if not isinstance(secret, str | bytes):
        raise TypeError(f"secret must be str or bytes, got {type(secret).__name__}")
    return isinstance(secret, bytes) or _encodable(secret)


def _encodable(text: str) -> bool:
    """Whether ``text`` is valid Unicode (no lone surrogates), so has UTF-8 bytes."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def redact_url(url: str) -> str:
    """``url`` safe to show: scheme, host and port, and a fingerprint of the rest.

    User info, path and query often hold secrets (tokens in webhook URLs), so they
    are replaced by ``…#`` and the first 8 hex digits of the SHA-256 of the whole
    URL: ``https://hooks.example.com/…#1f2e3d4c``. Two sinks with different URLs
    on one host still read differently.
    """
    fingerprint = hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = parts.port
    except ValueError:
        return f"<unparsable url>#{fingerprint}"
    if ":" in host:
        host = f"[{host}]"
    where = f"{host}:{port}" if port is not None else host
    return f"{_inline(parts.scheme)[:10]}://{_inline(where)[:100]}/…#{fingerprint}"


class _RetryableStatusError(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def _check_url(url: object) -> str:
    if not isinstance(url, str):
        raise ConfigurationError(f"webhook url must be a str, got {type(url).__name__}")
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        parts, port_ok = None, False
    if parts is None or parts.scheme not in ("http", "https"):
        scheme = "" if parts is None else f" (got scheme {clip(parts.scheme, 10)})"
        raise ConfigurationError(f"webhook url must be an http(s) URL{scheme}")
    if not parts.hostname or not port_ok or _NOT_INLINE.search(url) or " " in url:
        raise ConfigurationError(
            f"webhook url {redact_url(url)} needs a host, a valid port and no spaces "
            "or control characters"
        )
    return url


@attrs.define
class WebhookSink:
    """POST alerts as JSON to ``url``, signed with HMAC-SHA256.

    The body is ``{"delivery_id": ..., "alerts": [Alert.to_json(), ...]}``. Headers
    let the receiver check it came from you and is fresh: ``X-SocialCare-Timestamp``
    (Unix seconds) and ``X-SocialCare-Signature`` (``sha256=`` + hex HMAC of
    ``"<timestamp>." + body``); see :func:`verify_webhook_signature`.
    ``X-SocialCare-Delivery`` (also the body's ``delivery_id``) is the same for
    every attempt to deliver the same alerts - this sink's retries and the
    monitor's later ones - so receivers can de-duplicate; each alert also carries
    its own :attr:`Alert.delivery_id`.

    Network errors, 429 and 5xx are retried up to ``max_attempts`` times with jittered
    exponential backoff (slept on ``clock``); any other non-2xx fails at once. Both
    end in :class:`~socialcare.errors.AlertError`.

    The URL is a secret too (user info, tokens in the path or query): ``repr`` and
    every message show only :attr:`display_url` (scheme, host, port and a
    fingerprint). httpx itself logs full request URLs at INFO on the ``httpx``
    logger; keep that logger at WARNING where logs are shared.

    Attributes:
        url: where to POST.
        secret: the shared signing secret (never logged).
        client: an ``httpx.Client`` to use (one is created otherwise).
        timeout: seconds per attempt.
        max_attempts: attempts per batch, at least 1.
        clock: time for the timestamp header and for backoff sleeps.
    """

    url: str = attrs.field(converter=_check_url, repr=redact_url)
    secret: str | bytes = attrs.field(repr=False)
    client: httpx.Client | None = attrs.field(default=None, kw_only=True, repr=False)
    timeout: float = attrs.field(default=10.0, kw_only=True)
    max_attempts: int = attrs.field(default=3, kw_only=True)
    clock: Clock = attrs.field(factory=SystemClock, kw_only=True, repr=False)

    def __attrs_post_init__(self) -> None:
        secret: object = self.secret
        if not isinstance(secret, str | bytes) or not secret:
            raise ConfigurationError("webhook secret must be a non-empty str or bytes")
        if isinstance(self.secret, str) and not _encodable(self.secret):
            raise ConfigurationError("webhook secret must be valid Unicode")
        if self.max_attempts < 1:
            raise ConfigurationError("max_attempts must be at least 1")

    @property
    def display_url(self) -> str:
        """The URL as messages and ``repr`` show it, see :func:`redact_url`."""
        return redact_url(self.url)

    @staticmethod
    def batch_id(alerts: Sequence[Alert]) -> str:
        """The ``X-SocialCare-Delivery`` value for ``alerts``: stable for the same alerts."""
        if len(alerts) == 1:
            return alerts[0].delivery_id
        joined = ",".join(a.delivery_id for a in alerts)
        return hashlib.sha256(joined.encode()).hexdigest()[:32]

    def deliver(self, alerts: Sequence[Alert]) -> None:
        """POST the batch (one request, retried on transient failure)."""
        if not alerts:
            return
        delivery = self.batch_id(alerts)
        body = _utf8_json({"delivery_id": delivery, "alerts": [a.to_json() for a in alerts]})
        client = self.client or httpx.Client()
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts),
            wait=tenacity.wait_random_exponential(multiplier=0.5, max=30),
            retry=tenacity.retry_if_exception_type((httpx.TransportError, _RetryableStatusError)),
            sleep=self.clock.sleep,
            reraise=True,
        )
        try:
            retrying(self._post, client, body, delivery)
        except _RetryableStatusError as exc:
            raise AlertError(
                f"webhook {self.display_url} kept failing: HTTP {exc.response.status_code}"
            ) from exc
        except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
            detail = self._safe_detail(exc)
            message = f"webhook {self.display_url} unreachable: {detail}"
            if detail == type(exc).__name__:
                # The original message names the URL; do not chain it into tracebacks.
                raise AlertError(message) from None
            raise AlertError(message) from exc
        finally:
            if self.client is None:
                client.close()

    def _safe_detail(self, exc: BaseException) -> str:
        """The exception's type and message, or just its type when the message holds the URL."""
        text = _inline(str(exc))
        parts = urlsplit(self.url)
        secrets = [self.url, parts.username, parts.password, parts.query, parts.fragment]
        if parts.path not in ("", "/"):
            secrets.append(parts.path)
        if any(part and part in text for part in secrets):
            return type(exc).__name__
        return f"{type(exc).__name__}: {clip(text, 200)}"

    def _post(self, client: httpx.Client, body: bytes, delivery: str) -> None:
        timestamp = int(self.clock.now().timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "socialcare-webhook",
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign_webhook(self.secret, body, timestamp),
            DELIVERY_HEADER: delivery,
        }
        response = client.post(self.url, content=body, headers=headers, timeout=self.timeout)
        if response.status_code == 429 or response.status_code >= 500:  # noqa: PLR2004
            raise _RetryableStatusError(response)
        if not response.is_success:
            raise AlertError(
                f"webhook {self.display_url} refused the alerts: HTTP {response.status_code}"
            )

    def flush(self) -> None:
        """Nothing to flush: every batch is sent at once."""


_MAX_SUBJECT: Final = 250


def _check_address(role: str, address: object) -> None:
    if not isinstance(address, str):
        raise ConfigurationError(f"e-mail {role} must be a str, got {type(address).__name__}")
    if _NOT_INLINE.search(address) or valid_unicode(address) != address:
        raise ConfigurationError(
            f"e-mail {role} {clip(address)} holds a line break, a control character or "
            "a lone surrogate"
        )
    if "@" not in address:
        raise ConfigurationError(f"e-mail {role} {clip(address)} is not an address (no '@')")


_PERIODS: Mapping[str, dt.timedelta] = {
    "hourly": dt.timedelta(hours=1),
    "daily": dt.timedelta(days=1),
}


@attrs.define
class EmailDigestSink:
    """E-mail alerts over SMTP: one mail per batch, or an hourly or daily digest.

    Digests collect alerts in memory and send them when ``flush()`` runs after the
    period has passed since the last digest (periods align to whole hours / days in
    UTC). Alerts queued but not yet sent are lost if the process dies; call
    ``flush(force=True)`` on shutdown (the monitor does).

    Attributes:
        host: SMTP server.
        port: SMTP port.
        sender: the From address.
        recipients: the To addresses (at least one).
        schedule: ``"instant"``, ``"hourly"`` or ``"daily"``.
        username: SMTP login, if the server needs one.
        password: SMTP password (never logged).
        starttls: upgrade the connection with STARTTLS before login.
        subject_prefix: starts every subject line.
        clock: decides when a digest is due.
        timeout: seconds for the SMTP conversation.
    """

    host: str
    port: int
    sender: str = attrs.field(kw_only=True)
    recipients: tuple[str, ...] = attrs.field(kw_only=True, converter=tuple)
    schedule: DigestSchedule = attrs.field(default="instant", kw_only=True)
    username: str | None = attrs.field(default=None, kw_only=True)
    password: str | None = attrs.field(default=None, kw_only=True, repr=False)
    starttls: bool = attrs.field(default=False, kw_only=True)
    subject_prefix: str = attrs.field(default="[socialcare]", kw_only=True)
    clock: Clock = attrs.field(factory=SystemClock, kw_only=True, repr=False)
    timeout: float = attrs.field(default=30.0, kw_only=True)
    _pending: list[Alert] = attrs.field(factory=list, init=False, repr=False)
    _period_start: dt.datetime | None = attrs.field(default=None, init=False, repr=False)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if not self.recipients:
            raise ConfigurationError("EmailDigestSink needs at least one recipient")
        for role, address in (
            ("sender", self.sender),
            *(("recipient", r) for r in self.recipients),
        ):
            _check_address(role, address)
        credentials: tuple[tuple[str, object], ...] = (
            ("username", self.username),
            ("password", self.password),
        )
        for role, value in credentials:
            if value is not None and (not isinstance(value, str) or _NOT_INLINE.search(value)):
                raise ConfigurationError(f"SMTP {role} must be a str without control characters")
        if self.schedule not in {"instant", "hourly", "daily"}:
            raise ConfigurationError(
                f"schedule must be 'instant', 'hourly' or 'daily', got {self.schedule!r}"
            )

    @property
    def pending(self) -> int:
        """How many alerts wait for the next digest."""
        return len(self._pending)

    def _period_of(self, when: dt.datetime) -> dt.datetime:
        when = when.astimezone(dt.timezone.utc)
        if self.schedule == "daily":
            return when.replace(hour=0, minute=0, second=0, microsecond=0)
        return when.replace(minute=0, second=0, microsecond=0)

    def deliver(self, alerts: Sequence[Alert]) -> None:
        """Send now (instant) or queue for the digest."""
        if not alerts:
            return
        if self.schedule == "instant":
            self._send(list(alerts))
            return
        with self._lock:
            if self._period_start is None:
                self._period_start = self._period_of(self.clock.now())
            self._pending.extend(alerts)

    def flush(self, *, force: bool = False) -> None:
        """Send the digest if its period has ended (or ``force``); keep alerts if sending fails."""
        with self._lock:
            if not self._pending or self._period_start is None:
                return
            due = self._period_start + _PERIODS[self.schedule]
            if not force and self.clock.now() < due:
                return
            batch = list(self._pending)
        self._send(batch)
        with self._lock:
            del self._pending[: len(batch)]
            self._period_start = self._period_of(self.clock.now()) if self._pending else None

    def _message(self, alerts: Sequence[Alert]) -> EmailMessage:
        # Everything taken from the alerts is made one clean line first: no CR/LF can
        # reach a header (no header injection), no surrogate can reach the encoder.
        streams = sorted({_inline(a.stream) for a in alerts})
        if len(alerts) == 1:
            subject = f"{self.subject_prefix} {_inline(alerts[0].stream)}: {alerts[0].title}"
        else:
            label = "digest" if self.schedule != "instant" else "alerts"
            subject = (
                f"{self.subject_prefix} {self.schedule} {label}: {len(alerts)} posts"
                f" in {', '.join(streams)}"
            )
        subject = " ".join(_inline(subject).split())
        if len(subject) > _MAX_SUBJECT:
            subject = subject[: _MAX_SUBJECT - 3] + "..."
        lines: list[str] = []
        for stream in streams:
            lines.append(f"== {stream}")
            for alert in (a for a in alerts if _inline(a.stream) == stream):
                when = alert.post.created_at or alert.received_at
                lines.extend(
                    (
                        f"{format_time(when)}  {_inline(alert.title)}",
                        f"    {_inline(alert.url)}",
                        "",
                    )
                )
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message.set_content("\n".join(lines))
        return message

    def _send(self, alerts: Sequence[Alert]) -> None:
        try:
            message = self._message(alerts)
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username is not None:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError, ValueError) as exc:
            detail = clip(_inline(str(exc)), 200)
            raise AlertError(
                f"could not send alert mail via {self.host}:{self.port}: "
                f"{type(exc).__name__}: {detail}"
            ) from exc


@attrs.define
class AtomFeedSink:
    """Keep an Atom feed file per stream (``<directory>/<stream>.atom``), newest first.

    Each write replaces the file atomically (write to a temporary file, then rename),
    so a feed reader never sees half a file. Entries already in the file survive a
    restart; at most ``max_entries`` are kept. Delivering an alert twice is harmless:
    an entry id appears once per feed.

    Text that XML 1.0 cannot hold (control characters other than tab, LF and CR,
    U+FFFE, U+FFFF, lone surrogates) becomes U+FFFD in titles, content, authors, ids
    and links, so the feed stays valid XML. An existing feed file that cannot be
    parsed is never silently dropped: it is renamed to
    ``<name>.atom.corrupt-<UTC time>`` (a warning is logged on ``socialcare.alerts``)
    and a new feed is started next to it.

    Attributes:
        directory: where the feed files go (created if missing).
        max_entries: entries kept per feed.
        clock: the feed's ``updated`` time.
    """

    directory: Path = attrs.field(converter=Path)
    max_entries: int = attrs.field(default=100, kw_only=True)
    clock: Clock = attrs.field(factory=SystemClock, kw_only=True, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.max_entries < 1:
            raise ConfigurationError("max_entries must be at least 1")

    def path_for(self, stream: str) -> Path:
        """The feed file of ``stream``; different streams never share a file.

        A name of letters, digits, ``-``, ``_`` and ``.`` (not starting or ending with
        ``.``, at most 100 characters) is used as it is: ``brand`` -> ``brand.atom``.
        Any other name gets a safe form plus ``~`` and 16 hex digits of its SHA-256
        (``outages/eu`` -> ``outages_eu~<hash>.atom``); ``~`` never occurs in a plain
        name, so the mapping is one-to-one.
        """
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in stream).strip(".")
        if safe == stream and len(stream) <= _MAX_PLAIN_NAME:
            return self.directory / f"{safe}.atom"
        digest = hashlib.sha256(stream.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        return self.directory / f"{safe[:_MAX_PLAIN_NAME] or 'stream'}~{digest}.atom"

    def deliver(self, alerts: Sequence[Alert]) -> None:
        """Add the alerts to their streams' feeds."""
        by_stream: dict[str, list[Alert]] = {}
        for alert in alerts:
            by_stream.setdefault(alert.stream, []).append(alert)
        for stream, batch in by_stream.items():
            try:
                self._write(stream, batch)
            except (OSError, ValueError, ET.ParseError) as exc:
                raise AlertError(
                    f"could not write the Atom feed for {clip(stream)}: "
                    f"{type(exc).__name__}: {clip(_inline(str(exc)), 200)}"
                ) from exc

    def flush(self) -> None:
        """Nothing to flush: feeds are written on delivery."""

    def _entry(self, alert: Alert) -> ET.Element:
        entry = ET.Element(f"{{{_ATOM}}}entry")
        ET.SubElement(entry, f"{{{_ATOM}}}id").text = _xml(
            f"tag:x.com,2006:status/{_inline(alert.post.id)}"
        )
        ET.SubElement(entry, f"{{{_ATOM}}}title").text = _xml(_inline(alert.title))
        ET.SubElement(
            entry, f"{{{_ATOM}}}link", {"href": _xml(_inline(alert.url)), "rel": "alternate"}
        )
        ET.SubElement(entry, f"{{{_ATOM}}}updated").text = _atom_time(
            alert.post.created_at or alert.received_at
        )
        author = ET.SubElement(entry, f"{{{_ATOM}}}author")
        ET.SubElement(author, f"{{{_ATOM}}}name").text = _xml(
            _inline(f"@{alert.author.username}") if alert.author is not None else "unknown"
        )
        ET.SubElement(entry, f"{{{_ATOM}}}content", {"type": "text"}).text = _xml(
            alert.post.full_text
        )
        return entry

    def _existing_entries(self, path: Path) -> list[ET.Element]:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return []
        try:
            root = ET.fromstring(data)  # noqa: S314 - our own file, written by this sink
        except ET.ParseError as exc:
            self._set_aside(path, exc)
            return []
        return root.findall(f"{{{_ATOM}}}entry")

    def _set_aside(self, path: Path, error: ET.ParseError) -> None:
        stamp = self.clock.now().astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        aside = path.with_name(f"{path.name}.corrupt-{stamp}")
        number = 1
        while aside.exists():
            number += 1
            aside = path.with_name(f"{path.name}.corrupt-{stamp}-{number}")
        path.replace(aside)
        _log.warning(
            "the Atom feed %s could not be parsed (%s); kept it as %s and started a new feed",
            path,
            error,
            aside.name,
        )

    def _write(self, stream: str, alerts: Sequence[Alert]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path_for(stream)
        new = [self._entry(a) for a in reversed(alerts)]  # newest first
        new_ids = {e.findtext(f"{{{_ATOM}}}id") for e in new}
        old = [
            e for e in self._existing_entries(path) if e.findtext(f"{{{_ATOM}}}id") not in new_ids
        ]
        name = _xml(_inline(stream))
        ET.register_namespace("", _ATOM)
        feed = ET.Element(f"{{{_ATOM}}}feed")
        ET.SubElement(feed, f"{{{_ATOM}}}id").text = f"urn:socialcare:stream:{name}"
        ET.SubElement(feed, f"{{{_ATOM}}}title").text = f"socialcare: {name}"
        ET.SubElement(feed, f"{{{_ATOM}}}updated").text = _atom_time(self.clock.now())
        for entry in (new + old)[: self.max_entries]:
            feed.append(entry)
        data = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            Path(tmp).replace(path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


_MAX_PLAIN_NAME: Final = 100


def _atom_time(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
