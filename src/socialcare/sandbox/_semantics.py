"""The library's own text and query engines, as the sandbox uses them.

The sandbox judges posts with exactly the code socialcare users run: weighted
length and entities from ``socialcare.text``, search from
``socialcare._query.Query``. This module is the one place that wires them in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from socialcare._query import PostView, Query
from socialcare.models import Entities, Post, User
from socialcare.text import extract_entities, parse_tweet

__all__ = ["PostView", "compile_query", "entities_of", "view_of", "weighted_length"]


def weighted_length(text: str) -> int:
    """The twitter-text v3 weighted length of ``text``."""
    return parse_tweet(text).weighted_length


def entities_of(text: str) -> Entities:
    """Mentions, links, hashtags and cashtags of ``text``, as X would report them."""
    return extract_entities(text)


def view_of(post: Post, users: Mapping[str, User]) -> PostView:
    """``post`` prepared once for matching many queries (``users`` is read live)."""
    return PostView(post, users)


def compile_query(text: str) -> Callable[[PostView], bool]:
    """A predicate for X search syntax ``text``, evaluated by ``Query.matches``.

    Raises:
        QueryError: the query is malformed, or X would reject it.
    """
    query = Query.parse(text)

    def matches(view: PostView) -> bool:
        return query.matches(view)

    return matches
