"""A loader for the twcs CSV layout (Kaggle "Customer Support on Twitter").

The data set itself is not part of socialcare (its licence is non-commercial); this
reads a copy you have into socialcare models.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path

import attrs

from socialcare.errors import PayloadError
from socialcare.models import Post, ReferencedPost, User

__all__ = ["TwcsData", "read_twcs"]

_TIME = "%a %b %d %H:%M:%S %z %Y"
_COLUMNS = ("tweet_id", "author_id", "inbound", "created_at", "text", "in_response_to_tweet_id")


@attrs.frozen
class TwcsData:
    """Posts and users read from a twcs CSV.

    Attributes:
        posts: one post per row, in file order. ``id`` is the row's ``tweet_id``,
            ``author_id`` its ``author_id``; a reply refers to its parent with a
            ``replied_to`` reference. No ``conversation_id``: twcs has none, the
            reply chain decides.
        users: one user per distinct author (``id`` and ``username`` are the
            ``author_id``; customers are anonymised numbers, brands their handles).
        brand_ids: authors of rows marked ``inbound=False`` (the companies), as the
            file states it: pass them to ``Threader(brands=...)`` explicitly.
    """

    posts: tuple[Post, ...]
    users: tuple[User, ...]
    brand_ids: frozenset[str]


def read_twcs(
    source: str | os.PathLike[str] | Iterable[str], *, limit: int | None = None
) -> TwcsData:
    """Read a twcs-format CSV: a path, or an iterable of its lines.

    Args:
        source: the CSV file's path, or its text as lines.
        limit: read at most this many rows (file order).

    Raises:
        PayloadError: a column is missing or a row has a bad value (the file and line
            are named).
    """
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        with path.open(newline="", encoding="utf-8") as handle:
            return _parse(handle, path.name, limit)
    return _parse(source, "twcs", limit)


def _parse(  # noqa: C901 - one check per column, in file order
    lines: Iterable[str], name: str, limit: int | None
) -> TwcsData:
    reader = csv.DictReader(lines)
    missing = [c for c in _COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise PayloadError(f"not a twcs CSV, missing columns {missing}", field=name)
    posts: list[Post] = []
    users: dict[str, User] = {}
    brands: set[str] = set()
    for number, row in enumerate(reader, start=2):
        if limit is not None and len(posts) >= limit:
            break
        where = f"{name}:{number}"
        tweet_id, author = row["tweet_id"] or "", row["author_id"] or ""
        if not tweet_id.isdigit():
            raise PayloadError(f"bad tweet_id {tweet_id[:40]!r}", field=where)
        if not author:
            raise PayloadError("empty author_id", field=where)
        try:
            when = dt.datetime.strptime(row["created_at"] or "", _TIME)  # noqa: DTZ007 - has %z
        except ValueError:
            raise PayloadError(f"bad created_at {row['created_at'][:40]!r}", field=where) from None
        inbound = (row["inbound"] or "").strip().lower()
        if inbound not in {"true", "false"}:
            raise PayloadError(f"bad inbound {inbound[:20]!r}", field=where)
        parent = (row["in_response_to_tweet_id"] or "").strip()
        if parent and not parent.isdigit():
            raise PayloadError(f"bad in_response_to_tweet_id {parent[:40]!r}", field=where)
        if inbound == "false":
            brands.add(author)
        if author not in users:
            users[author] = User(id=author, username=author, name=author)
        posts.append(
            Post(
                id=tweet_id,
                text=row["text"] or "",
                author_id=author,
                created_at=when.astimezone(dt.timezone.utc),
                referenced=(ReferencedPost(type="replied_to", id=parent),) if parent else (),
            )
        )
    return TwcsData(posts=tuple(posts), users=tuple(users.values()), brand_ids=frozenset(brands))
