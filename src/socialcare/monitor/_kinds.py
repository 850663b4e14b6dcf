"""Stream kinds as small strategy objects behind one interface (:class:`Kind`).

The poller, delivery and scheduler never branch on a stream's kind: they ask
the stream's :class:`Kind` how to group streams into requests, fetch a page of
a window, tell inbound items from the account's own, store them, and
whether they raise alerts. A new kind (filtered stream, webhook events) is a new
class registered in :func:`kinds`, with its endpoint in ``_endpoints.ENDPOINTS``.
"""

# Every kind implements the whole Kind interface; some ignore arguments others need.
# ruff: noqa: ARG002

from __future__ import annotations

import datetime as dt
import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

import attrs

from socialcare.alerts._sinks import Alert
from socialcare.errors import QueryError
from socialcare.models import DirectMessage, Page, Post, User
from socialcare.monitor._endpoints import ENDPOINTS
from socialcare.monitor._store import MonitorStore
from socialcare.monitor._stream import Stream
from socialcare.platforms import Platform
from socialcare.query import Query
from socialcare.query._pack import pack_groups

__all__ = ["Item", "Kind", "Request", "Unit", "Window", "kinds"]

Item = Post | DirectMessage
"""What a stream delivers."""


@attrs.frozen
class Unit:
    """Streams served by one request (a packed search group, or one stream).

    ``expansions``: what the unit's reads ask X to expand (every stream of a unit
    wants the same); ``None``: the monitor's author policy (nothing expanded, each
    post's author from the store or one batched user lookup).
    """

    streams: tuple[Stream, ...]
    query: str | None = None
    expansions: tuple[str, ...] | None = None

    @property
    def looks_up_authors(self) -> bool:
        """Whether authors missing from the store are looked up after the reads."""
        return self.expansions is None

    @property
    def kind(self) -> str:
        """The kind of every stream of the unit."""
        return self.streams[0].kind

    @property
    def endpoint(self) -> str:
        """The endpoint the unit's requests go to."""
        return ENDPOINTS[self.kind]


@attrs.frozen
class Window:
    """Which items: newer than ``since_id``, older than ``until_id``, from ``start_time``."""

    since_id: str | None = None
    until_id: str | None = None
    start_time: dt.datetime | None = None


@attrs.frozen
class Request:
    """What a kind needs to make a request."""

    platform: Platform
    page_size: int
    brand_user_id: Callable[[], str]

    def options(self, read: Callable[..., object], unit: Unit) -> dict[str, tuple[str, ...]]:
        """``expansions=`` for a read of ``unit``, when the platform's ``read`` takes it.

        ``Platform`` reads need not take ``expansions`` (``XPlatform``'s do); one that
        does not is called as before, with what it expands by itself.
        """
        if not _takes_expansions(getattr(read, "__func__", read)):
            return {}
        return {"expansions": () if unit.expansions is None else unit.expansions}


@functools.cache
def _takes_expansions(read: Callable[..., object]) -> bool:
    try:
        parameters = inspect.signature(read).parameters.values()
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return False
    return any(p.name == "expansions" or p.kind is p.VAR_KEYWORD for p in parameters)


class Kind(Protocol):
    """How one kind of stream is polled and delivered.

    Attributes:
        name: the kind, as in ``Stream.kind``.
        carries_posts: its items are posts (handlers via ``Monitor.on``, alerts),
            not DM events (``Monitor.on_dm``, no alerts).
        native_until: the platform applies ``Window.until_id`` itself; otherwise
            the poller drops newer items locally.
        reach: how far back the platform reaches (``None``: no limit).
        cap: how many of the most recent items the platform keeps (``None``: no cap).
    """

    @property
    def name(self) -> str: ...
    @property
    def carries_posts(self) -> bool: ...
    @property
    def native_until(self) -> bool: ...
    @property
    def reach(self) -> dt.timedelta | None: ...
    @property
    def cap(self) -> int | None: ...

    def units(self, streams: Sequence[Stream], *, pack: bool, max_length: int) -> list[Unit]:
        """Group ``streams`` (all of this kind) into requests."""
        ...

    def fetch(
        self, request: Request, unit: Unit, window: Window, token: str | None
    ) -> Page[Post] | Page[DirectMessage]:
        """One page of ``window`` for ``unit``, newest first."""
        ...

    def accepts(self, stream: Stream, unit: Unit, item: Item, users: Mapping[str, User]) -> bool:
        """Whether ``item`` (fetched for ``unit``) belongs to ``stream``."""
        ...

    def inbound(self, item: Item, brand: str, *, include_retweets: bool) -> bool:
        """Whether ``item`` counts as inbound (not the brand's own, not a dropped repost)."""
        ...

    def save(self, store: MonitorStore, items: Sequence[Item]) -> None:
        """Store ``items`` (atomically, as the store's upsert is)."""
        ...

    def alert(
        self, stream: Stream, item: Item, now: dt.datetime, users: Mapping[str, User]
    ) -> Alert | None:
        """The alert ``item`` raises on ``stream``, if any."""
        ...


class _PostKind:
    """What search and mentions share: posts, stored as posts, alerting."""

    name = ""
    carries_posts = True
    native_until = True
    reach: dt.timedelta | None = None
    cap: int | None = None

    def units(self, streams: Sequence[Stream], *, pack: bool, max_length: int) -> list[Unit]:
        return [Unit((s,), s.query) for s in streams]

    def accepts(self, stream: Stream, unit: Unit, item: Item, users: Mapping[str, User]) -> bool:
        return True

    def inbound(self, item: Item, brand: str, *, include_retweets: bool) -> bool:
        if not isinstance(item, Post):
            return False
        return item.author_id != brand and (include_retweets or not item.is_retweet)

    def save(self, store: MonitorStore, items: Sequence[Item]) -> None:
        posts = [i for i in items if isinstance(i, Post)]
        if posts:
            store.upsert_posts(posts)

    def alert(
        self, stream: Stream, item: Item, now: dt.datetime, users: Mapping[str, User]
    ) -> Alert | None:
        if not isinstance(item, Post):
            return None
        author = users.get(item.author_id or "")
        return Alert(stream=stream.name, post=item, received_at=now, author=author)


class _SearchKind(_PostKind):
    """Recent search: packed into as few requests as the query length allows."""

    name = "search"
    reach = dt.timedelta(days=7)

    def __init__(self) -> None:
        self._parsed: dict[str, Query] = {}

    def units(self, streams: Sequence[Stream], *, pack: bool, max_length: int) -> list[Unit]:
        if not pack:
            return super().units(streams, pack=pack, max_length=max_length)
        alone: list[Stream] = []
        packable: list[Stream] = []
        for stream in streams:
            try:
                pack_groups([self._query(stream)], max_length=max_length)
            except QueryError:  # cannot stand in an OR group: polled on its own
                alone.append(stream)
            else:
                packable.append(stream)
        groups = pack_groups([self._query(s) for s in packable], max_length=max_length)
        units = [
            Unit(
                tuple(packable[i] for i in members),
                packable[members[0]].query if len(members) == 1 else query.render(),
            )
            for query, members in groups
        ]
        return units + [Unit((s,), s.query) for s in alone]

    def _query(self, stream: Stream) -> Query:
        parsed = self._parsed.get(stream.query or "")
        if parsed is None:
            parsed = self._parsed[stream.query or ""] = Query.parse(stream.query or "")
        return parsed

    def fetch(
        self, request: Request, unit: Unit, window: Window, token: str | None
    ) -> Page[Post] | Page[DirectMessage]:
        read: Callable[..., Page[Post]] = request.platform.search_recent
        return read(
            unit.query or "",
            since_id=window.since_id,
            until_id=window.until_id,
            start_time=window.start_time,
            max_results=request.page_size,
            next_token=token,
            **request.options(read, unit),
        )

    def accepts(self, stream: Stream, unit: Unit, item: Item, users: Mapping[str, User]) -> bool:
        if len(unit.streams) == 1 or not isinstance(item, Post):
            return True
        return self._query(stream).matches(item, users=users)


class _MentionsKind(_PostKind):
    """A mentions timeline: X keeps the 800 most recent mentions."""

    name = "mentions"
    cap = 800

    def fetch(
        self, request: Request, unit: Unit, window: Window, token: str | None
    ) -> Page[Post] | Page[DirectMessage]:
        stream = unit.streams[0]
        read: Callable[..., Page[Post]] = request.platform.mentions
        return read(
            stream.user_id or request.brand_user_id(),
            since_id=window.since_id,
            until_id=window.until_id,
            start_time=window.start_time,
            max_results=request.page_size,
            next_token=token,
            **request.options(read, unit),
        )


class _DMKind:
    """DM events of the acting account (X keeps 30 days; no ``until_id``)."""

    name = "dms"
    carries_posts = False
    native_until = False
    reach: dt.timedelta | None = dt.timedelta(days=30)
    cap: int | None = None

    def units(self, streams: Sequence[Stream], *, pack: bool, max_length: int) -> list[Unit]:
        return [Unit((s,)) for s in streams]

    def fetch(
        self, request: Request, unit: Unit, window: Window, token: str | None
    ) -> Page[Post] | Page[DirectMessage]:
        return request.platform.dm_events(
            since_id=window.since_id, max_results=100, next_token=token
        )

    def accepts(self, stream: Stream, unit: Unit, item: Item, users: Mapping[str, User]) -> bool:
        return True

    def inbound(self, item: Item, brand: str, *, include_retweets: bool) -> bool:
        return isinstance(item, DirectMessage) and item.sender_id != brand

    def save(self, store: MonitorStore, items: Sequence[Item]) -> None:
        events = [i for i in items if isinstance(i, DirectMessage)]
        if events:
            store.upsert_dms(events)

    def alert(
        self, stream: Stream, item: Item, now: dt.datetime, users: Mapping[str, User]
    ) -> Alert | None:
        return None


class _WebhookKind(_MentionsKind):
    """X Activity API post events, pushed; the mentions timeline is the safety net."""

    name = "webhook"


class _WebhookDMKind(_DMKind):
    """X Activity API DM events, pushed; the DM events are the safety net."""

    name = "webhook_dms"


def kinds() -> dict[str, Kind]:
    """A fresh strategy object for every stream kind, by name."""
    registered: tuple[Kind, ...] = (
        _SearchKind(),
        _MentionsKind(),
        _DMKind(),
        _WebhookKind(),
        _WebhookDMKind(),
    )
    return {kind.name: kind for kind in registered}
