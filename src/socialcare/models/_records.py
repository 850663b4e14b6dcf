"""Flat records and data frames of X objects, for notebooks and data tools.

A record is a ``dict`` of column name to a plain value: ``str``, ``int``,
``bool``, a timezone-aware ``datetime`` (UTC), a ``tuple`` of strings (hashtags,
mentions, links) or ``None``. A post's record joins in its author's columns
(``author_username``, ``author_name``, ...) when the author is known. Every
record of one kind has the same columns, in the same order, so a list of them is
a table. :func:`to_dataframe` turns records into a pandas ``DataFrame`` when
pandas is installed (``pip install 'socialcare[pandas]'``); pandas is imported
only then.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, TypeAlias

from socialcare.errors import ConfigurationError
from socialcare.models._x import DirectMessage, Post, User

if TYPE_CHECKING:
    from socialcare.models._x import Entities

__all__ = ["Record", "RecordValue", "dataframe", "to_dataframe", "to_records"]

RecordValue: TypeAlias = str | int | bool | dt.datetime | tuple[str, ...] | None
"""A value of one record column."""

Record: TypeAlias = dict[str, RecordValue]
"""One row: column name to value."""


def _post_entities(post: Post) -> Entities:
    note = post.note_entities if post.note_text is not None else None
    return note if note is not None else post.entities


def post_record(post: Post, author: User | None) -> Record:
    """One post as a record, its author's columns joined in (``None`` when unknown)."""
    entities = _post_entities(post)
    return {
        "id": post.id,
        "created_at": post.created_at,
        "author_id": post.author_id,
        "author_username": author.username if author is not None else None,
        "author_name": author.name if author is not None else None,
        "author_verified": author.verified if author is not None else None,
        "author_followers_count": author.followers_count if author is not None else None,
        "text": post.full_text,
        "lang": post.lang,
        "conversation_id": post.conversation_id,
        "in_reply_to_user_id": post.in_reply_to_user_id,
        "replied_to_id": post.replied_to_id,
        "is_retweet": post.is_retweet,
        "hashtags": tuple(h.tag for h in entities.hashtags),
        "mentions": tuple(m.username for m in entities.mentions),
        "urls": tuple(u.expanded_url or u.url for u in entities.urls),
        "cashtags": tuple(c.tag for c in entities.cashtags),
    }


def user_record(user: User) -> Record:
    """One user as a record."""
    return {
        "id": user.id,
        "username": user.username,
        "name": user.name,
        "verified": user.verified,
        "followers_count": user.followers_count,
        "protected": user.protected,
        "receives_your_dm": user.receives_your_dm,
        "created_at": user.created_at,
        "description": user.description,
    }


def dm_record(event: DirectMessage, sender: User | None) -> Record:
    """One DM event as a record, its sender's handle joined in."""
    return {
        "id": event.id,
        "created_at": event.created_at,
        "event_type": event.event_type,
        "dm_conversation_id": event.dm_conversation_id,
        "sender_id": event.sender_id,
        "sender_username": sender.username if sender is not None else None,
        "text": event.text,
        "participant_ids": event.participant_ids,
    }


def to_records(
    items: Iterable[Post | User | DirectMessage],
    *,
    users: Iterable[User] | Mapping[str, User] = (),
) -> list[Record]:
    """Records of posts, users or DM events (for example a store's query results).

    Args:
        items: the objects, in the order wanted.
        users: the users to join in as authors (posts) or senders (DM events),
            as an iterable or a mapping of user id to user.

    Example:
        >>> from socialcare.models import Post, User, to_records
        >>> rows = to_records(
        ...     [Post(id="1", text="hi", author_id="7")],
        ...     users=[User(id="7", username="ada", name="Ada")],
        ... )
        >>> rows[0]["author_username"], rows[0]["text"]
        ('ada', 'hi')
    """
    by_id = dict(users) if isinstance(users, Mapping) else {u.id: u for u in users}
    out: list[Record] = []
    for item in items:
        if isinstance(item, Post):
            out.append(post_record(item, by_id.get(item.author_id or "")))
        elif isinstance(item, User):
            out.append(user_record(item))
        else:
            out.append(dm_record(item, by_id.get(item.sender_id or "")))
    return out


class _Frames(Protocol):
    def DataFrame(self, data: Sequence[Record], columns: list[str] | None = ...) -> object:  # noqa: N802 - pandas' name
        """pandas.DataFrame."""


def _pandas() -> _Frames:
    try:
        module: _Frames = importlib.import_module("pandas")
    except ImportError as exc:
        msg = "to_dataframe needs pandas: pip install 'socialcare[pandas]'"
        raise ConfigurationError(msg) from exc
    return module


def dataframe(records: Sequence[Record]) -> object:
    """A pandas ``DataFrame`` of ``records`` (columns in record order).

    Raises:
        ConfigurationError: pandas is not installed.
    """
    pandas = _pandas()
    columns = list(records[0]) if records else None
    return pandas.DataFrame(list(records), columns=columns)


def to_dataframe(
    items: Iterable[Post | User | DirectMessage],
    *,
    users: Iterable[User] | Mapping[str, User] = (),
) -> object:
    """:func:`to_records` as a pandas ``DataFrame`` (``created_at`` stays timezone-aware, UTC).

    The return type is ``object`` so that type checking does not need pandas;
    it is a ``pandas.DataFrame``.

    Raises:
        ConfigurationError: pandas is not installed.
    """
    return dataframe(to_records(items, users=users))
