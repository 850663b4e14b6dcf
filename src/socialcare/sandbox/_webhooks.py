"""X Activity API webhooks in the sandbox: registration with CRC, subscriptions, deliveries.

What X does, imitated (``x-api/constraints.md``, "Real-time delivery"; X's webhook and
Activity API pages):

* ``POST /2/webhooks`` runs a CRC at once: a ``GET <url>?crc_token=...`` that must
  answer 200 with ``{"response_token": "sha256=<base64 HMAC-SHA256 of the token keyed
  with the consumer secret>"}`` within 3 seconds; otherwise the webhook is refused
  (``CrcValidationFailed``). ``PUT /2/webhooks/:id`` re-runs it. The sandbox calls
  only ``http://127.0.0.1:<port>`` URLs (X wants public HTTPS without a port; the
  sandbox stays on loopback) and keeps one webhook per app (pay-per-use).
* ``/2/activity/subscriptions`` subscribes one event type for one filter and webhook;
  private events (mentions, DMs) need the filtered user's own user context.
* When a post or DM is created, the matching ``post.create``, ``post.mention.create``
  (explicit @mentions only, not those X adds before a reply's body),
  ``post.reply.create`` (direct replies only), ``post.quote.create``, ``dm.received``
  and ``dm.sent`` events are queued for each valid webhook, signed
  (``x-twitter-webhooks-signature``) and POSTed by :meth:`WebhookHub.deliver_pending`
  (or a delivery thread). A delivery that does not get 200 within 3 seconds is
  retried 3, 27 and 242 seconds after each failure (X's documented timeline: four
  attempts over about five minutes), then given up.
* ``POST /2/webhooks/replay`` queues again every event of a minute range of the last
  24 hours that was delivered or attempted, with the same ``event_uuid``.
* Each event is billed once when first delivered: post events $0.005, DM events $0.010.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import json
import secrets
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol

import attrs

from socialcare._json import format_time
from socialcare.models import DirectMessage, Post
from socialcare.platforms.x import (
    CREATE_SUBSCRIPTION,
    CREATE_WEBHOOK,
    DELETE_SUBSCRIPTION,
    DELETE_WEBHOOK,
    LIST_SUBSCRIPTIONS,
    LIST_WEBHOOKS,
    PRICES,
    REPLAY_WEBHOOK,
    UPDATE_SUBSCRIPTION,
    VALIDATE_WEBHOOK,
    Endpoint,
)
from socialcare.sandbox._ids import snowflake_floor
from socialcare.sandbox._problems import ApiError, forbidden, invalid_request

if TYPE_CHECKING:
    from socialcare.sandbox._auth import Authenticator
    from socialcare.sandbox._billing import Ledger
    from socialcare.sandbox._world import JSONObject, Principal, World

__all__ = ["ROUTES", "DeliveryAttempt", "DeliveryReport", "WebhookHub", "WebhookRoutes"]

CRC_TIMEOUT = 3.0
"""Seconds X waits for a CRC answer or a delivery's 200."""

RETRY_DELAYS = (dt.timedelta(seconds=3), dt.timedelta(seconds=27), dt.timedelta(seconds=242))
"""Waits after each failed delivery before the next attempt (then X gives up)."""

REPLAY_WINDOW = dt.timedelta(hours=24)
"""How far back a replay job reaches."""

MAX_WEBHOOKS = 1
MAX_SUBSCRIPTIONS = 1500

POST_EVENTS = ("post.create", "post.mention.create", "post.reply.create", "post.quote.create")
DM_EVENTS = ("dm.received", "dm.sent")
PRIVATE_EVENTS = frozenset(
    {"post.mention.create", "dm.received", "dm.sent", "dm.read", "dm.indicate_typing"}
)
"""Events X delivers only to subscriptions made in the filtered user's own context."""

# X's OpenAPI document (2.159) lists profile, news, follow, spaces and chat events; its
# current pages add post, like and DM events. The sandbox accepts both lists.
EVENT_TYPES = frozenset(
    {
        "profile.update.bio",
        "profile.update.profile_picture",
        "profile.update.banner_picture",
        "profile.update.screenname",
        "profile.update.geo",
        "profile.update.url",
        "profile.update.verified_badge",
        "profile.update.affiliate_badge",
        "profile.update.handle",
        "news.new",
        "follow.follow",
        "follow.unfollow",
        "spaces.start",
        "spaces.end",
        "chat.received",
        "chat.sent",
        "chat.conversation_join",
        "post.delete",
        "post.repost.create",
        "like.create",
        "dm.read",
        "dm.indicate_typing",
        *POST_EVENTS,
        *DM_EVENTS,
    }
)

_UNSUPPORTED_APP_ONLY = (
    "Authenticating with OAuth 1.0a User Context or OAuth 2.0 User Context is forbidden for "
    "this endpoint.  Supported authentication types are [OAuth 2.0 Application-Only]."
)


def _sign(secret: str, message: bytes) -> str:
    return (
        "sha256="
        + base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()
    )


@attrs.define
class _Webhook:
    id: str
    url: str
    created_at: dt.datetime
    valid: bool = True

    def to_x(self) -> JSONObject:
        return {
            "id": self.id,
            "url": self.url,
            "valid": self.valid,
            "created_at": format_time(self.created_at),
        }


@attrs.define
class _Subscription:
    id: str
    event_type: str
    filter: dict[str, str]
    created_at: dt.datetime
    updated_at: dt.datetime
    tag: str | None = None
    webhook_id: str | None = None

    def to_x(self) -> JSONObject:
        out: JSONObject = {
            "subscription_id": self.id,
            "event_type": self.event_type,
            "filter": dict(self.filter),
            "created_at": format_time(self.created_at),
            "updated_at": format_time(self.updated_at),
        }
        if self.tag is not None:
            out["tag"] = self.tag
        if self.webhook_id is not None:
            out["webhook_id"] = self.webhook_id
        return out


@attrs.define
class _Delivery:
    event_uuid: str
    event_type: str
    webhook_id: str
    body: bytes
    created_at: dt.datetime
    due_at: dt.datetime
    attempts: int = 0
    state: str = "pending"  # pending, delivered, failed


@attrs.frozen
class DeliveryAttempt:
    """One POST of an event to a webhook.

    Attributes:
        event_uuid: the event delivered.
        event_type: its type (``post.mention.create``...).
        webhook_id: where it went.
        attempt: 1 for the first try, 2-4 for retries.
        status: the HTTP status answered (0: no answer within 3 seconds or no connection).
        at: when it was made (sandbox time).
    """

    event_uuid: str
    event_type: str
    webhook_id: str
    attempt: int
    status: int
    at: dt.datetime

    @property
    def ok(self) -> bool:
        """Whether X counts it as delivered (HTTP 200)."""
        return self.status == 200  # noqa: PLR2004


@attrs.frozen
class DeliveryReport:
    """What one :meth:`Sandbox.deliver_pending` run did.

    Attributes:
        attempts: every POST made, in order.
        delivered: events delivered (answered 200).
        retrying: events that failed and will be tried again.
        given_up: events that failed their last attempt.
    """

    attempts: tuple[DeliveryAttempt, ...] = ()
    delivered: int = 0
    retrying: int = 0
    given_up: int = 0


def _http(
    method: str, url: str, *, body: bytes = b"", headers: Mapping[str, str] | None = None
) -> tuple[int, bytes]:
    """One request to a loopback URL; ``(0, b"")`` when nothing answered within 3 s."""
    parts = urllib.parse.urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=CRC_TIMEOUT)
    try:
        connection.request(method, target, body=body or None, headers=dict(headers or {}))
        response = connection.getresponse()
        return response.status, response.read(65536)
    except (OSError, http.client.HTTPException):
        return 0, b""
    finally:
        connection.close()


def _check_url(url: object) -> str:
    if not isinstance(url, str) or not 1 <= len(url) <= 200:  # noqa: PLR2004 - X's limit
        raise invalid_request("The `url` field must be 1 to 200 characters", url=str(url)[:40])
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != "http" or parts.hostname != "127.0.0.1" or port is None:
        raise invalid_request(
            "UrlValidationFailed: the sandbox delivers only to http://127.0.0.1:<port>/... "
            "(X itself requires a public https URL without a port)",
            url=url,
        )
    return url


class WebhookHub:
    """The sandbox's webhooks, subscriptions and event deliveries (thread-safe)."""

    def __init__(self, world: World, ledger: Ledger, consumer_secret: str) -> None:
        self.world = world
        self.ledger = ledger
        self._secret = consumer_secret
        self._lock = threading.RLock()
        self.webhooks: dict[str, _Webhook] = {}
        self.subscriptions: dict[str, _Subscription] = {}
        self._queue: list[_Delivery] = []
        self._history: list[_Delivery] = []
        self._billed: set[str] = set()
        self.attempts: list[DeliveryAttempt] = []
        self._next_uuid = 0
        # Called with each event's envelope as it is made, webhook or not (the
        # activity stream of sandbox/_streams.py listens here).
        self.stream_sinks: list[Callable[[JSONObject], None]] = []
        world.listeners.append(self._created)

    # -------------------------------------------------------------- webhooks

    def crc(self, url: str) -> bool:
        """Run X's challenge-response check against ``url``."""
        token = secrets.token_urlsafe(24)
        query = urllib.parse.urlencode({"crc_token": token})
        sep = "&" if urllib.parse.urlsplit(url).query else "?"
        status, body = _http("GET", f"{url}{sep}{query}")
        if status != 200:  # noqa: PLR2004
            return False
        try:
            answer = json.loads(body)
        except ValueError:
            return False
        expected = _sign(self._secret, token.encode())
        given = answer.get("response_token") if isinstance(answer, dict) else None
        return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())

    def _webhook(self, webhook_id: str) -> _Webhook:
        found = self.webhooks.get(webhook_id)
        if found is None:
            raise invalid_request(
                f"WebhookIdInvalid: no webhook {webhook_id} for this app", webhook_id=webhook_id
            )
        return found

    # ------------------------------------------------------------------ events

    def _uuid(self) -> str:
        self._next_uuid += 1
        return str(snowflake_floor(self.world.clock.now()) + self._next_uuid % (1 << 22))

    def _created(self, kind: str, raw: JSONObject) -> None:
        """World listener: a post or DM was stored; queue the events it makes."""
        with self._lock:
            if not self.subscriptions:
                return
            if kind == "post":
                self._post_events(raw)
            elif kind == "dm":
                self._dm_events(raw)

    def _post_events(self, raw: JSONObject) -> None:
        post = Post.from_x(raw, path="post")
        author = post.author_id
        # Explicit mentions only: not the @mentions X adds before a reply's body.
        body = post.display_text_range[0] if post.display_text_range is not None else 0
        explicit = [m for m in post.entities.mentions if m.start >= body]
        mentioned = {m.id for m in explicit if m.id}
        mentioned |= {
            rec.model.id
            for m in explicit
            if (rec := self.world.user_by_username(m.username)) is not None
        }
        replied = self._author_of(post.replied_to_id)
        quoted = self._author_of(post.quoted_id)
        author_rec = self.world.user(author) if author else None
        users = [author_rec.raw] if author_rec is not None else []
        for sub in list(self.subscriptions.values()):
            user = sub.filter.get("user_id")
            if user is None or (user == author and sub.event_type != "post.create"):
                continue
            matches = {
                "post.create": author == user,
                "post.mention.create": user in mentioned,
                "post.reply.create": replied == user,
                "post.quote.create": quoted == user,
            }.get(sub.event_type, False)
            if matches:
                data: JSONObject = {"payload": dict(raw), "includes": {"users": users}}
                self._queue_event(sub, data)

    def _author_of(self, post_id: str | None) -> str | None:
        rec = None if post_id is None else self.world.post(post_id)
        return None if rec is None else rec.model.author_id

    def _dm_events(self, raw: JSONObject) -> None:
        dm = DirectMessage.from_x(raw, path="dm")
        sender = dm.sender_id
        conversation = (dm.dm_conversation_id or "").split("-")
        recipient = next((p for p in conversation if p != sender), None)
        if sender is None or recipient is None or dm.created_at is None:
            return
        users = {
            uid: {"data": rec.raw}
            for uid in (sender, recipient)
            if (rec := self.world.user(uid)) is not None
        }
        event = {
            "type": "message_create",
            "id": dm.id,
            "created_timestamp": str(int(dm.created_at.timestamp() * 1000)),
            "message_create": {
                "target": {"recipient_id": recipient},
                "sender_id": sender,
                "message_data": {
                    "text": dm.text,
                    "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []},
                },
            },
        }
        for sub in list(self.subscriptions.values()):
            user = sub.filter.get("user_id")
            if (sub.event_type == "dm.received" and user == recipient) or (
                sub.event_type == "dm.sent" and user == sender
            ):
                payload = {"direct_message_events": [event], "users": users}
                self._queue_event(sub, {"payload": payload})

    def _queue_event(self, sub: _Subscription, data: JSONObject) -> None:
        hook = None if sub.webhook_id is None else self.webhooks.get(sub.webhook_id)
        if (hook is None or not hook.valid) and not self.stream_sinks:
            return
        uuid = self._uuid()
        envelope: JSONObject = {"event_uuid": uuid, "filter": dict(sub.filter)}
        envelope["event_type"] = sub.event_type
        if sub.tag is not None:
            envelope["tag"] = sub.tag
        envelope.update(data)
        for sink in self.stream_sinks:
            sink(envelope)
        if hook is None or not hook.valid:
            return
        body = json.dumps({"data": envelope}, ensure_ascii=False, separators=(",", ":")).encode()
        now = self.world.clock.now()
        delivery = _Delivery(uuid, sub.event_type, hook.id, body, now, now)
        self._queue.append(delivery)
        self._history.append(delivery)

    # --------------------------------------------------------------- delivery

    @property
    def pending(self) -> int:
        """Events queued for delivery (due now or later)."""
        with self._lock:
            return len(self._queue)

    def deliver_pending(self) -> DeliveryReport:
        """POST every delivery that is due; schedule retries of failures."""
        now = self.world.clock.now()
        with self._lock:
            due = [d for d in self._queue if d.due_at <= now]
            targets = {d.webhook_id: self.webhooks.get(d.webhook_id) for d in due}
        attempts: list[DeliveryAttempt] = []
        delivered = retrying = given_up = 0
        for delivery in due:
            hook = targets[delivery.webhook_id]
            status = 0
            if hook is not None and hook.valid:
                signature = _sign(self._secret, delivery.body)
                headers = {
                    "content-type": "application/json",
                    "x-twitter-webhooks-signature": signature,
                }
                status, _ = _http("POST", hook.url, body=delivery.body, headers=headers)
            with self._lock:
                delivery.attempts += 1
                attempt = DeliveryAttempt(
                    delivery.event_uuid,
                    delivery.event_type,
                    delivery.webhook_id,
                    delivery.attempts,
                    status,
                    now,
                )
                attempts.append(attempt)
                self.attempts.append(attempt)
                if attempt.ok:
                    delivery.state = "delivered"
                    self._queue.remove(delivery)
                    delivered += 1
                    self._bill(delivery)
                elif delivery.attempts > len(RETRY_DELAYS):
                    delivery.state = "failed"
                    self._queue.remove(delivery)
                    given_up += 1
                else:
                    delivery.due_at = now + RETRY_DELAYS[delivery.attempts - 1]
                    retrying += 1
        return DeliveryReport(tuple(attempts), delivered, retrying, given_up)

    def _bill(self, delivery: _Delivery) -> None:
        self.bill_event(delivery.event_uuid, delivery.event_type)

    def bill_event(self, event_uuid: str, event_type: str) -> None:
        """Bill a delivered event once, however many ways (webhook, stream, replay) it went."""
        with self._lock:
            if event_uuid in self._billed:
                return
            self._billed.add(event_uuid)
        kind = "activity_dm_event" if event_type.startswith("dm.") else "activity_post_event"
        assert kind in PRICES  # noqa: S101 - the endpoint table prices both
        self.ledger.charge("app", kind)

    def replay(self, webhook_id: str, start: dt.datetime, end: dt.datetime) -> int:
        """Queue again the events of ``[start, end)`` delivered or attempted to the webhook."""
        now = self.world.clock.now()
        with self._lock:
            again = [
                d
                for d in self._history
                if d.webhook_id == webhook_id
                and start <= d.created_at < end
                and d.attempts > 0
                and d not in self._queue
            ]
            for delivery in again:
                copy = _Delivery(
                    delivery.event_uuid,
                    delivery.event_type,
                    webhook_id,
                    delivery.body,
                    delivery.created_at,
                    now,
                )
                self._queue.append(copy)
            return len(again)


def _deliver_forever(deliver: Callable[[], object], stop: threading.Event, interval: float) -> None:
    while not stop.is_set():
        deliver()
        stop.wait(interval)


class DeliveryThread:
    """Calls ``deliver`` every ``interval`` seconds in a thread until stopped (``with``)."""

    def __init__(self, deliver: Callable[[], object], interval: float) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=_deliver_forever,
            args=(deliver, self._stop, interval),
            name="socialcare-webhooks",
        )
        self._thread.daemon = True
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current run and wait for the thread."""
        self._stop.set()
        self._thread.join()

    def __enter__(self) -> DeliveryThread:  # noqa: PYI034 - typing.Self needs Python 3.11
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ------------------------------------------------------------------ HTTP routes

ROUTES: Mapping[Endpoint, str] = {
    CREATE_WEBHOOK: "_webhook_create",
    LIST_WEBHOOKS: "_webhook_list",
    VALIDATE_WEBHOOK: "_webhook_validate",
    DELETE_WEBHOOK: "_webhook_delete",
    REPLAY_WEBHOOK: "_webhook_replay",
    CREATE_SUBSCRIPTION: "_subscription_create",
    LIST_SUBSCRIPTIONS: "_subscription_list",
    UPDATE_SUBSCRIPTION: "_subscription_update",
    DELETE_SUBSCRIPTION: "_subscription_delete",
}
"""Which ``SandboxApp`` method answers each webhook and subscription route."""


class _CallLike(Protocol):
    """What the handlers read of a request (``_app._Call``)."""

    @property
    def principal(self) -> Principal: ...
    @property
    def args(self) -> Mapping[str, str]: ...
    @property
    def params(self) -> Mapping[str, str]: ...
    def json_body(self) -> JSONObject: ...
    def list_param(self, name: str) -> list[str]: ...


def _app_only(call: _CallLike) -> None:
    if call.principal.user_id is not None:
        raise ApiError(
            403,
            "Unsupported Authentication",
            _UNSUPPORTED_APP_ONLY,
            type_="https://api.twitter.com/2/problems/unsupported-authentication",
        )


def _minute(raw: object, name: str) -> dt.datetime:
    text = raw if isinstance(raw, str) else ""
    problem = invalid_request(
        f"The `{name}` field must be a UTC time as yyyymmddhhmm", **{name: str(raw)[:20]}
    )
    if len(text) != 12 or not text.isdigit():  # noqa: PLR2004 - yyyymmddhhmm
        raise problem
    try:
        return dt.datetime.strptime(text, "%Y%m%d%H%M").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        raise problem from None


class WebhookRoutes:
    """The webhook and subscription handlers of ``SandboxApp`` (mixed into it)."""

    world: World
    ledger: Ledger
    auth: Authenticator
    _webhook_hub: WebhookHub | None = None

    @property
    def webhooks(self) -> WebhookHub:
        """The webhook state, made on first use."""
        if self._webhook_hub is None:
            self._webhook_hub = WebhookHub(self.world, self.ledger, self.auth.consumer_secret)
        return self._webhook_hub

    def _webhook_create(self, call: _CallLike) -> tuple[int, JSONObject]:
        body = call.json_body()
        url = _check_url(body.get("url"))
        hub = self.webhooks
        with hub._lock:  # noqa: SLF001 - the hub's own state
            if any(h.url == url for h in hub.webhooks.values()):
                raise invalid_request(f"DuplicateUrlFailed: {url} is already registered", url=url)
            if len(hub.webhooks) >= MAX_WEBHOOKS:
                raise forbidden("WebhookLimitExceeded: this app already has its webhook")
        if not hub.crc(url):
            raise invalid_request(
                "CrcValidationFailed: the URL did not answer the CRC challenge correctly "
                "within 3 seconds",
                url=url,
            )
        now = self.world.clock.now()
        hook = _Webhook(self.world.ids.mint(now), url, now)
        with hub._lock:  # noqa: SLF001
            hub.webhooks[hook.id] = hook
        return 200, hook.to_x()

    def _webhook_list(self, call: _CallLike) -> tuple[int, JSONObject]:
        _app_only(call)
        hooks = [h.to_x() for h in self.webhooks.webhooks.values()]
        out: JSONObject = {"meta": {"result_count": len(hooks)}}
        if hooks:  # X's schema: data has at least one item, else is left out
            out["data"] = hooks
        return 200, out

    def _webhook_validate(self, call: _CallLike) -> tuple[int, JSONObject]:
        _app_only(call)
        hub = self.webhooks
        hook = hub._webhook(call.args["webhook_id"])  # noqa: SLF001
        hook.valid = hub.crc(hook.url)
        if not hook.valid:
            raise invalid_request(
                "CrcValidationFailed: the URL did not answer the CRC challenge correctly",
                webhook_id=hook.id,
            )
        return 200, {"data": {"attempted": True, "valid": True}}

    def _webhook_delete(self, call: _CallLike) -> tuple[int, JSONObject]:
        _app_only(call)
        hub = self.webhooks
        with hub._lock:  # noqa: SLF001
            hook = hub._webhook(call.args["webhook_id"])  # noqa: SLF001
            del hub.webhooks[hook.id]
            hub._queue = [d for d in hub._queue if d.webhook_id != hook.id]  # noqa: SLF001
        return 200, {"data": {"deleted": True}}

    def _webhook_replay(self, call: _CallLike) -> tuple[int, JSONObject]:
        _app_only(call)
        body = call.json_body()
        webhook_id = body.get("webhook_id")
        if not isinstance(webhook_id, str):
            raise invalid_request("The `webhook_id` field is required", webhook_id="")
        start = _minute(body.get("from_date"), "from_date")
        end = _minute(body.get("to_date"), "to_date")
        now = self.world.clock.now()
        if start >= end:
            raise invalid_request(
                "from_date must be before to_date", from_date=str(body["from_date"])
            )
        if start < now - REPLAY_WINDOW - dt.timedelta(minutes=1):
            raise invalid_request(
                "from_date must be within the last 24 hours", from_date=str(body["from_date"])
            )
        hub = self.webhooks
        hub._webhook(webhook_id)  # noqa: SLF001
        hub.replay(webhook_id, start, end)
        return 200, {"job_id": self.world.ids.mint(now), "created_at": format_time(now)}

    def _subscription_create(self, call: _CallLike) -> tuple[int, JSONObject]:
        body = call.json_body()
        unknown = sorted(set(body) - {"event_type", "filter", "tag", "webhook_id"})
        if unknown:
            raise invalid_request(f"Unknown field [{unknown[0]}]", **{unknown[0]: ""})
        event_type = body.get("event_type")
        if not isinstance(event_type, str) or event_type not in EVENT_TYPES:
            raise invalid_request(
                f"The `event_type` field value [{event_type}] is not one of "
                f"[{','.join(sorted(EVENT_TYPES))}]",
                event_type=str(event_type),
            )
        flt = body.get("filter")
        if (
            not isinstance(flt, dict)
            or not flt
            or not set(flt) <= {"user_id", "keyword", "direction"}
        ):
            raise invalid_request("The `filter` field needs user_id or keyword", filter="")
        if not all(isinstance(v, str) and v for v in flt.values()):
            raise invalid_request("The `filter` values must be non-empty strings", filter="")
        user_id = flt.get("user_id")
        if user_id is not None and self.world.user(user_id) is None:
            raise self.world.missing("user", "user_id", user_id)
        if event_type in PRIVATE_EVENTS and call.principal.user_id != user_id:
            raise forbidden(
                f"{event_type} is a private event: subscribe with the user context of "
                f"user {user_id} (OAuth 1.0a or OAuth 2.0 user token)"
            )
        tag = _tag(body.get("tag"))
        webhook_id = body.get("webhook_id")
        hub = self.webhooks
        with hub._lock:  # noqa: SLF001
            if webhook_id is not None:
                hub._webhook(str(webhook_id))  # noqa: SLF001
            if len(hub.subscriptions) >= MAX_SUBSCRIPTIONS:
                raise forbidden("SubscriptionLimitExceeded: 1,500 subscriptions at most")
            now = self.world.clock.now()
            sub = _Subscription(
                self.world.ids.mint(now),
                event_type,
                {str(k): str(v) for k, v in flt.items()},
                now,
                now,
                tag,
                None if webhook_id is None else str(webhook_id),
            )
            hub.subscriptions[sub.id] = sub
            total = len(hub.subscriptions)
        return 200, {
            "data": {"subscription": sub.to_x(), "total_subscriptions_for_instance_id": total},
            "meta": {"total_subscriptions": total},
        }

    def _subscription_list(self, call: _CallLike) -> tuple[int, JSONObject]:
        _app_only(call)
        raw_max = call.params.get("max_results", "100")
        if not raw_max.isdigit() or not 1 <= int(raw_max) <= 100:  # noqa: PLR2004
            raise invalid_request(
                f"The `max_results` query parameter value [{raw_max}] is not between 1 and 100",
                max_results=raw_max,
            )
        token = call.params.get("pagination_token")
        start = 0
        if token is not None:
            if not (token.startswith("sbxsub") and token[6:].isdigit()):
                raise invalid_request(
                    f"The `pagination_token` query parameter value [{token}] is not valid",
                    pagination_token=token,
                )
            start = int(token[6:])
        subs = sorted(self.webhooks.subscriptions.values(), key=lambda s: int(s.id))
        page = subs[start : start + int(raw_max)]
        meta: JSONObject = {"result_count": len(page)}
        if start + len(page) < len(subs):
            meta["next_token"] = f"sbxsub{start + len(page):016d}"
        return 200, {"data": [s.to_x() for s in page], "meta": meta}

    def _subscription(self, call: _CallLike) -> _Subscription:
        sid = call.args["subscription_id"]
        found = self.webhooks.subscriptions.get(sid)
        if found is None:
            raise self.world.missing("subscription", "subscription_id", sid)
        return found

    def _subscription_update(self, call: _CallLike) -> tuple[int, JSONObject]:
        _app_only(call)
        body = call.json_body()
        unknown = sorted(set(body) - {"tag", "webhook_id"})
        if unknown:
            raise invalid_request(f"Unknown field [{unknown[0]}]", **{unknown[0]: ""})
        sub = self._subscription(call)
        hub = self.webhooks
        with hub._lock:  # noqa: SLF001
            if "webhook_id" in body:
                sub.webhook_id = hub._webhook(str(body["webhook_id"])).id  # noqa: SLF001
            if "tag" in body:
                sub.tag = _tag(body["tag"])
            sub.updated_at = self.world.clock.now()
            total = len(hub.subscriptions)
        return 200, {"data": {"subscription": sub.to_x(), "total_subscriptions": total}}

    def _subscription_delete(self, call: _CallLike) -> tuple[int, JSONObject]:
        _app_only(call)
        sub = self._subscription(call)
        hub = self.webhooks
        with hub._lock:  # noqa: SLF001
            del hub.subscriptions[sub.id]
            total = len(hub.subscriptions)
        return 200, {"data": {"deleted": True}, "meta": {"total_subscriptions": total}}


def _tag(raw: object) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not 1 <= len(raw) <= 200:  # noqa: PLR2004 - X's limit
        raise invalid_request("The `tag` field must be 1 to 200 characters", tag=str(raw)[:40])
    return raw
