"""X Activity API events as values: posts, DMs, and every event this version does not model.

X delivers each event (by webhook, and on the activity stream) in one envelope::

    {
        "data": {
            "event_uuid": "...",
            "filter": {"user_id": "..."},
            "event_type": "post.mention.create",
            "tag": "...",
            "payload": {...},
            "includes": {...},
        }
    }

Post events (``post.create``, ``post.mention.create``, ``post.reply.create``,
``post.quote.create``) carry a Post object as ``payload`` and may carry ``includes``
(users, tweets). DM events (``dm.received``, ``dm.sent``) carry the Account Activity
shape: ``direct_message_events`` (``message_create`` objects with ``sender_id``,
``target.recipient_id``, ``message_data.text`` and ``created_timestamp`` in
milliseconds) plus a ``users`` map of ``{id: {"data": user}}``. Everything else
(``post.delete``, ``dm.read``, follows, profile updates, ...) and any known event whose
payload does not parse becomes an :class:`UnknownEvent` holding the envelope read-only:
an event is never dropped.
"""

from __future__ import annotations

import datetime as dt
import json
import types
from collections.abc import Mapping
from typing import Literal, get_args

import attrs

from socialcare._json import Fields, format_time
from socialcare.errors import PayloadError
from socialcare.models import ActivityFilter, DirectMessage, Includes, Post, User

__all__ = [
    "DirectMessageEvent",
    "DirectMessageEventKind",
    "PostEvent",
    "PostEventKind",
    "UnknownEvent",
    "WebhookEvent",
    "parse_event",
]

PostEventKind = Literal[
    "post.create", "post.mention.create", "post.reply.create", "post.quote.create"
]
"""The X Activity API post events socialcare parses into :class:`PostEvent`."""

DirectMessageEventKind = Literal["dm.received", "dm.sent"]
"""The X Activity API DM events socialcare parses into :class:`DirectMessageEvent`."""

POST_KINDS: frozenset[str] = frozenset(get_args(PostEventKind))
DM_KINDS: frozenset[str] = frozenset(get_args(DirectMessageEventKind))


@attrs.frozen
class PostEvent:
    """A post event: a mention, reply or quote of the filtered user, or a post by them.

    Attributes:
        kind: the event type (``post.mention.create``...).
        event_uuid: X's identifier of this event delivery (deduplicate on it).
        filter: the subscription filter that matched.
        post: the post.
        tag: the subscription's tag, when it has one.
        includes: expanded users and posts that came with the event.
    """

    kind: PostEventKind
    event_uuid: str
    filter: ActivityFilter
    post: Post
    tag: str | None = None
    includes: Includes = attrs.field(factory=Includes)


@attrs.frozen
class DirectMessageEvent:
    """A DM event: a message the filtered user received (``dm.received``) or sent (``dm.sent``).

    Attributes:
        kind: the event type.
        event_uuid: X's identifier of this event delivery (deduplicate on it).
        filter: the subscription filter that matched.
        messages: the DM events delivered (X sends one per delivery in practice).
        tag: the subscription's tag, when it has one.
        users: the users X sent along (sender and recipient).
    """

    kind: DirectMessageEventKind
    event_uuid: str
    filter: ActivityFilter
    messages: tuple[DirectMessage, ...]
    tag: str | None = None
    users: tuple[User, ...] = ()

    @property
    def message(self) -> DirectMessage:
        """The first (usually the only) message of the delivery."""
        return self.messages[0]

    def user(self, user_id: str | None) -> User | None:
        """The user with this id among those sent along, if any."""
        return next((u for u in self.users if u.id == user_id), None)


@attrs.frozen
class UnknownEvent:
    """An event socialcare does not model (yet), or a known one whose payload did not parse.

    Attributes:
        kind: the event type as X sent it (``post.delete``, ``follow.follow``...).
        event_uuid: X's identifier of this event delivery, when there was one.
        filter: the subscription filter that matched.
        envelope: the whole ``data`` object X sent, read-only (nested mappings are
            read-only too, lists are tuples).
        tag: the subscription's tag, when it has one.
        error: why a known event type did not parse (``None`` for unknown types).
    """

    kind: str
    event_uuid: str | None
    filter: ActivityFilter
    envelope: Mapping[str, object]
    tag: str | None = None
    error: str | None = None

    @property
    def payload(self) -> Mapping[str, object]:
        """The event's ``payload`` object, read-only (empty when X sent none)."""
        payload = self.envelope.get("payload")
        return payload if isinstance(payload, Mapping) else types.MappingProxyType({})


WebhookEvent = PostEvent | DirectMessageEvent | UnknownEvent
"""Any event a :class:`~socialcare.webhooks.WebhookReceiver` delivers to handlers."""


def _freeze(value: object) -> object:
    if isinstance(value, Mapping):
        return types.MappingProxyType({str(k): _freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def _unwrap(user: object) -> object:
    """X wraps some users as ``{"data": user}``; return the user object."""
    if isinstance(user, Mapping) and set(user) == {"data"}:
        return user["data"]
    return user


def _includes(raw: object, path: str) -> Includes:
    if raw is None:
        return Includes()
    if not isinstance(raw, Mapping):
        raise PayloadError("expected an object", field=path)
    users = raw.get("users")
    fixed = dict(raw)
    if isinstance(users, list):
        fixed["users"] = [_unwrap(u) for u in users]
    return Includes.from_x(fixed, path=path)


def _dm_from_activity(raw: Fields) -> DirectMessage:
    """A DM from an Account Activity ``message_create`` event, as an X API v2 DM event."""
    if raw.string("type") != "message_create":
        raise PayloadError("only message_create events are modelled", field=raw.path + ".type")
    create = raw.obj("message_create")
    if create is None:
        raise PayloadError("required field is missing", field=raw.path + ".message_create")
    target = create.obj("target")
    data = create.obj("message_data")
    if target is None or data is None:
        raise PayloadError("needs target and message_data", field=create.path)
    sender = create.id("sender_id")
    recipient = target.id("recipient_id")
    low, high = sorted((sender, recipient), key=int)
    v2: dict[str, object] = {
        "id": raw.id("id"),
        "event_type": "MessageCreate",
        "text": data.string("text"),
        "sender_id": sender,
        "dm_conversation_id": f"{low}-{high}",
    }
    stamp = raw.string("created_timestamp", required=False)
    if stamp is not None:
        if not stamp.isdigit():
            raise PayloadError("expected milliseconds", field=raw.path + ".created_timestamp")
        when = dt.datetime.fromtimestamp(int(stamp) / 1000, tz=dt.timezone.utc)
        v2["created_at"] = format_time(when)
    return DirectMessage.from_x(v2, path=raw.path)


def _dm_event(
    kind: DirectMessageEventKind, data: Fields, common: dict[str, object]
) -> DirectMessageEvent:
    payload = data.obj("payload")
    if payload is None:
        raise PayloadError("required field is missing", field="data.payload")
    if payload.has("direct_message_events"):
        messages = tuple(
            _dm_from_activity(event) for event in payload.objs("direct_message_events")
        )
    else:  # an X API v2 DM event object
        messages = (DirectMessage.from_x(payload.raw_mapping(), path=payload.path),)
    if not messages:
        raise PayloadError("no message in the event", field="data.payload.direct_message_events")
    users: list[User] = []
    user_map = payload.obj("users")
    if user_map is not None:
        for key in user_map:
            entry = user_map.obj(key)
            if entry is None:
                continue
            inner = entry.obj("data") or entry
            users.append(User.from_x(inner.raw_mapping(), path=inner.path))
    return DirectMessageEvent(kind=kind, messages=messages, users=tuple(users), **common)  # type: ignore[arg-type]


def _known(
    kind: str, data: Fields, raw: Mapping[str, object], common: dict[str, object]
) -> WebhookEvent:
    if common["event_uuid"] is None:
        raise PayloadError("required field is missing", field="data.event_uuid")
    if kind in DM_KINDS:
        return _dm_event(kind, data, common)  # type: ignore[arg-type]  # checked against DM_KINDS
    payload = data.obj("payload")
    if payload is None:
        raise PayloadError("required field is missing", field="data.payload")
    return PostEvent(
        kind=kind,  # type: ignore[arg-type]  # checked against POST_KINDS
        post=Post.from_x(payload.raw_mapping(), path=payload.path),
        includes=_includes(raw.get("includes"), "data.includes"),
        **common,  # type: ignore[arg-type]
    )


def parse_event(body: bytes | str | Mapping[str, object]) -> WebhookEvent:
    """One X Activity API event from a delivery body (bytes, text or parsed JSON).

    Post and DM events become :class:`PostEvent` and :class:`DirectMessageEvent`;
    every other event type, and a post or DM event whose payload does not parse,
    becomes an :class:`UnknownEvent` (with ``error`` saying why): nothing is dropped.

    Raises:
        PayloadError: the body is not JSON, or not an event envelope (no ``data``
            object with an ``event_type`` string).
    """
    if isinstance(body, bytes | str):
        try:
            parsed = json.loads(body)
        except ValueError as exc:
            raise PayloadError("the body is not JSON", field="body") from exc
    else:
        parsed = body
    if not isinstance(parsed, Mapping) or not isinstance(parsed.get("data"), Mapping):
        raise PayloadError("expected an event envelope {'data': {...}}", field="data")
    raw: Mapping[str, object] = parsed["data"]
    data = Fields(raw, "data")
    kind = data.string("event_type")
    event_uuid = data.string("event_uuid", required=False)
    tag = data.string("tag", required=False)
    try:
        flt = ActivityFilter.from_x(data.obj("filter"), path="data.filter")
    except PayloadError:
        flt = ActivityFilter()
    common: dict[str, object] = {"event_uuid": event_uuid, "filter": flt, "tag": tag}
    error = None
    if kind in POST_KINDS or kind in DM_KINDS:
        try:
            return _known(kind, data, raw, common)
        except PayloadError as exc:
            error = str(exc)
    envelope = _freeze(raw)
    assert isinstance(envelope, Mapping)  # noqa: S101 - _freeze keeps mappings mappings
    return UnknownEvent(
        kind=kind, event_uuid=event_uuid, filter=flt, envelope=envelope, tag=tag, error=error
    )
