"""A stream (a named column of the monitor) as a value."""

from __future__ import annotations

import attrs

from socialcare.monitor._endpoints import ENDPOINTS
from socialcare.monitor._report import StreamKind
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
    """

    name: str
    kind: StreamKind
    query: str | None = None
    user_id: str | None = None

    @classmethod
    def search(cls, name: str, query: Query | str) -> Stream:
        """A recent-search stream.

        Raises:
            QueryError: the query is not valid X search syntax.
        """
        parsed = query if isinstance(query, Query) else Query.parse(query)
        return cls(name=_check_name(name), kind="search", query=parsed.render())

    @classmethod
    def mentions(cls, name: str = "mentions", *, user_id: str | None = None) -> Stream:
        """The mentions timeline of ``user_id`` (default: the acting account)."""
        return cls(name=_check_name(name), kind="mentions", user_id=user_id)

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
