"""A stream (a named column of the monitor) as a value."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from socialcare.monitor._endpoints import ENDPOINTS
from socialcare.monitor._report import StreamKind
from socialcare.platforms.x import MENTIONS, SEARCH_RECENT
from socialcare.query import Query

__all__ = ["Stream"]


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
    """

    name: str
    kind: StreamKind
    query: str | None = None
    user_id: str | None = None
    expansions: tuple[str, ...] | None = None

    @classmethod
    def search(
        cls, name: str, query: Query | str, *, expansions: Iterable[str] | None = None
    ) -> Stream:
        """A recent-search stream.

        Args:
            name: the stream's unique name.
            query: what to search for.
            expansions: what its reads expand (see the class); checked against what
                ``GET /2/tweets/search/recent`` accepts.

        Raises:
            QueryError: the query is not valid X search syntax.
            ValueError: an expansion X does not accept there.
        """
        parsed = query if isinstance(query, Query) else Query.parse(query)
        chosen = None if expansions is None else SEARCH_RECENT.checked_expansions(expansions)
        return cls(name=_check_name(name), kind="search", query=parsed.render(), expansions=chosen)

    @classmethod
    def mentions(
        cls,
        name: str = "mentions",
        *,
        user_id: str | None = None,
        expansions: Iterable[str] | None = None,
    ) -> Stream:
        """The mentions timeline of ``user_id`` (default: the acting account).

        Raises:
            ValueError: an expansion X does not accept on the mentions timeline.
        """
        chosen = None if expansions is None else MENTIONS.checked_expansions(expansions)
        return cls(name=_check_name(name), kind="mentions", user_id=user_id, expansions=chosen)

    @classmethod
    def direct_messages(cls, name: str = "dms") -> Stream:
        """The acting account's DM events."""
        return cls(name=_check_name(name), kind="dms")

    @property
    def endpoint(self) -> str:
        """The X endpoint this stream polls."""
        return ENDPOINTS[self.kind]


def _check_name(name: str) -> str:
    if not name or not name.strip():
        msg = f"a stream name must be a non-empty string, got {name!r}"
        raise ValueError(msg)
    return name
