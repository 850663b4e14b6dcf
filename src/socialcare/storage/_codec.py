"""Encoding of stored objects: posts, users and DM events as X JSON, times as numbers.

Stores keep platform objects as the X API v2 JSON that ``to_x()`` produces, so
``from_x()`` reads them back equal. :func:`post_json` writes that JSON directly for
the common fields (bulk ingest of posts is the hot path) and defers to the
models' own ``to_x()`` for the rare nested parts; a property test checks that it
always decodes to exactly ``post.to_x()``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

from socialcare.models import DirectMessage, Entities, MentionEntity, Post, TagEntity, User

__all__ = [
    "check_post",
    "dm_json",
    "dump_json",
    "from_micros",
    "load_json",
    "post_from_json",
    "post_json",
    "to_micros",
    "user_json",
]

_UTC = dt.timezone.utc
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=_UTC)
_dump = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
_quote = json.JSONEncoder(ensure_ascii=False).encode


def dump_json(value: object) -> str:
    """Compact JSON text for a JSON-compatible value."""
    return _dump(value)


def load_json(text: str | bytes) -> object:
    """Parse JSON text."""
    return json.loads(text)


def to_micros(value: dt.datetime) -> int:
    """Microseconds since the Unix epoch for an aware datetime (exact)."""
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int) -> dt.datetime:
    """The aware UTC datetime ``value`` microseconds after the Unix epoch (exact)."""
    return _EPOCH + dt.timedelta(microseconds=value)


def _x_time(value: dt.datetime) -> str:
    utc = value if value.tzinfo is _UTC else value.astimezone(_UTC)
    return '"' + utc.replace(tzinfo=None).isoformat(timespec="milliseconds") + 'Z"'


def _mention(m: MentionEntity) -> str:
    tail = "}" if m.id is None else f',"id":{_quote(m.id)}}}'
    return f'{{"start":{m.start},"end":{m.end},"username":{_quote(m.username)}{tail}'


def _tag(t: TagEntity) -> str:
    return f'{{"start":{t.start},"end":{t.end},"tag":{_quote(t.tag)}}}'


def _entities_json(entities: Entities) -> str:
    if entities.urls:
        # Links carry many optional fields; the model's own encoder is the reference.
        return _dump(entities.to_x())
    groups = []
    if entities.mentions:
        groups.append('"mentions":[' + ",".join(map(_mention, entities.mentions)) + "]")
    if entities.hashtags:
        groups.append('"hashtags":[' + ",".join(map(_tag, entities.hashtags)) + "]")
    if entities.cashtags:
        groups.append('"cashtags":[' + ",".join(map(_tag, entities.cashtags)) + "]")
    return "{" + ",".join(groups) + "}"


def _rare_parts(post: Post, parts: list[str]) -> None:
    q = _quote
    if post.reply_settings is not None:
        parts += (',"reply_settings":', q(post.reply_settings))
    if post.note_text is not None:
        note: dict[str, object] = {"text": post.note_text}
        if post.note_entities is not None:
            note["entities"] = post.note_entities.to_x()
        parts += (',"note_tweet":', _dump(note))
    if post.possibly_sensitive is not None:
        parts += (',"possibly_sensitive":', "true" if post.possibly_sensitive else "false")
    if post.withheld is not None:
        parts += (',"withheld":', _dump(post.withheld.to_x()))


def post_json(post: Post) -> str:
    """The X JSON of ``post``: ``json.loads(post_json(p)) == p.to_x()`` always holds."""
    q = _quote
    parts = ['{"id":', q(post.id), ',"text":', q(post.text)]
    if post.author_id is not None:
        parts += (',"author_id":', q(post.author_id))
    if post.created_at is not None:
        parts += (',"created_at":', _x_time(post.created_at))
    if post.conversation_id is not None:
        parts += (',"conversation_id":', q(post.conversation_id))
    if post.in_reply_to_user_id is not None:
        parts += (',"in_reply_to_user_id":', q(post.in_reply_to_user_id))
    if post.referenced:
        refs = ",".join(f'{{"type":{q(r.type)},"id":{q(r.id)}}}' for r in post.referenced)
        parts += (',"referenced_tweets":[', refs, "]")
    if post.entities:
        parts += (',"entities":', _entities_json(post.entities))
    if post.lang is not None:
        parts += (',"lang":', q(post.lang))
    if post.edit_history_ids:
        parts += (',"edit_history_tweet_ids":[', ",".join(map(q, post.edit_history_ids)), "]")
    _rare_parts(post, parts)
    parts.append("}")
    return "".join(parts)


def _digits(name: str, value: str | None, owner: str) -> None:
    if value is not None and not (value.isascii() and value.isdigit()):
        msg = f"{owner}.{name} must be a decimal id as X sends it, got {value!r}"
        raise ValueError(msg)


def check_post(post: Post) -> Post:
    """``post`` if its ids are decimal strings (as X sends them), so it reads back equal."""
    where = f"post {post.id!r}"
    _digits("id", post.id, where)
    _digits("author_id", post.author_id, where)
    _digits("conversation_id", post.conversation_id, where)
    _digits("in_reply_to_user_id", post.in_reply_to_user_id, where)
    return post


def post_from_json(value: str | Mapping[str, object]) -> Post:
    """Read a stored post back (from JSON text or an already parsed object)."""
    data = json.loads(value) if isinstance(value, str) else value
    return Post.from_x(data)


def user_json(user: User) -> str:
    """The X JSON of ``user``."""
    return _dump(user.to_x())


def dm_json(message: DirectMessage) -> str:
    """The X JSON of ``message``."""
    return _dump(message.to_x())
