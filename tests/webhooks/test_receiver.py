"""The webhook receiver: CRC, signatures, replays, every event kind, unknown events, WSGI/ASGI."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import io
import json
from collections.abc import Mapping
from typing import Any, cast

import pytest

from socialcare import ManualClock
from socialcare.alerts import MemoryReplayGuard
from socialcare.errors import ConfigurationError, WebhookError, WebhookSignatureError
from socialcare.webhooks import (
    DirectMessageEvent,
    DirectMessageEventKind,
    PostEvent,
    PostEventKind,
    UnknownEvent,
    WebhookEvent,
    WebhookReceiver,
    crc_response_token,
    delivery_signature,
    parse_event,
)

SECRET = "consumer-secret"
ME = "1111111111111111111"
OTHER = "2222222222222222222"


def _post(post_id: str, text: str, **extra: object) -> dict[str, object]:
    return {
        "id": post_id,
        "text": text,
        "author_id": OTHER,
        "created_at": "2026-07-24T21:23:23.000Z",
        "conversation_id": post_id,
        "edit_history_tweet_ids": [post_id],
        # X sends metrics with *_str twins and fields the models do not read.
        "public_metrics": {"like_count": 0, "like_count_str": "0"},
        "display_text_range": [0, len(text)],
        **extra,
    }


def _envelope(
    kind: str, payload: object, uuid: str = "2080765813578191303", **extra: object
) -> bytes:
    data: dict[str, object] = {
        "event_uuid": uuid,
        "filter": {"user_id": ME},
        "event_type": kind,
        "tag": "care",
        "payload": payload,
        **extra,
    }
    return json.dumps({"data": data}).encode()


def _dm_payload(sender: str, recipient: str, text: str) -> dict[str, object]:
    return {
        "direct_message_events": [
            {
                "type": "message_create",
                "id": "2080765901528535096",
                "created_timestamp": "1784928224372",
                "message_create": {
                    "target": {"recipient_id": recipient},
                    "sender_id": sender,
                    "message_data": {"text": text, "entities": {"hashtags": [], "urls": []}},
                },
            }
        ],
        "users": {
            sender: {"data": {"id": sender, "name": "S", "username": "sender", "url": ""}},
            recipient: {"data": {"id": recipient, "name": "R", "username": "recipient"}},
        },
    }


def _signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"X-Twitter-Webhooks-Signature": delivery_signature(body, secret)}


@pytest.fixture
def receiver() -> WebhookReceiver:
    return WebhookReceiver(SECRET, replay_guard=MemoryReplayGuard(), clock=ManualClock())


def test_crc_answer_is_xs_hmac_of_the_token() -> None:
    digest = hmac.new(SECRET.encode(), b"challenge-123", hashlib.sha256).digest()
    expected = "sha256=" + base64.b64encode(digest).decode()
    assert crc_response_token("challenge-123", SECRET) == expected
    response = WebhookReceiver(SECRET).handle("GET", query={"crc_token": "challenge-123"})
    assert response.status == 200
    assert json.loads(response.body) == {"response_token": expected}
    assert dict(response.headers)["content-type"].startswith("application/json")


def test_crc_without_token_and_other_methods_are_refused() -> None:
    receiver = WebhookReceiver(SECRET)
    assert receiver.handle("GET").status == 400
    assert receiver.handle("GET", query={"crc_token": ""}).status == 400
    refused = receiver.handle("DELETE")
    assert refused.status == 405
    assert ("allow", "GET, POST") in refused.headers


def test_empty_secret_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        WebhookReceiver("")


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"x-twitter-webhooks-signature": ""}, 401),
        ({"x-twitter-webhooks-signature": "sha256=AAAA"}, 403),
        ({"x-twitter-webhooks-signature": "garbage ü"}, 403),
    ],
)
def test_missing_or_wrong_signatures_are_refused_unhandled(
    receiver: WebhookReceiver, headers: dict[str, str], status: int
) -> None:
    seen: list[WebhookEvent] = []
    receiver.on_any(seen.append)
    body = _envelope("post.mention.create", _post("20", "hey @acme"))
    assert receiver.handle("POST", headers=headers, body=body).status == status
    assert seen == []


def test_a_signature_made_with_another_secret_or_for_another_body_fails(
    receiver: WebhookReceiver,
) -> None:
    body = _envelope("post.mention.create", _post("20", "hey @acme"))
    assert receiver.handle("POST", headers=_signed(body, "other"), body=body).status == 403
    tampered = body.replace(b"hey", b"hoy")
    assert receiver.handle("POST", headers=_signed(body), body=tampered).status == 403
    with pytest.raises(WebhookSignatureError):
        receiver.receive(tampered, delivery_signature(body, SECRET))


def test_a_replayed_delivery_is_acknowledged_but_handled_once(receiver: WebhookReceiver) -> None:
    seen: list[PostEvent] = []
    receiver.on("post.mention.create")(seen.append)
    body = _envelope("post.mention.create", _post("20", "hey @acme"))
    first = receiver.handle("POST", headers=_signed(body), body=body)
    again = receiver.handle("POST", headers=_signed(body), body=body)
    assert (first.status, again.status) == (200, 200)
    assert json.loads(again.body) == {"received": True, "duplicate": True}
    assert again.event is None
    assert [e.post.id for e in seen] == ["20"]
    # A different delivery (another event_uuid) of the same post is a new event.
    other = _envelope("post.mention.create", _post("20", "hey @acme"), uuid="-77")
    assert receiver.handle("POST", headers=_signed(other), body=other).status == 200
    assert len(seen) == 2


def test_the_replay_guard_forgets_after_the_window() -> None:
    clock = ManualClock()
    receiver = WebhookReceiver(
        SECRET, replay_guard=MemoryReplayGuard(), clock=clock, replay_window=dt.timedelta(hours=1)
    )
    body = _envelope("post.reply.create", _post("21", "@acme thanks"))
    assert receiver.receive(body, delivery_signature(body, SECRET)) is not None
    assert receiver.receive(body, delivery_signature(body, SECRET)) is None
    clock.advance(hours=2)
    assert receiver.receive(body, delivery_signature(body, SECRET)) is not None


def test_without_a_guard_every_valid_delivery_is_handled() -> None:
    receiver = WebhookReceiver(SECRET)
    seen: list[WebhookEvent] = []
    receiver.on_any(seen.append)
    body = _envelope("post.quote.create", _post("22", "look"))
    for _ in range(2):
        receiver.receive(body, delivery_signature(body, SECRET))
    assert len(seen) == 2


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        ("post.create", {}),
        (
            "post.mention.create",
            {"entities": {"mentions": [{"start": 4, "end": 9, "username": "acme", "id": ME}]}},
        ),
        (
            "post.reply.create",
            {"referenced_tweets": [{"type": "replied_to", "id": "5"}], "in_reply_to_user_id": ME},
        ),
        ("post.quote.create", {"referenced_tweets": [{"type": "quoted", "id": "6"}]}),
    ],
)
def test_post_events_parse_into_posts(
    receiver: WebhookReceiver, kind: str, extra: dict[str, object]
) -> None:
    seen: list[PostEvent] = []
    receiver.on(cast("PostEventKind", kind))(seen.append)
    includes = {
        "users": [{"id": OTHER, "name": "Ann", "username": "ann", "url": ""}],
        "tweets": [_post("5", "earlier")],
    }
    body = _envelope(kind, _post("30", "hey @acme", **extra), includes=includes)
    response = receiver.handle("POST", headers=_signed(body), body=body)
    assert response.status == 200
    (event,) = seen
    assert isinstance(event, PostEvent)
    assert event.kind == kind
    assert event.post.id == "30"
    assert event.post.author_id == OTHER
    assert event.filter.user_id == ME
    assert event.tag == "care"
    assert event.includes.user(OTHER) is not None
    assert event.includes.post("5") is not None
    if kind == "post.reply.create":
        assert event.post.replied_to_id == "5"
    if kind == "post.quote.create":
        assert event.post.quoted_id == "6"
    if kind == "post.mention.create":
        assert event.post.entities.mentions[0].username == "acme"


@pytest.mark.parametrize(
    ("kind", "sender", "recipient"), [("dm.received", OTHER, ME), ("dm.sent", ME, OTHER)]
)
def test_dm_events_parse_into_direct_messages(
    receiver: WebhookReceiver, kind: str, sender: str, recipient: str
) -> None:
    seen: list[DirectMessageEvent] = []
    receiver.on(cast("DirectMessageEventKind", kind))(seen.append)
    body = _envelope(kind, _dm_payload(sender, recipient, "where is my order?"))
    assert receiver.handle("POST", headers=_signed(body), body=body).status == 200
    (event,) = seen
    message = event.message
    assert message.text == "where is my order?"
    assert message.sender_id == sender
    assert message.dm_conversation_id == f"{ME}-{OTHER}"
    assert message.created_at == dt.datetime(
        2026, 7, 24, 21, 23, 44, 372000, tzinfo=dt.timezone.utc
    )
    user = event.user(sender)
    assert user is not None
    assert user.username == "sender"


def test_a_v2_shaped_dm_payload_parses_too() -> None:
    payload = {
        "id": "77",
        "event_type": "MessageCreate",
        "text": "hi",
        "sender_id": OTHER,
        "dm_conversation_id": f"{ME}-{OTHER}",
        "created_at": "2026-07-20T01:51:31.000Z",
    }
    event = parse_event(_envelope("dm.received", payload))
    assert isinstance(event, DirectMessageEvent)
    assert event.message.id == "77"


def test_unknown_events_are_kept_read_only_and_reach_the_fallback(
    receiver: WebhookReceiver,
) -> None:
    unknown: list[UnknownEvent] = []
    everything: list[WebhookEvent] = []
    receiver.on_unknown(unknown.append)
    receiver.on_any(everything.append)
    body = _envelope(
        "follow.follow", {"source": {"data": {"id": OTHER}}, "target": {"data": {"id": ME}}}
    )
    assert receiver.handle("POST", headers=_signed(body), body=body).status == 200
    (event,) = unknown
    assert everything == [event]
    assert event.kind == "follow.follow"
    assert event.error is None
    source = event.payload["source"]
    assert isinstance(source, Mapping)
    with pytest.raises(TypeError):
        source["data"] = {}  # type: ignore[index]
    assert event.envelope["event_type"] == "follow.follow"


def test_a_typed_handler_for_an_unknown_kind_gets_it_and_the_fallback_does_not(
    receiver: WebhookReceiver,
) -> None:
    deletes: list[UnknownEvent] = []
    fallback: list[UnknownEvent] = []
    receiver.on("post.delete")(deletes.append)
    receiver.on_unknown(fallback.append)
    body = _envelope("post.delete", {"id": "30", "author_id": OTHER})
    receiver.receive(body, delivery_signature(body, SECRET))
    assert [e.payload["id"] for e in deletes] == ["30"]
    assert fallback == []


def test_a_known_kind_with_a_broken_payload_is_kept_as_unknown_with_the_reason() -> None:
    event = parse_event(_envelope("post.mention.create", {"text": "no id"}))
    assert isinstance(event, UnknownEvent)
    assert event.kind == "post.mention.create"
    assert event.error is not None
    assert "id" in event.error


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"data": 3}', b'{"data": {"payload": {}}}'])
def test_bodies_that_are_not_events_answer_400(receiver: WebhookReceiver, body: bytes) -> None:
    response = receiver.handle("POST", headers=_signed(body), body=body)
    assert response.status == 400
    with pytest.raises(WebhookError):
        receiver.receive(body, delivery_signature(body, SECRET))


def test_a_failing_handler_answers_500(
    receiver: WebhookReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_event: PostEvent) -> None:
        raise RuntimeError("boom")

    receiver.on("post.create")(broken)
    body = _envelope("post.create", _post("40", "hello"))
    assert receiver.handle("POST", headers=_signed(body), body=body).status == 500
    assert "handler failed" in caplog.text


def test_oversized_bodies_answer_413() -> None:
    receiver = WebhookReceiver(SECRET, max_body_bytes=100)
    body = _envelope("post.create", _post("40", "x" * 200))
    assert receiver.handle("POST", headers=_signed(body), body=body).status == 413


def test_repr_hides_the_secret(receiver: WebhookReceiver) -> None:
    assert SECRET not in repr(receiver)


# ------------------------------------------------------------------------ WSGI


def _wsgi(
    receiver: WebhookReceiver, method: str, body: bytes = b"", query: str = "", **headers: str
) -> tuple[str, bytes]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    for key, value in headers.items():
        environ["HTTP_" + key.upper()] = value
    status: list[str] = []
    out = b"".join(receiver.wsgi_app()(environ, lambda s, _h: status.append(s)))
    return status[0], out


def test_wsgi_app_answers_crc_and_deliveries(receiver: WebhookReceiver) -> None:
    seen: list[PostEvent] = []
    receiver.on("post.mention.create")(seen.append)
    status, out = _wsgi(receiver, "GET", query="crc_token=abc")
    assert status == "200 OK"
    assert json.loads(out) == receiver.crc_response("abc")
    body = _envelope("post.mention.create", _post("50", "@acme help"))
    status, _ = _wsgi(
        receiver, "POST", body, X_TWITTER_WEBHOOKS_SIGNATURE=delivery_signature(body, SECRET)
    )
    assert status == "200 OK"
    assert [e.post.id for e in seen] == ["50"]
    assert _wsgi(receiver, "POST", body)[0] == "401 Unauthorized"


def test_wsgi_app_refuses_a_large_content_length_without_reading() -> None:
    receiver = WebhookReceiver(SECRET, max_body_bytes=10)

    class Exploding(io.BytesIO):
        def read(self, *_args: object) -> bytes:
            raise AssertionError("the body must not be read")

    environ = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": "11", "wsgi.input": Exploding()}
    status: list[str] = []
    receiver.wsgi_app()(environ, lambda s, _h: status.append(s))
    assert status == ["413 Content Too Large"]
    environ = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": "x", "wsgi.input": Exploding()}
    receiver.wsgi_app()(environ, lambda s, _h: status.append(s))
    assert status[-1] == "400 Bad Request"


# ------------------------------------------------------------------------ ASGI


def _asgi(
    receiver: WebhookReceiver,
    method: str,
    chunks: list[bytes],
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> tuple[int, bytes]:
    app = receiver.asgi_app()
    incoming = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ] or [{"type": "http.request", "body": b""}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "query_string": query, "headers": headers or []}
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_asgi_app_answers_crc_and_streamed_deliveries(receiver: WebhookReceiver) -> None:
    seen: list[DirectMessageEvent] = []
    receiver.on("dm.received")(seen.append)
    status, out = _asgi(receiver, "GET", [], query=b"crc_token=xyz")
    assert status == 200
    assert json.loads(out) == receiver.crc_response("xyz")
    body = _envelope("dm.received", _dm_payload(OTHER, ME, "hello"))
    signature = delivery_signature(body, SECRET).encode()
    half = len(body) // 2
    status, _ = _asgi(
        receiver,
        "POST",
        [body[:half], body[half:]],
        headers=[(b"x-twitter-webhooks-signature", signature)],
    )
    assert status == 200
    assert [e.message.text for e in seen] == ["hello"]
    assert _asgi(receiver, "POST", [body])[0] == 401


def test_asgi_app_bounds_the_body() -> None:
    receiver = WebhookReceiver(SECRET, max_body_bytes=10)
    assert _asgi(receiver, "POST", [b"x" * 6, b"x" * 6])[0] == 413
    assert _asgi(receiver, "POST", [b""], headers=[(b"content-length", b"50")])[0] == 413


def test_asgi_app_answers_lifespan() -> None:
    app = WebhookReceiver(SECRET).asgi_app()
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app({"type": "lifespan"}, receive, send))  # type: ignore[arg-type]
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_the_oauth2_signature_header_is_checked_too(receiver: WebhookReceiver) -> None:
    body = _envelope("post.create", _post("60", "hello"))
    oauth2 = {"X-Twitter-Webhooks-Signature-OAuth2": delivery_signature(body, SECRET)}
    assert receiver.handle("POST", headers=oauth2, body=body).status == 200
    # An app with both secrets gets both headers; the one made with our secret counts.
    other = _envelope("post.create", _post("61", "hello"), uuid="-5")
    both = {
        "x-twitter-webhooks-signature": delivery_signature(other, "the-other-secret"),
        "x-twitter-webhooks-signature-oauth2": delivery_signature(other, SECRET),
    }
    assert receiver.handle("POST", headers=both, body=other).status == 200
    wrong = {name: delivery_signature(other, "nobody") for name in both}
    assert receiver.handle("POST", headers=wrong, body=other).status == 403
