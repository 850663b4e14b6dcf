"""Seeding the sandbox from real data: twcs CSV exports and recorded X API v2 responses."""

from __future__ import annotations

import csv
import datetime as dt
import json
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from socialcare._json import format_time
from socialcare.errors import PayloadError
from socialcare.sandbox._world import JSONObject, World

__all__ = [
    "DEFAULT_SPAN",
    "SEARCH_WINDOW",
    "OutsideSearchWindowWarning",
    "TwcsImport",
    "load_twcs",
    "load_x_payload",
    "read_x_jsonl",
]

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


SEARCH_WINDOW = dt.timedelta(days=7)
"""How far back recent search reaches (X's 7-day window)."""

DEFAULT_SPAN = dt.timedelta(days=6)
"""The longest period a rebased import spans by default: inside the search window with a day
to spare, so the clock can move on before the oldest rows leave it."""


class OutsideSearchWindowWarning(UserWarning):
    """A twcs import left rows outside the 7-day recent-search window.

    Recent search (``search_recent``) and monitors built on it will not see those rows;
    import with ``rebase=True`` (and a ``span`` under 7 days) to bring them into the
    window. ``TwcsImport.outside_window`` lists them.
    """


class TwcsImport(dict[str, str]):
    """What a twcs import did: maps each twcs ``tweet_id`` to the sandbox post id.

    twcs ids are not sandbox ids: every row gets a fresh snowflake id and every author a
    fresh user id. Look them up with :meth:`post` and :meth:`user` (the sandbox's "not
    found" errors say so when given a twcs id).

    Attributes:
        users: maps each twcs ``author_id`` (a brand's handle, or a customer's number,
            which is also its sandbox handle) to the sandbox user id.
        orphans: twcs ids of replies whose parent is not in the file (imported as roots).
        shift: how far the newest row moved (zero without ``rebase``).
        scale: the factor applied to the time between a row and the newest row (1.0
            unless a rebase compressed the data set into its ``span``).
        outside_window: twcs ids of the rows that were outside the 7-day recent-search
            window of the sandbox clock when imported (older, or newer than now).
    """

    def __init__(self) -> None:
        super().__init__()
        self.users: dict[str, str] = {}
        self.orphans: list[str] = []
        self.shift = dt.timedelta(0)
        self.scale = 1.0
        self.outside_window: list[str] = []

    def post(self, tweet_id: str) -> str:
        """The sandbox post id of the twcs row ``tweet_id``.

        Raises:
            KeyError: the row was not imported.
        """
        found = self.get(str(tweet_id))
        if found is None:
            msg = f"twcs tweet_id {_short(str(tweet_id))!r} was not imported"
            raise KeyError(msg)
        return found

    def user(self, author: str) -> str:
        """The sandbox user id of a twcs ``author_id`` or handle (``"@AppleSupport"`` too).

        Handles match case-insensitively, as X's do.

        Raises:
            KeyError: no imported author has this id or handle.
        """
        wanted = str(author).removeprefix("@")
        found = self.users.get(wanted)
        if found is None:
            lowered = wanted.lower()
            found = next((v for k, v in self.users.items() if k.lower() == lowered), None)
        if found is None:
            msg = f"twcs author {_short(str(author))!r} was not imported"
            raise KeyError(msg)
        return found


def _short(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[:limit] + "..."


def load_twcs(
    world: World,
    path: Path,
    *,
    limit: int | None = None,
    rebase: bool = False,
    span: dt.timedelta | None = None,
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
        rebase: move the whole data set into the recent past of the sandbox clock:
            the newest row lands on "now" and every other row keeps its order and its
            place in time relative to the others. A data set spanning more than
            ``span`` is compressed proportionally to fit in it; a shorter one only
            moves.
        span: the period a rebased data set may span at most (default 6 days, inside
            X's 7-day recent-search window with a day to spare). Needs ``rebase``.

    Warns:
        OutsideSearchWindowWarning: rows fall outside the 7-day recent-search window
            of the sandbox clock (``TwcsImport.outside_window`` lists them).

    Raises:
        PayloadError: the file lacks a twcs column or a row has a bad value.
        ValueError: ``span`` is not positive, or given without ``rebase``.
    """
    rows = _read_twcs(path, limit)
    result = TwcsImport()
    if not rows:
        return result
    now = world.clock.now()
    placed = _placement(rows, now, result, rebase=rebase, span=span)
    window_start = now - SEARCH_WINDOW
    for when, row in sorted(rows, key=lambda item: (item[0], int(item[1]["tweet_id"]))):
        created = placed(when)
        author = row["author_id"]
        if author not in result.users:
            result.users[author] = _twcs_user(world, author, created)
        parent = row["in_response_to_tweet_id"]
        in_reply_to = result.get(parent) if parent else None
        if parent and in_reply_to is None:
            result.orphans.append(row["tweet_id"])
        raw = world.build_post(
            author_id=result.users[author],
            text=row["text"],
            created_at=created,
            in_reply_to=in_reply_to,
        )
        world.put_post(raw)
        result[row["tweet_id"]] = str(raw["id"])
        if not window_start <= created <= now:
            result.outside_window.append(row["tweet_id"])
    world.remember_imported("tweet", result)
    world.remember_imported("user", result.users)
    if result.outside_window:
        warnings.warn(
            f"{len(result.outside_window)} of {len(result)} twcs rows from {path.name} are "
            f"outside the 7-day recent-search window ending {now.isoformat()}: recent search "
            "and monitors will not see them (import with rebase=True to move them in; "
            "TwcsImport.outside_window lists them)",
            OutsideSearchWindowWarning,
            stacklevel=3,
        )
    return result


def _placement(
    rows: list[tuple[dt.datetime, dict[str, str]]],
    now: dt.datetime,
    result: TwcsImport,
    *,
    rebase: bool,
    span: dt.timedelta | None,
) -> Callable[[dt.datetime], dt.datetime]:
    """Where each row's time lands; records the shift and scale in ``result``."""
    if span is not None and not rebase:
        msg = "span applies to a rebased import: pass rebase=True with it"
        raise ValueError(msg)
    if span is not None and span <= dt.timedelta(0):
        msg = f"span must be positive, got {span}"
        raise ValueError(msg)
    if not rebase:
        return lambda when: when
    newest = max(when for when, _ in rows)
    width = newest - min(when for when, _ in rows)
    allowed = DEFAULT_SPAN if span is None else span
    if width > allowed or (span is not None and width > dt.timedelta(0)):
        result.scale = allowed / width
    result.shift = now - newest
    scale = result.scale
    return lambda when: now - (newest - when) * scale


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
