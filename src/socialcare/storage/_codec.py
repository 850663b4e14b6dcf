"""Encoding of stored objects: posts, users and DM events as X JSON, times as numbers.

Stores keep platform objects as the X API v2 JSON that ``to_x()`` produces, so
``from_x()`` reads them back equal. :func:`post_json` writes that JSON directly for
the common fields (bulk ingest of posts is the hot path) and defers to the
models' own ``to_x()`` for the rare nested parts; a property test checks that it
decodes to exactly ``post.to_x()`` for every post ``_common.check_post`` accepts
(the stores check each post before encoding it).
"""

from __future__ import annotations

import datetime as dt
import json
import json.encoder
from collections.abc import Callable, Mapping

from socialcare.models import DirectMessage, Entities, MentionEntity, Post, TagEntity, User

__all__ = [
    "dm_json",
    "dump_json",
    "from_micros",
    "load_json",
    "post_from_json",
    "post_json",
    "to_micros",
    "user_json",
    "utc_iso",
]

_UTC = dt.timezone.utc
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=_UTC)
_dump = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
# The C string encoder json itself uses (ensure_ascii=False): quotes and escapes one string.
_quote: Callable[[str], str] = json.encoder.encode_basestring


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


# Zero-padded digits, looked up instead of formatted (fixed tables, not a cache).
_TWO = tuple(f"{n:02d}" for n in range(100))
_THREE = tuple(f"{n:03d}" for n in range(1000))
_EARLY_YEARS = tuple(f"{n:04d}" for n in range(1000))
_FOUR_DIGITS = 1000


def _utc_seconds(value: dt.datetime) -> tuple[str, int]:
    """``value`` in UTC as ``2026-01-05T10:00:00`` (to the second), and its microseconds."""
    u = value if value.tzinfo is _UTC else value.astimezone(_UTC)
    two, year = _TWO, u.year
    seconds = (
        f"{year if year >= _FOUR_DIGITS else _EARLY_YEARS[year]}-{two[u.month]}-{two[u.day]}"
        f"T{two[u.hour]}:{two[u.minute]}:{two[u.second]}"
    )
    return seconds, u.microsecond


def _x_time(value: dt.datetime) -> str:
    """``value`` as X writes times, quoted: ``"2026-01-05T10:00:00.123Z"`` (UTC, milliseconds)."""
    seconds, micros = _utc_seconds(value)
    return f'"{seconds}.{_THREE[micros // 1000]}Z"'


def utc_iso(value: dt.datetime) -> str:
    """``value`` in UTC as exact ISO 8601 text: ``2026-01-05T10:00:00.123456+00:00``."""
    seconds, micros = _utc_seconds(value)
    return f"{seconds}.{_THREE[micros // 1000]}{_THREE[micros % 1000]}+00:00"


def _mention(m: MentionEntity) -> str:
    tail = "}" if m.id is None else f',"id":{_quote(m.id)}}}'
    return f'{{"start":{m.start},"end":{m.end},"username":{_quote(m.username)}{tail}'


def _tag(t: TagEntity) -> str:
    return f'{{"start":{t.start},"end":{t.end},"tag":{_quote(t.tag)}}}'


def _entities_json(entities: Entities) -> str:
    """Entities with links, hashtags or cashtags (``post_json`` writes bare mentions itself)."""
    mentions = entities.mentions
    if entities.urls:
        # Links carry many optional fields; the model's own encoder is the reference.
        return _dump(entities.to_x())
    groups = []
    if mentions:
        groups.append('"mentions":[' + ",".join([_mention(m) for m in mentions]) + "]")
    if entities.hashtags:
        groups.append('"hashtags":[' + ",".join([_tag(t) for t in entities.hashtags]) + "]")
    if entities.cashtags:
        groups.append('"cashtags":[' + ",".join([_tag(t) for t in entities.cashtags]) + "]")
    return "{" + ",".join(groups) + "}"


def _rare_parts(post: Post) -> str:
    parts = []
    if post.reply_settings is not None:
        parts.append(',"reply_settings":' + _quote(post.reply_settings))
    if post.note_text is not None:
        note: dict[str, object] = {"text": post.note_text}
        if post.note_entities is not None:
            note["entities"] = post.note_entities.to_x()
        parts.append(',"note_tweet":' + _dump(note))
    if post.possibly_sensitive is not None:
        parts.append(',"possibly_sensitive":' + ("true" if post.possibly_sensitive else "false"))
    if post.withheld is not None:
        parts.append(',"withheld":' + _dump(post.withheld.to_x()))
    if post.display_text_range is not None:
        start, end = post.display_text_range
        parts.append(f',"display_text_range":[{start:d},{end:d}]')
    return "".join(parts)


def post_json(post: Post) -> str:
    """The X JSON of a post ``check_post`` accepted: ``json.loads(post_json(p)) == p.to_x()``.

    The ids ``check_post`` verifies (decimal digits) are written without escaping;
    every other string goes through JSON's own string encoder.
    """
    # One join of strings: bulk ingest runs this per post, and avoiding temporary
    # containers and calls keeps it fast and the garbage collector out of the way.
    q = _quote
    author, created, conversation = post.author_id, post.created_at, post.conversation_id
    replied_user, lang, history = post.in_reply_to_user_id, post.lang, post.edit_history_ids
    entities = post.entities
    mentions = entities.mentions
    if entities.urls or entities.hashtags or entities.cashtags:
        found = ',"entities":' + _entities_json(entities)
    elif len(mentions) == 1:
        found = ',"entities":{"mentions":[' + _mention(mentions[0]) + "]}"
    elif mentions:
        found = ',"entities":{"mentions":[' + ",".join([_mention(m) for m in mentions]) + "]}"
    else:
        found = ""
    if len(history) == 1:
        edits = ',"edit_history_tweet_ids":[' + q(history[0]) + "]"
    elif history:
        edits = ',"edit_history_tweet_ids":[' + ",".join([q(h) for h in history]) + "]"
    else:
        edits = ""
    rare = (
        post.reply_settings is not None
        or post.note_text is not None
        or post.possibly_sensitive is not None
        or post.withheld is not None
        or post.display_text_range is not None
    )
    return "".join(
        [
            '{"id":"',
            post.id,
            '","text":',
            q(post.text),
            "" if author is None else ',"author_id":"' + author + '"',
            "" if created is None else ',"created_at":' + _x_time(created),
            "" if conversation is None else ',"conversation_id":"' + conversation + '"',
            "" if replied_user is None else ',"in_reply_to_user_id":"' + replied_user + '"',
            ""
            if not post.referenced
            else ',"referenced_tweets":['
            + ",".join([f'{{"type":{q(str(r.type))},"id":{q(r.id)}}}' for r in post.referenced])
            + "]",
            found,
            "" if lang is None else ',"lang":' + q(lang),
            edits,
            _rare_parts(post) if rare else "",
            "}",
        ]
    )


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
