"""Alerts: what a monitor tells people when a matching post arrives, and where it sends it.

A sink is anything with ``deliver(alerts)`` and ``flush()`` (the :class:`AlertSink`
protocol). socialcare ships four:

- :class:`CallbackSink`: call a Python function for every alert.
- :class:`WebhookSink`: POST JSON to a URL, signed with HMAC-SHA256
  (:func:`verify_webhook_signature` checks it on the receiving side).
- :class:`EmailDigestSink`: e-mail over SMTP, instantly or as an hourly or daily digest.
- :class:`AtomFeedSink`: an Atom feed file per stream, for any feed reader.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import smtplib
import tempfile
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import attrs
import httpx
import tenacity

from socialcare._clock import Clock, SystemClock
from socialcare._json import format_time
from socialcare.errors import AlertError, ConfigurationError
from socialcare.models import Post, User

__all__ = [
    "Alert",
    "AlertSink",
    "AtomFeedSink",
    "CallbackSink",
    "DigestSchedule",
    "EmailDigestSink",
    "WebhookSink",
    "sign_webhook",
    "verify_webhook_signature",
]

DigestSchedule = Literal["instant", "hourly", "daily"]
"""How often an :class:`EmailDigestSink` sends: every alert at once, or one digest per period."""

SIGNATURE_HEADER = "X-SocialCare-Signature"
TIMESTAMP_HEADER = "X-SocialCare-Timestamp"
_ATOM = "http://www.w3.org/2005/Atom"


@attrs.frozen
class Alert:
    """A post that a monitor stream matched.

    Attributes:
        stream: the stream (column) that matched, for example ``"brand-mentions"``.
        post: the post.
        received_at: when the monitor received it (UTC).
        author: the post's author, when the platform sent it along.
    """

    stream: str
    post: Post
    received_at: dt.datetime
    author: User | None = None

    @property
    def url(self) -> str:
        """The post's address on x.com."""
        handle = self.author.username if self.author is not None else "i/web"
        return f"https://x.com/{handle}/status/{self.post.id}"

    @property
    def title(self) -> str:
        """A one-line summary: who said what (shortened)."""
        who = f"@{self.author.username}" if self.author is not None else "someone"
        text = " ".join(self.post.full_text.split())
        return f"{who}: {text[:77]}..." if len(text) > 80 else f"{who}: {text}"  # noqa: PLR2004

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict: stream, URL, times, and the post and author as X API v2 JSON."""
        return {
            "stream": self.stream,
            "url": self.url,
            "received_at": format_time(self.received_at),
            "post": self.post.to_x(),
            "author": None if self.author is None else self.author.to_x(),
        }


@runtime_checkable
class AlertSink(Protocol):
    """Where alerts go.

    Contract:
        ``deliver(alerts)`` hands over a batch, oldest first. A sink either
        delivers the batch (or queues it for a digest) or raises
        :class:`~socialcare.errors.AlertError`; it never drops alerts silently.
        ``flush()`` is called by the monitor after every cycle and on shutdown;
        sinks that batch (digests) send what is due then, others do nothing.
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
                raise AlertError(f"alert callback failed on post {alert.post.id}: {exc}") from exc

    def flush(self) -> None:
        """Nothing to flush."""


def sign_webhook(secret: str | bytes, body: bytes, timestamp: int) -> str:
    """The signature header value for ``body`` sent at ``timestamp`` (Unix seconds).

    The signed message is ``b"<timestamp>." + body``; the value reads ``sha256=<hex>``.
    """
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_webhook_signature(
    secret: str | bytes,
    body: bytes,
    *,
    timestamp: str,
    signature: str,
    now: dt.datetime | None = None,
    tolerance: dt.timedelta = dt.timedelta(minutes=5),
) -> bool:
    """Check a webhook request on the receiving side, in constant time.

    Args:
        secret: the shared secret given to :class:`WebhookSink`.
        body: the raw request body, byte for byte.
        timestamp: the ``X-SocialCare-Timestamp`` header.
        signature: the ``X-SocialCare-Signature`` header.
        now: the receiver's current time (defaults to the system clock).
        tolerance: how old a request may be, to refuse replays.

    Returns:
        Whether the signature matches and the timestamp is within ``tolerance`` of ``now``.
    """
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    current = (now or dt.datetime.now(dt.timezone.utc)).timestamp()
    if abs(current - sent) > tolerance.total_seconds():
        return False
    return hmac.compare_digest(sign_webhook(secret, body, sent), signature)


class _RetryableStatusError(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


@attrs.define
class WebhookSink:
    """POST alerts as JSON to ``url``, signed with HMAC-SHA256.

    The body is ``{"alerts": [Alert.to_json(), ...]}``. Two headers let the receiver
    check it came from you and is fresh: ``X-SocialCare-Timestamp`` (Unix seconds)
    and ``X-SocialCare-Signature`` (``sha256=`` + hex HMAC of ``"<timestamp>." + body``);
    see :func:`verify_webhook_signature`.

    Network errors, 429 and 5xx are retried up to ``max_attempts`` times with jittered
    exponential backoff (slept on ``clock``); any other non-2xx fails at once. Both
    end in :class:`~socialcare.errors.AlertError`.

    Attributes:
        url: where to POST.
        secret: the shared signing secret (never logged).
        client: an ``httpx.Client`` to use (one is created otherwise).
        timeout: seconds per attempt.
        max_attempts: attempts per batch, at least 1.
        clock: time for the timestamp header and for backoff sleeps.
    """

    url: str
    secret: str | bytes = attrs.field(repr=False)
    client: httpx.Client | None = attrs.field(default=None, kw_only=True, repr=False)
    timeout: float = attrs.field(default=10.0, kw_only=True)
    max_attempts: int = attrs.field(default=3, kw_only=True)
    clock: Clock = attrs.field(factory=SystemClock, kw_only=True, repr=False)

    def __attrs_post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ConfigurationError(f"webhook url must be http(s), got {self.url!r}")
        if not self.secret:
            raise ConfigurationError("webhook secret must not be empty")
        if self.max_attempts < 1:
            raise ConfigurationError("max_attempts must be at least 1")

    def deliver(self, alerts: Sequence[Alert]) -> None:
        """POST the batch (one request, retried on transient failure)."""
        if not alerts:
            return
        body = json.dumps(
            {"alerts": [a.to_json() for a in alerts]}, ensure_ascii=False, separators=(",", ":")
        ).encode()
        client = self.client or httpx.Client()
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts),
            wait=tenacity.wait_random_exponential(multiplier=0.5, max=30),
            retry=tenacity.retry_if_exception_type((httpx.TransportError, _RetryableStatusError)),
            sleep=self.clock.sleep,
            reraise=True,
        )
        try:
            retrying(self._post, client, body)
        except _RetryableStatusError as exc:
            raise AlertError(
                f"webhook {self.url} kept failing: HTTP {exc.response.status_code}"
            ) from exc
        except httpx.HTTPError as exc:
            raise AlertError(f"webhook {self.url} unreachable: {exc}") from exc
        finally:
            if self.client is None:
                client.close()

    def _post(self, client: httpx.Client, body: bytes) -> None:
        timestamp = int(self.clock.now().timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "socialcare-webhook",
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign_webhook(self.secret, body, timestamp),
        }
        response = client.post(self.url, content=body, headers=headers, timeout=self.timeout)
        if response.status_code == 429 or response.status_code >= 500:  # noqa: PLR2004
            raise _RetryableStatusError(response)
        if not response.is_success:
            raise AlertError(f"webhook {self.url} refused the alerts: HTTP {response.status_code}")

    def flush(self) -> None:
        """Nothing to flush: every batch is sent at once."""


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
        streams = sorted({a.stream for a in alerts})
        if len(alerts) == 1:
            subject = f"{self.subject_prefix} {alerts[0].stream}: {alerts[0].title}"
        else:
            label = "digest" if self.schedule != "instant" else "alerts"
            subject = (
                f"{self.subject_prefix} {self.schedule} {label}: {len(alerts)} posts"
                f" in {', '.join(streams)}"
            )
        lines: list[str] = []
        for stream in streams:
            lines.append(f"== {stream}")
            for alert in (a for a in alerts if a.stream == stream):
                when = alert.post.created_at or alert.received_at
                lines.extend((f"{format_time(when)}  {alert.title}", f"    {alert.url}", ""))
        message = EmailMessage()
        message["Subject"] = subject.replace("\n", " ")
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message.set_content("\n".join(lines))
        return message

    def _send(self, alerts: Sequence[Alert]) -> None:
        message = self._message(alerts)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username is not None:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise AlertError(
                f"could not send alert mail via {self.host}:{self.port}: {exc}"
            ) from exc


@attrs.define
class AtomFeedSink:
    """Keep an Atom feed file per stream (``<directory>/<stream>.atom``), newest first.

    Each write replaces the file atomically (write to a temporary file, then rename),
    so a feed reader never sees half a file. Entries already in the file survive a
    restart; at most ``max_entries`` are kept.

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
        """The feed file of ``stream`` (the name made safe for a file name)."""
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in stream).strip(".")
        return self.directory / f"{safe or 'stream'}.atom"

    def deliver(self, alerts: Sequence[Alert]) -> None:
        """Add the alerts to their streams' feeds."""
        by_stream: dict[str, list[Alert]] = {}
        for alert in alerts:
            by_stream.setdefault(alert.stream, []).append(alert)
        for stream, batch in by_stream.items():
            try:
                self._write(stream, batch)
            except OSError as exc:
                raise AlertError(f"could not write the Atom feed for {stream!r}: {exc}") from exc

    def flush(self) -> None:
        """Nothing to flush: feeds are written on delivery."""

    def _entry(self, alert: Alert) -> ET.Element:
        entry = ET.Element(f"{{{_ATOM}}}entry")
        ET.SubElement(entry, f"{{{_ATOM}}}id").text = f"tag:x.com,2006:status/{alert.post.id}"
        ET.SubElement(entry, f"{{{_ATOM}}}title").text = alert.title
        ET.SubElement(entry, f"{{{_ATOM}}}link", {"href": alert.url, "rel": "alternate"})
        ET.SubElement(entry, f"{{{_ATOM}}}updated").text = _atom_time(
            alert.post.created_at or alert.received_at
        )
        author = ET.SubElement(entry, f"{{{_ATOM}}}author")
        ET.SubElement(author, f"{{{_ATOM}}}name").text = (
            f"@{alert.author.username}" if alert.author is not None else "unknown"
        )
        ET.SubElement(entry, f"{{{_ATOM}}}content", {"type": "text"}).text = alert.post.full_text
        return entry

    def _existing_entries(self, path: Path) -> list[ET.Element]:
        if not path.exists():
            return []
        try:
            root = ET.parse(path).getroot()  # noqa: S314 - our own file, written by this sink
        except ET.ParseError:
            return []  # a damaged feed is rebuilt from the new entries
        return root.findall(f"{{{_ATOM}}}entry")

    def _write(self, stream: str, alerts: Sequence[Alert]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path_for(stream)
        new = [self._entry(a) for a in reversed(alerts)]  # newest first
        new_ids = {e.findtext(f"{{{_ATOM}}}id") for e in new}
        old = [
            e for e in self._existing_entries(path) if e.findtext(f"{{{_ATOM}}}id") not in new_ids
        ]
        ET.register_namespace("", _ATOM)
        feed = ET.Element(f"{{{_ATOM}}}feed")
        ET.SubElement(feed, f"{{{_ATOM}}}id").text = f"urn:socialcare:stream:{stream}"
        ET.SubElement(feed, f"{{{_ATOM}}}title").text = f"socialcare: {stream}"
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


def _atom_time(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
