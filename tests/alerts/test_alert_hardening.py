"""Sinks against hostile text, leaky URLs, replays and retries; alert records."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest
from tests.alerts.test_alert_sinks import _alert, _Inbox, smtp  # noqa: F401 - fixture

from socialcare import (
    Alert,
    AlertError,
    AtomFeedSink,
    CallbackSink,
    ConfigurationError,
    EmailDigestSink,
    ManualClock,
    MemoryReplayGuard,
    PayloadError,
    Post,
    ReplayGuard,
    User,
    WebhookSink,
    sign_webhook,
    verify_webhook_signature,
)
from socialcare.alerts import redact_url

UTC = dt.timezone.utc
ATOM = "{http://www.w3.org/2005/Atom}"
NOW = dt.datetime(2026, 1, 1, tzinfo=UTC)
NASTY = "bad \x00\x01\x0b\x1b text \ufffe\uffff \ud800 \udfff\r\nBcc: evil@attacker.test\n"


def _nasty_alert(n: int = 1, stream: str = "brand\r\nX-Injected: yes") -> Alert:
    return Alert(
        stream=stream,
        post=Post(id=str(2000 + n), text=NASTY * 3, created_at=NOW),
        received_at=NOW,
        author=User(id="7", username="dana\r\nBcc: evil@attacker.test\ud800", name=NASTY),
    )


# -- records and delivery ids ----------------------------------------------------------------


def test_alert_records_round_trip_through_json() -> None:
    post = Post.from_x(
        {
            "id": "42",
            "text": "@acme help \U0001f600",
            "author_id": "7",
            "created_at": "2026-11-20T09:01:02.345Z",
            "entities": {"mentions": [{"start": 0, "end": 5, "username": "acme", "id": "1"}]},
        }
    )
    user = User.from_x({"id": "7", "username": "dana", "name": "Dana", "verified": True})
    received = dt.datetime(2026, 11, 20, 10, 0, 0, 123456, tzinfo=UTC)
    for alert in (
        Alert(stream="brand", post=post, received_at=received, author=user),
        Alert(stream="dm s", post=post, received_at=received),
        _alert(3),  # built by hand, times without milliseconds
        Alert("s", Post(id="1", text="t", created_at=received), received_at=received),
    ):
        record = alert.to_record()
        text = json.dumps(record, ensure_ascii=False).encode("utf-8")
        assert Alert.from_record(json.loads(text)) == alert
        assert Alert.from_record(record).delivery_id == alert.delivery_id


def test_alerts_with_a_reason_and_a_link() -> None:
    post = Post(id="9", text="Send 1 BTC, get 2 back", created_at=NOW)
    alert = Alert(
        "guard.unrecognised_dm",
        post,
        received_at=NOW,
        reason="a DM nobody sent",
        link="https://x.com/messages/1-2",
    )
    assert alert.url == "https://x.com/messages/1-2"
    assert alert.title == "a DM nobody sent: someone: Send 1 BTC, get 2 back"
    assert alert.to_json()["reason"] == "a DM nobody sent"
    assert alert.to_json()["url"] == "https://x.com/messages/1-2"
    assert Alert.from_record(json.loads(json.dumps(alert.to_record()))) == alert
    plain = Alert("s", post, received_at=NOW)
    assert "reason" not in plain.to_json()
    assert "reason" not in plain.to_record()
    assert "link" not in plain.to_record()
    assert plain.url == "https://x.com/i/web/status/9"


def test_alert_records_are_valid_unicode_and_checked() -> None:
    record = _nasty_alert().to_record()
    json.dumps(record, ensure_ascii=False).encode("utf-8")  # no surrogate left
    restored = Alert.from_record(record)
    assert restored.stream == "brand\r\nX-Injected: yes"
    assert "\ufffd" in restored.post.text
    with pytest.raises(PayloadError, match=r"alert\.post"):
        Alert.from_record({**record, "post": None})
    with pytest.raises(PayloadError, match=r"alert\.version"):
        Alert.from_record({**record, "version": 99})
    with pytest.raises(PayloadError, match=r"alert\.received_at"):
        Alert.from_record({**record, "received_at": "yesterday"})
    with pytest.raises(PayloadError, match=r"alert\.post\.id"):
        Alert.from_record({**record, "post": {"text": "no id"}})


def test_delivery_ids_are_stable_and_distinct() -> None:
    assert _alert(1).delivery_id == _alert(1).delivery_id
    assert _alert(1).delivery_id != _alert(2).delivery_id
    assert _alert(1).delivery_id != _alert(1, stream="other").delivery_id
    assert len(_alert(1).delivery_id) == 32
    assert _alert(1).to_json()["delivery_id"] == _alert(1).delivery_id


def test_every_sink_raises_only_alert_errors_on_hostile_text(tmp_path: Path) -> None:
    alerts = [_nasty_alert(1), _nasty_alert(2, stream="\ud800/..\x00")]
    CallbackSink(lambda a: None).deliver(alerts)
    AtomFeedSink(tmp_path).deliver(alerts)
    with httpx.Client(transport=httpx.MockTransport(lambda _r: httpx.Response(204))) as client:
        WebhookSink("https://hooks.example/x", "s", client=client).deliver(alerts)
    sink = EmailDigestSink(
        "127.0.0.1", 9, sender="a@x.test", recipients=["b@x.test"], timeout=2
    )  # nobody listens on the discard port
    with pytest.raises(AlertError):
        sink.deliver(alerts)


# -- e-mail -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sender", "care@acme.test\r\nBcc: evil@attacker.test"),
        ("recipients", ["team@acme.test\nBcc: evil@attacker.test"]),
        ("recipients", ["team@acme.test\ud800"]),
        ("recipients", ["no-at-sign"]),
        ("username", "user\r\nAUTH"),
    ],
)
def test_email_addresses_are_checked_at_construction(field: str, value: object) -> None:
    kwargs: dict[str, object] = {"sender": "care@acme.test", "recipients": ["team@acme.test"]}
    kwargs[field] = value
    with pytest.raises(ConfigurationError):
        EmailDigestSink("127.0.0.1", 25, **kwargs)  # type: ignore[arg-type]


def test_email_with_hostile_text_is_sent_without_header_injection(
    smtp: tuple[int, _Inbox],  # noqa: F811 - the fixture
) -> None:
    port, inbox = smtp
    clock = ManualClock()
    instant = EmailDigestSink("127.0.0.1", port, sender="c@a.test", recipients=["t@a.test"])
    instant.deliver([_nasty_alert(1)])
    digest = EmailDigestSink(
        "127.0.0.1",
        port,
        sender="c@a.test",
        recipients=["t@a.test"],
        schedule="hourly",
        clock=clock,
    )
    digest.deliver([_nasty_alert(2), _nasty_alert(3, stream="other\nstream")])
    clock.advance(hours=2)
    digest.flush()
    digest.flush()  # nothing pending any more: a second run_due does not fail
    assert digest.pending == 0
    assert len(inbox.messages) == 2
    for message in inbox.messages:
        assert message["Bcc"] is None
        assert message["X-Injected"] is None
        assert sorted(message.keys()) == sorted(
            ["Subject", "From", "To", "Content-Type", "Content-Transfer-Encoding", "MIME-Version"]
        )
        assert "\n" not in str(message["Subject"]).replace("\n ", "")
        body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
        assert "\ufffd" in body or "bad" in body


# -- Atom -------------------------------------------------------------------------------------


def _entries(path: Path) -> list[ET.Element]:
    return ET.parse(path).getroot().findall(f"{ATOM}entry")  # noqa: S314


def test_atom_feed_stays_valid_xml_with_hostile_text(tmp_path: Path) -> None:
    sink = AtomFeedSink(tmp_path, clock=ManualClock())
    stream = "brand\x00\ud800"
    for n in range(5):
        sink.deliver([_nasty_alert(n, stream=stream)])
    entries = _entries(sink.path_for(stream))
    assert len(entries) == 5  # nothing rebuilt, nothing lost
    content = entries[0].findtext(f"{ATOM}content") or ""
    assert "\x00" not in content
    assert "\ufffd" in content
    assert not list(tmp_path.glob("*.corrupt-*"))


def test_atom_feed_sets_a_damaged_file_aside(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    damaged = b"<feed><entry>precious"
    (tmp_path / "brand.atom").write_bytes(damaged)
    with caplog.at_level(logging.WARNING, logger="socialcare.alerts"):
        AtomFeedSink(tmp_path, clock=ManualClock(start=NOW)).deliver([_alert(1)])
    assert len(_entries(tmp_path / "brand.atom")) == 1
    (aside,) = tmp_path.glob("brand.atom.corrupt-*")
    assert aside.name == "brand.atom.corrupt-20260101T000000Z"
    assert aside.read_bytes() == damaged
    assert any("corrupt" in r.getMessage() for r in caplog.records)
    (tmp_path / "brand.atom").write_bytes(damaged)
    AtomFeedSink(tmp_path, clock=ManualClock(start=NOW)).deliver([_alert(2)])
    assert len(list(tmp_path.glob("brand.atom.corrupt-*"))) == 2


def test_atom_feed_names_are_one_to_one(tmp_path: Path) -> None:
    sink = AtomFeedSink(tmp_path)
    names = ["a b", "a_b", "a/b", "a\\b", ".a_b", "a_b.", "", "x" * 300, "x" * 301, "é"]
    paths = {sink.path_for(n) for n in names}
    assert len(paths) == len(names)
    assert sink.path_for("brand").name == "brand.atom"
    assert sink.path_for("brand-mentions_2.eu").name == "brand-mentions_2.eu.atom"
    assert all(p.parent == tmp_path and len(p.name) < 200 for p in paths)
    sink.deliver([_alert(1, stream="a b"), _alert(2, stream="a_b")])
    assert len(_entries(sink.path_for("a b"))) == 1
    assert len(_entries(sink.path_for("a_b"))) == 1


# -- webhook URL redaction --------------------------------------------------------------------

SECRET_URL = "https://bob:pa55word@hooks.example.com:8443/services/T0K3N-PATH/x?token=QUERY-T0K3N"
SECRETS = ("bob", "pa55word", "T0K3N-PATH", "services", "QUERY-T0K3N", "token=")


def _assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, (secret, text)


@pytest.mark.parametrize("failure", ["connect", "500", "401"])
def test_webhook_url_secrets_never_reach_messages_or_logs(
    failure: str, caplog: pytest.LogCaptureFixture
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if failure == "connect":
            raise httpx.ConnectError(f"cannot reach {request.url}", request=request)
        return httpx.Response(int(failure))

    log = logging.getLogger("socialcare.test")
    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        sink = WebhookSink(SECRET_URL, "s", client=client, clock=ManualClock(), max_attempts=2)
        _assert_clean(repr(sink))
        assert "hooks.example.com:8443" in repr(sink)
        with caplog.at_level(logging.DEBUG, logger="socialcare"):
            with pytest.raises(AlertError) as info:
                sink.deliver([_alert(1)])
            log.warning("sink failed: %s", info.value, exc_info=info.value)
    error = info.value
    assert "hooks.example.com:8443" in str(error)
    for text in (str(error), repr(error), *map(str, error.args)):
        _assert_clean(text)
    formatter = logging.Formatter()
    for record in caplog.records:
        _assert_clean(formatter.format(record))
    assert caplog.records


def test_webhook_configuration_errors_do_not_echo_the_url() -> None:
    for url in (
        "ftp://bob:pa55word@h/T0K3N-PATH",
        "https://bob:pa55word@/services",
        "https://h:99999/x",
    ):
        with pytest.raises(ConfigurationError) as info:
            WebhookSink(url, "s")
        _assert_clean(str(info.value))
    assert redact_url("https://h.example/a/b?c=d") == redact_url("https://h.example/a/b?c=d")
    assert redact_url("https://h.example/a") != redact_url("https://h.example/b")
    assert redact_url("http://[::1]:8080/x").startswith("http://[::1]:8080/…#")


# -- signatures, delivery header, replay protection -------------------------------------------


def _signed(body: bytes = b'{"alerts":[]}', at: dt.datetime = NOW) -> tuple[str, str]:
    timestamp = str(int(at.timestamp()))
    return timestamp, sign_webhook("s3cret", body, int(timestamp))


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [
        (None, "ok"),
        ("ok", None),
        ("ok", "sha256=é" + "0" * 63),
        ("ok", "sha256=" + "0" * 64 + "\ud800"),
        ("9" * 400, "ok"),
        ("+ts", "ok"),
        ("0ts", "ok"),
        ("ts_", "ok"),
        (" ts", "ok"),
        ("ts\n", "ok"),
        ("١٧٦٧٢٢٥٦٠٠", "ok"),  # Arabic-Indic digits: int() reads them
        ("-1", "ok"),
        ("", "ok"),
        (b"ts", "ok"),
        (17, "ok"),
        ("ok", b"ok"),
    ],
)
def test_malformed_signature_inputs_are_false(timestamp: object, signature: object) -> None:
    body = b'{"alerts":[]}'
    good_ts, good_sig = _signed(body)
    ts = timestamp
    if isinstance(timestamp, str):
        ts = timestamp.replace("ts", good_ts)
        if timestamp == "ok":
            ts = good_ts
    sig = good_sig if signature == "ok" else signature
    assert ts != good_ts or sig != good_sig
    assert not verify_webhook_signature("s3cret", body, timestamp=ts, signature=sig, now=NOW)  # type: ignore[arg-type]
    if isinstance(timestamp, str) and "ts" in timestamp:
        # The same digits, written plainly, do verify: the refusal is about the spelling.
        assert verify_webhook_signature(
            "s3cret", body, timestamp=good_ts, signature=good_sig, now=NOW
        )


def test_other_malformed_inputs_are_false_and_bad_secret_types_raise() -> None:
    ts, sig = _signed()
    assert not verify_webhook_signature("s3cret", "text", timestamp=ts, signature=sig, now=NOW)  # type: ignore[arg-type]
    assert not verify_webhook_signature("s3cret", None, timestamp=ts, signature=sig, now=NOW)  # type: ignore[arg-type]
    assert verify_webhook_signature(
        b"s3cret", bytearray(b'{"alerts":[]}'), timestamp=ts, signature=sig, now=NOW
    )
    underscored = ts[:4] + "_" + ts[4:]  # int() reads "1767_225600" as 1767225600
    assert int(underscored) == int(ts)
    assert not verify_webhook_signature(
        "s3cret", b'{"alerts":[]}', timestamp=underscored, signature=sig, now=NOW
    )
    with pytest.raises(TypeError, match="secret"):
        verify_webhook_signature(None, b"", timestamp=ts, signature=sig, now=NOW)  # type: ignore[arg-type]


def test_replay_guard_accepts_a_signed_request_once() -> None:
    guard = MemoryReplayGuard()
    assert isinstance(guard, ReplayGuard)
    ts, sig = _signed()
    body = b'{"alerts":[]}'
    accepted = sum(
        verify_webhook_signature(
            "s3cret", body, timestamp=ts, signature=sig, now=NOW, replay_guard=guard
        )
        for _ in range(1000)
    )
    assert accepted == 1
    # A different request (the sink's retry: a new timestamp) is accepted.
    later = NOW + dt.timedelta(seconds=30)
    ts2, sig2 = _signed(body, later)
    assert verify_webhook_signature(
        "s3cret", body, timestamp=ts2, signature=sig2, now=later, replay_guard=guard
    )
    # A refused request never uses up the guard.
    assert not verify_webhook_signature(
        "wrong", body, timestamp=ts2, signature=sig2, now=later, replay_guard=MemoryReplayGuard()
    )
    # Keys expire with the tolerance window; memory stays bounded.
    much_later = NOW + dt.timedelta(minutes=20)
    ts3, sig3 = _signed(body, much_later)
    assert verify_webhook_signature(
        "s3cret", body, timestamp=ts3, signature=sig3, now=much_later, replay_guard=guard
    )
    assert len(guard) == 1


def test_memory_replay_guard_is_bounded_and_thread_safe() -> None:
    guard = MemoryReplayGuard(max_entries=10)
    expires = NOW + dt.timedelta(minutes=5)
    for n in range(50):
        assert guard.claim(f"k{n}", expires_at=expires + dt.timedelta(seconds=n), now=NOW)
    assert len(guard) == 10
    assert not guard.claim("k49", expires_at=expires, now=NOW)
    with pytest.raises(ConfigurationError):
        MemoryReplayGuard(max_entries=0)

    shared = MemoryReplayGuard()
    wins: list[bool] = []
    barrier = threading.Barrier(8)

    def race() -> None:
        barrier.wait()
        wins.extend(shared.claim("same", expires_at=expires, now=NOW) for _ in range(100))

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wins.count(True) == 1


def test_webhook_sends_a_stable_delivery_id() -> None:
    seen: list[httpx.Request] = []
    statuses = [503, 204, 204]

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(statuses.pop(0))

    clock = ManualClock(start=NOW)
    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        sink = WebhookSink("https://hooks.example/care", "s3cret", client=client, clock=clock)
        batch = [_alert(1), _alert(2)]
        sink.deliver(batch)  # a 503, then a retry
        sink.deliver(batch)  # delivered again later (the monitor's outbox)
    ids = {r.headers["x-socialcare-delivery"] for r in seen}
    assert ids == {WebhookSink.batch_id(batch)}
    assert len(seen) == 3
    payload = json.loads(seen[0].content)
    assert payload["delivery_id"] == WebhookSink.batch_id(batch)
    assert [a["delivery_id"] for a in payload["alerts"]] == [a.delivery_id for a in batch]
    assert WebhookSink.batch_id([_alert(1)]) == _alert(1).delivery_id
    # Every attempt verifies; replaying one is refused by the guard.
    guard = MemoryReplayGuard()

    def check(request: httpx.Request) -> bool:
        return verify_webhook_signature(
            "s3cret",
            request.content,
            timestamp=request.headers["x-socialcare-timestamp"],
            signature=request.headers["x-socialcare-signature"],
            now=clock.now(),
            replay_guard=guard,
        )

    assert check(seen[0])
    assert not check(seen[0])
