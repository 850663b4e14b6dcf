"""Seeding the sandbox from real data: twcs CSV exports and recorded X API v2 responses."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from socialcare._json import format_time
from socialcare.errors import PayloadError
from socialcare.sandbox._world import JSONObject, World

__all__ = ["TwcsImport", "load_twcs", "load_x_payload", "read_x_jsonl"]

_TWCS_TIME = "%a %b %d %H:%M:%S %z %Y"
_TWCS_COLUMNS = (
    "tweet_id",
    "author_id",
    "inbound",
    "created_at",
    "text",
    "response_tweet_id",
    "in_response_to_tweet_id",
)


class TwcsImport(dict[str, str]):
    """What a twcs import did: maps each twcs ``tweet_id`` to the sandbox post id.

    Attributes:
        users: maps each twcs ``author_id`` to the sandbox user id.
        orphans: twcs ids of replies whose parent is not in the file (imported as roots).
    """

    def __init__(self) -> None:
        super().__init__()
        self.users: dict[str, str] = {}
        self.orphans: list[str] = []


def load_twcs(
    world: World, path: Path, *, limit: int | None = None, rebase: bool = False
) -> TwcsImport:
    """Import a twcs-format CSV (Kaggle "Customer Support on Twitter").

    Every row becomes a post with a fresh snowflake id minted from its time, so
    ids sort by time as X's do; authors become users (brand handles keep their
    name, anonymised customers are named by their number); replies point at
    their parent, inherit its conversation and its author as
    ``in_reply_to_user_id``.

    Args:
        world: the sandbox state to fill.
        path: the CSV file.
        limit: import at most this many rows (file order).
        rebase: shift every timestamp so that the newest row is "now" on the
            sandbox clock (keeps 2017 data inside the 7-day recent-search window).

    Raises:
        PayloadError: the file lacks a twcs column or a row has a bad value.
    """
    rows = _read_twcs(path, limit)
    result = TwcsImport()
    if not rows:
        return result
    shift = dt.timedelta(0)
    if rebase:
        shift = world.clock.now() - max(when for when, _ in rows)
    for when, row in sorted(rows, key=lambda item: (item[0], int(item[1]["tweet_id"]))):
        author = row["author_id"]
        if author not in result.users:
            result.users[author] = _twcs_user(world, author, when + shift)
        parent = row["in_response_to_tweet_id"]
        in_reply_to = result.get(parent) if parent else None
        if parent and in_reply_to is None:
            result.orphans.append(row["tweet_id"])
        raw = world.build_post(
            author_id=result.users[author],
            text=row["text"],
            created_at=when + shift,
            in_reply_to=in_reply_to,
        )
        world.put_post(raw)
        result[row["tweet_id"]] = str(raw["id"])
    return result


def _read_twcs(path: Path, limit: int | None) -> list[tuple[dt.datetime, dict[str, str]]]:
    rows: list[tuple[dt.datetime, dict[str, str]]] = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in _TWCS_COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise PayloadError(f"not a twcs CSV, missing columns {missing}", field=str(path))
        for number, row in enumerate(reader, start=2):
            if limit is not None and len(rows) >= limit:
                break
            try:
                when = dt.datetime.strptime(row["created_at"], _TWCS_TIME)  # noqa: DTZ007 - %z
            except ValueError:
                raise PayloadError(
                    f"bad created_at {row['created_at']!r}", field=f"{path.name}:{number}"
                ) from None
            if not row["tweet_id"].isdigit():
                raise PayloadError(
                    f"bad tweet_id {row['tweet_id']!r}", field=f"{path.name}:{number}"
                )
            rows.append((when.astimezone(dt.timezone.utc), row))
    return rows


def _twcs_user(world: World, author: str, first_seen: dt.datetime) -> str:
    existing = world.user_by_username(author)
    if existing is not None:
        return existing.model.id
    user_id = world.ids.mint(first_seen - dt.timedelta(days=365))
    world.put_user(
        {
            "id": user_id,
            "username": author,
            "name": author,
            "created_at": format_time(first_seen - dt.timedelta(days=365)),
            "protected": False,
            "verified": not author.isdigit(),
            "public_metrics": {
                "followers_count": 0,
                "following_count": 0,
                "tweet_count": 0,
                "listed_count": 0,
            },
        }
    )
    return user_id


def load_x_payload(world: World, payload: Mapping[str, object]) -> tuple[list[str], list[str]]:
    """Seed one recorded X API v2 response (a page of posts or users, with includes).

    A decoded recording (``{"request": ..., "response_json": ...}``) is accepted too.

    Posts and users are stored exactly as recorded and served back with the
    fields each request asks for. Returns the ids of the posts and users seeded.

    Raises:
        PayloadError: the payload is not an X API v2 response.
    """
    if not isinstance(payload, Mapping):
        raise PayloadError("expected an object", field="payload")
    wrapped = payload.get("response_json")
    if isinstance(wrapped, Mapping) and "data" not in payload:
        payload = wrapped  # a decoded recording: {"request": ..., "response_json": ...}
    includes = payload.get("includes")
    posts: list[str] = []
    users: list[str] = []
    if isinstance(includes, Mapping):
        users.extend(
            world.put_user(raw).id for raw in _objects(includes.get("users"), "includes.users")
        )
        posts.extend(
            world.put_post(raw).id for raw in _objects(includes.get("tweets"), "includes.tweets")
        )
    data = payload.get("data")
    items = [dict(data)] if isinstance(data, Mapping) else _objects(data, "data")
    for raw in items:
        if "username" in raw and "name" in raw:
            users.append(world.put_user(dict(raw)).id)
        else:
            posts.append(world.put_post(dict(raw)).id)
    return posts, users


def _objects(value: object, field: str) -> list[JSONObject]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError("expected an array", field=field)
    out: list[JSONObject] = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise PayloadError("expected an object", field=f"{field}[{index}]")
        out.append(item)
    return out


def read_x_jsonl(path: Path) -> Iterable[JSONObject]:
    """The response pages of a JSONL file (one X API v2 response per line).

    twarc's ``__twarc`` bookkeeping is dropped; blank lines are skipped.

    Raises:
        PayloadError: a line is not JSON (its line number is named).
    """
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                page = json.loads(line)
            except ValueError:
                raise PayloadError(
                    "line is not valid JSON", field=f"{path.name}:{number}"
                ) from None
            if not isinstance(page, dict):
                raise PayloadError("expected an object", field=f"{path.name}:{number}")
            page.pop("__twarc", None)
            yield page
