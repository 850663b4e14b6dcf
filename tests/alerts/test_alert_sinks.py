"""Alert sinks against real loopback servers: HTTP for webhooks, SMTP (aiosmtpd) for mail."""

from __future__ import annotations

import datetime as dt
import email
import json
import socket
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from socialcare import (
    Alert,
    AlertError,
    AlertSink,
    AtomFeedSink,
    CallbackSink,
    ConfigurationError,
    EmailDigestSink,
    ManualClock,
    Post,
    User,
    WebhookSink,
    sign_webhook,
    verify_webhook_signature,
)

UTC = dt.timezone.utc
ATOM = "{http://www.w3.org/2005/Atom}"


def _free_port() -> int:
    """A loopback port nobody listens on (bound, read, released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _alert(n: int, stream: str = "brand", *, author: bool = True) -> Alert:
    post = Post(
        id=str(1000 + n),
        text=f"@acme my order {n} is late <again> & again",
        author_id="7",
        created_at=dt.datetime(2026, 11, 20, 9, n % 60, tzinfo=UTC),
    )
    user = User(id="7", username="dana", name="Dana") if author else None
    return Alert(
        stream=stream, post=post, received_at=dt.datetime(2026, 11, 20, 10, tzinfo=UTC), author=user
    )


def test_alert_json_and_title() -> None:
    alert = _alert(1)
    data = alert.to_json()
    assert data["url"] == "https://x.com/dana/status/1001"
    assert data["post"] == alert.post.to_x()
    assert data["received_at"] == "2026-11-20T10:00:00.000Z"
    assert alert.title.startswith("@dana: @acme my order 1")
    anonymous = _alert(2, author=False)
    assert anonymous.url == "https://x.com/i/web/status/1002"
    assert anonymous.to_json()["author"] is None
    long = Alert(stream="s", post=Post(id="1", text="x" * 200), received_at=alert.received_at)
    assert len(long.title) <= 90
    assert long.title.endswith("...")


def test_every_sink_satisfies_the_protocol(tmp_path: Path) -> None:
    sinks = [
        CallbackSink(print),
        WebhookSink("http://127.0.0.1:9/hook", "s"),
        EmailDigestSink("127.0.0.1", 25, sender="a@x", recipients=["b@x"]),
        AtomFeedSink(tmp_path),
    ]
    for sink in sinks:
        assert isinstance(sink, AlertSink)


def test_callback_sink_calls_in_order_and_wraps_errors() -> None:
    seen: list[str] = []
    CallbackSink(lambda a: seen.append(a.post.id)).deliver([_alert(1), _alert(2)])
    assert seen == ["1001", "1002"]

    def boom(_alert: Alert) -> None:
        raise RuntimeError("handler bug")

    with pytest.raises(AlertError, match="1001") as info:
        CallbackSink(boom).deliver([_alert(1)])
    assert isinstance(info.value.__cause__, RuntimeError)


# -- webhooks ------------------------------------------------------------------------------


class _Hook:
    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []


@pytest.fixture
def hook() -> Iterator[tuple[str, _Hook]]:
    state = _Hook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
            status = state.statuses.pop(0) if state.statuses else 204
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", state
    finally:
        server.shutdown()
        server.server_close()


def test_webhook_posts_signed_json(hook: tuple[str, _Hook]) -> None:
    url, state = hook
    clock = ManualClock(start=dt.datetime(2026, 11, 20, 10, tzinfo=UTC))
    WebhookSink(url, "s3cret", clock=clock).deliver([_alert(1), _alert(2)])
    assert len(state.requests) == 1
    headers, body = state.requests[0]
    payload = json.loads(body)
    assert [a["post"]["id"] for a in payload["alerts"]] == ["1001", "1002"]
    assert headers["content-type"] == "application/json"
    timestamp = headers["x-socialcare-timestamp"]
    assert timestamp == str(int(clock.now().timestamp()))
    signature = headers["x-socialcare-signature"]
    assert verify_webhook_signature(
        "s3cret", body, timestamp=timestamp, signature=signature, now=clock.now()
    )
    assert not verify_webhook_signature(
        "wrong", body, timestamp=timestamp, signature=signature, now=clock.now()
    )
    assert not verify_webhook_signature(
        "s3cret", body + b" ", timestamp=timestamp, signature=signature, now=clock.now()
    )
    stale = clock.now() + dt.timedelta(minutes=6)
    assert not verify_webhook_signature(
        "s3cret", body, timestamp=timestamp, signature=signature, now=stale
    )
    assert not verify_webhook_signature("s3cret", body, timestamp="soon", signature=signature)


def test_webhook_retries_transient_failures(hook: tuple[str, _Hook]) -> None:
    url, state = hook
    state.statuses = [503, 429]
    clock = ManualClock()
    before = clock.now()
    WebhookSink(url, "s", clock=clock, max_attempts=3).deliver([_alert(1)])
    assert len(state.requests) == 3
    assert clock.now() > before  # the backoff slept on the injected clock, not for real


def test_webhook_gives_up_after_max_attempts(hook: tuple[str, _Hook]) -> None:
    url, state = hook
    state.statuses = [500, 500, 500]
    with pytest.raises(AlertError, match="HTTP 500"):
        WebhookSink(url, "s", clock=ManualClock(), max_attempts=2).deliver([_alert(1)])
    assert len(state.requests) == 2


def test_webhook_does_not_retry_a_refusal(hook: tuple[str, _Hook]) -> None:
    url, state = hook
    state.statuses = [401]
    with pytest.raises(AlertError, match="HTTP 401"):
        WebhookSink(url, "s", clock=ManualClock()).deliver([_alert(1)])
    assert len(state.requests) == 1


def test_webhook_unreachable_is_an_alert_error() -> None:
    port = _free_port()
    with pytest.raises(AlertError, match="unreachable"):
        WebhookSink(f"http://127.0.0.1:{port}/x", "s", clock=ManualClock(), max_attempts=2).deliver(
            [_alert(1)]
        )


def test_webhook_with_a_given_client_and_empty_batch() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        sink = WebhookSink("https://hooks.example/care", "s", client=client)
        sink.deliver([])
        sink.deliver([_alert(3)])
        sink.flush()
    assert len(seen) == 1
    body = seen[0].content
    assert seen[0].headers["x-socialcare-signature"] == sign_webhook(
        "s", body, int(seen[0].headers["x-socialcare-timestamp"])
    )
    assert "s3cret" not in repr(WebhookSink("https://h", "s3cret"))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"url": "ftp://x", "secret": "s"}, "http"),
        ({"url": "https://x", "secret": ""}, "secret"),
        ({"url": "https://x", "secret": "s", "max_attempts": 0}, "max_attempts"),
    ],
)
def test_webhook_configuration_errors(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        WebhookSink(**kwargs)  # type: ignore[arg-type]


# -- e-mail --------------------------------------------------------------------------------


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, _server: object, _session: object, envelope: object) -> str:
        content = envelope.content  # type: ignore[attr-defined]
        self.messages.append(email.message_from_bytes(content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, _Inbox]]:
    controller_module = pytest.importorskip("aiosmtpd.controller")
    inbox = _Inbox()
    port = _free_port()
    controller = controller_module.Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def test_instant_mail_per_batch(smtp: tuple[int, _Inbox]) -> None:
    port, inbox = smtp
    sink = EmailDigestSink(
        "127.0.0.1", port, sender="care@acme.test", recipients=["team@acme.test"]
    )
    sink.deliver([_alert(1)])
    sink.deliver([_alert(2), _alert(3, stream="outages")])
    assert len(inbox.messages) == 2
    first = inbox.messages[0]
    assert first["To"] == "team@acme.test"
    assert "brand" in first["Subject"]
    assert "@dana" in first["Subject"]
    second = inbox.messages[1]
    assert "2 posts" in second["Subject"]
    body = second.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "== brand" in body
    assert "== outages" in body
    assert "https://x.com/dana/status/1003" in body


def test_hourly_digest_waits_for_the_hour(smtp: tuple[int, _Inbox]) -> None:
    port, inbox = smtp
    clock = ManualClock(start=dt.datetime(2026, 11, 20, 10, 5, tzinfo=UTC))
    sink = EmailDigestSink(
        "127.0.0.1",
        port,
        sender="care@acme.test",
        recipients=["a@acme.test", "b@acme.test"],
        schedule="hourly",
        clock=clock,
    )
    sink.deliver([_alert(1)])
    clock.advance(minutes=30)
    sink.deliver([_alert(2), _alert(3)])
    sink.flush()
    assert inbox.messages == []
    assert sink.pending == 3
    clock.advance(minutes=25)  # 11:00 - the 10:00 hour is over
    sink.flush()
    assert len(inbox.messages) == 1
    assert "hourly digest: 3 posts" in inbox.messages[0]["Subject"]
    assert sink.pending == 0
    sink.flush()
    assert len(inbox.messages) == 1


def test_daily_digest_force_flush(smtp: tuple[int, _Inbox]) -> None:
    port, inbox = smtp
    sink = EmailDigestSink(
        "127.0.0.1",
        port,
        sender="c@a.test",
        recipients=["t@a.test"],
        schedule="daily",
        clock=ManualClock(),
    )
    sink.deliver([_alert(1)])
    sink.flush()
    assert inbox.messages == []
    sink.flush(force=True)
    assert len(inbox.messages) == 1


def test_digest_keeps_alerts_when_the_server_is_down() -> None:
    port = _free_port()
    clock = ManualClock()
    sink = EmailDigestSink(
        "127.0.0.1",
        port,
        sender="c@a.test",
        recipients=["t@a.test"],
        schedule="hourly",
        clock=clock,
        timeout=2,
    )
    sink.deliver([_alert(1), _alert(2)])
    clock.advance(hours=2)
    with pytest.raises(AlertError, match=f"127.0.0.1:{port}"):
        sink.flush()
    assert sink.pending == 2  # nothing lost; the next flush tries again


def test_email_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="recipient"):
        EmailDigestSink("h", 25, sender="a@b", recipients=[])
    with pytest.raises(ConfigurationError, match="schedule"):
        EmailDigestSink("h", 25, sender="a@b", recipients=["c@d"], schedule="weekly")  # type: ignore[arg-type]
    assert "hunter2" not in repr(
        EmailDigestSink("h", 25, sender="a@b", recipients=["c@d"], password="hunter2")
    )


# -- Atom ----------------------------------------------------------------------------------


def _entries(path: Path) -> list[ET.Element]:
    return ET.parse(path).getroot().findall(f"{ATOM}entry")  # noqa: S314


def test_atom_feed_per_stream_newest_first(tmp_path: Path) -> None:
    sink = AtomFeedSink(tmp_path / "feeds", clock=ManualClock())
    sink.deliver([_alert(1), _alert(2), _alert(3, stream="outages/eu")])
    brand = _entries(tmp_path / "feeds" / "brand.atom")
    assert [e.findtext(f"{ATOM}id") for e in brand] == [
        "tag:x.com,2006:status/1002",
        "tag:x.com,2006:status/1001",
    ]
    assert brand[0].find(f"{ATOM}link").get("href") == "https://x.com/dana/status/1002"  # type: ignore[union-attr]
    assert "<again> & again" in (brand[0].findtext(f"{ATOM}content") or "")
    # Not a plain name: a safe form plus a hash, so "outages_eu" keeps its own file.
    assert sink.path_for("outages/eu").name.startswith("outages_eu~")
    assert sink.path_for("outages/eu") != sink.path_for("outages_eu")
    assert len(_entries(sink.path_for("outages/eu"))) == 1


def test_atom_feed_survives_restart_and_caps_entries(tmp_path: Path) -> None:
    AtomFeedSink(tmp_path, max_entries=3).deliver([_alert(1), _alert(2)])
    again = AtomFeedSink(tmp_path, max_entries=3)
    again.deliver([_alert(3), _alert(2)])  # 1002 again: not duplicated
    ids = [e.findtext(f"{ATOM}id") for e in _entries(tmp_path / "brand.atom")]
    assert ids == [
        "tag:x.com,2006:status/1002",
        "tag:x.com,2006:status/1003",
        "tag:x.com,2006:status/1001",
    ]
    again.deliver([_alert(4)])
    assert len(_entries(tmp_path / "brand.atom")) == 3
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]


def test_atom_feed_rebuilds_a_damaged_file(tmp_path: Path) -> None:
    (tmp_path / "brand.atom").write_text("<feed><entry>")
    AtomFeedSink(tmp_path).deliver([_alert(1)])
    assert len(_entries(tmp_path / "brand.atom")) == 1


def test_atom_feed_unwritable_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(AlertError, match="Atom feed"):
        AtomFeedSink(blocker / "feeds").deliver([_alert(1)])
    with pytest.raises(ConfigurationError):
        AtomFeedSink(tmp_path, max_entries=0)
