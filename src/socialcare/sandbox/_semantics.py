"""The library's own text and query engines, as the sandbox uses them.

The sandbox judges posts with exactly the code socialcare users run: weighted
length and entities from ``socialcare.text``, search from
``socialcare.query.Query``. This module is the one place that wires them in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from socialcare.models import Entities, Post, User
from socialcare.query import AllOf, AnyOf, Atom, Clause, PostView, Query
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


def _positive_atoms(clause: Clause | None) -> list[Atom]:
    if isinstance(clause, Atom):
        return [clause]
    if isinstance(clause, AllOf | AnyOf):
        return [atom for sub in clause.clauses for atom in _positive_atoms(sub)]
    return []  # a Negated atom, or nothing


def compile_query(text: str) -> Callable[[PostView], bool]:
    """A predicate for X search syntax ``text``, evaluated by ``Query.matches``.

    Since 2026-05-04 X's search index no longer returns retweets for keyword-based
    queries (those with a keyword or "phrase" term) unless ``is:retweet`` asks
    for them; the predicate applies that on top of ``Query.matches``.

    Raises:
        QueryError: the query is malformed, or X would reject it.
    """
    query = Query.parse(text)
    atoms = _positive_atoms(query.clause)
    keyword_based = any(atom.kind in {"keyword", "phrase"} for atom in atoms)
    wants_retweets = any(atom.kind == "is" and atom.value == "retweet" for atom in atoms)
    drop_retweets = keyword_based and not wants_retweets

    def matches(view: PostView) -> bool:
        if drop_retweets and view.post.is_retweet:
            return False
        return query.matches(view)

    return matches
