"""A stream (a named column of the monitor) as a value."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from socialcare.monitor._endpoints import ENDPOINTS
from socialcare.monitor._report import StreamKind
from socialcare.platforms.x import MENTIONS, SEARCH_RECENT
from socialcare.query import Query

__all__ = ["DM_EVENTS", "POST_EVENTS", "Stream"]

POST_EVENTS: tuple[str, ...] = ("post.mention.create", "post.reply.create", "post.quote.create")
"""The X Activity API post events a webhook stream takes by default (``post.create``, the
account's own posts, may be added: they are stored, never delivered as inbound)."""

DM_EVENTS: tuple[str, ...] = ("dm.received", "dm.sent")
"""The X Activity API DM events a webhook DM stream takes (``dm.sent`` is stored only)."""

_POST_EVENT_TYPES = frozenset((*POST_EVENTS, "post.create"))


@attrs.frozen
class Stream:
    """A named column of the monitor. Build one with the class methods.

    Attributes:
        name: unique name; also the key of the stream's cursor in the store.
        kind: ``"search"``, ``"mentions"`` or ``"dms"``.
        query: the X search query (search streams).
        user_id: whose mentions (mentions streams; ``None`` means the acting account).
        expansions: what the stream's reads ask X to expand, and so pay for
            (``("author_id",)``, ``()``...); ``None``: the monitor's ``expansions``,
            by default its author policy (see ``Monitor``).
        realtime: the real-time source that feeds the stream through
            :meth:`Monitor.push` (``"webhook"``, ``"filtered"``...), with polling as
            the safety net; ``None``: the stream is only polled.
        events: the X Activity API event types routed to the stream by
            :meth:`Monitor.receive_event` (webhook streams).
    """

    name: str
    kind: StreamKind
    query: str | None = None
    user_id: str | None = None
    expansions: tuple[str, ...] | None = None
    realtime: str | None = None
    events: tuple[str, ...] = ()

    @classmethod
    def search(
        cls,
        name: str,
        query: Query | str,
        *,
        expansions: Iterable[str] | None = None,
        realtime: str | None = None,
    ) -> Stream:
        """A recent-search stream.

        Args:
            name: the stream's unique name.
            query: what to search for.
            expansions: what its reads expand (see the class); checked against what
                ``GET /2/tweets/search/recent`` accepts.
            realtime: a real-time source that pushes the query's posts (a filtered
                stream connection, say); polling the search becomes its safety net.

        Raises:
            QueryError: the query is not valid X search syntax.
            ValueError: an expansion X does not accept there.
        """
        parsed = query if isinstance(query, Query) else Query.parse(query)
        chosen = None if expansions is None else SEARCH_RECENT.checked_expansions(expansions)
        return cls(
            name=_check_name(name),
            kind="search",
            query=parsed.render(),
            expansions=chosen,
            realtime=_check_source(realtime),
        )

    @classmethod
    def mentions(
        cls,
        name: str = "mentions",
        *,
        user_id: str | None = None,
        expansions: Iterable[str] | None = None,
        realtime: str | None = None,
    ) -> Stream:
        """The mentions timeline of ``user_id`` (default: the acting account).

        ``realtime``: a real-time source that pushes these mentions (see :meth:`search`).

        Raises:
            ValueError: an expansion X does not accept on the mentions timeline.
        """
        chosen = None if expansions is None else MENTIONS.checked_expansions(expansions)
        return cls(
            name=_check_name(name),
            kind="mentions",
            user_id=user_id,
            expansions=chosen,
            realtime=_check_source(realtime),
        )

    @classmethod
    def direct_messages(cls, name: str = "dms", *, realtime: str | None = None) -> Stream:
        """The acting account's DM events (``realtime``: see :meth:`search`)."""
        return cls(name=_check_name(name), kind="dms", realtime=_check_source(realtime))

    @classmethod
    def webhook(
        cls,
        name: str = "webhook",
        *,
        user_id: str | None = None,
        events: Iterable[str] = POST_EVENTS,
        expansions: Iterable[str] | None = None,
        source: str = "webhook",
    ) -> Stream:
        """X Activity API post events about ``user_id`` (default: the acting account).

        Events arrive through :meth:`Monitor.receive_event` (mount a
        :class:`~socialcare.webhooks.WebhookReceiver` and register it with
        ``receiver.on_any(monitor.receive_event)``). The safety net polls the
        account's mentions timeline, which holds mentions and replies (a reply
        carries the @); a quote that does not mention the account reaches the
        stream only in real time.

        Raises:
            ValueError: an event type that is not a post event.
        """
        chosen = tuple(dict.fromkeys(events))
        unknown = [e for e in chosen if e not in _POST_EVENT_TYPES]
        if unknown or not chosen:
            msg = f"a webhook stream takes post events {sorted(_POST_EVENT_TYPES)}, got {unknown}"
            raise ValueError(msg)
        picked = None if expansions is None else MENTIONS.checked_expansions(expansions)
        return cls(
            name=_check_name(name),
            kind="webhook",
            user_id=user_id,
            expansions=picked,
            realtime=_check_source(source),
            events=chosen,
        )

    @classmethod
    def webhook_dms(cls, name: str = "webhook_dms", *, source: str = "webhook") -> Stream:
        """X Activity API DM events (``dm.received``, ``dm.sent``) of the acting account.

        Events arrive as for :meth:`webhook`; the safety net polls the DM events.
        """
        return cls(
            name=_check_name(name),
            kind="webhook_dms",
            realtime=_check_source(source),
            events=DM_EVENTS,
        )

    @property
    def endpoint(self) -> str:
        """The X endpoint this stream polls."""
        return ENDPOINTS[self.kind]


def _check_source(source: str | None) -> str | None:
    if source is not None and (not source or source == "polling"):
        msg = f"a real-time source needs a name other than 'polling', got {source!r}"
        raise ValueError(msg)
    return source


def _check_name(name: str) -> str:
    if not name or not name.strip():
        msg = f"a stream name must be a non-empty string, got {name!r}"
        raise ValueError(msg)
    return name
