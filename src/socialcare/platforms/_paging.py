"""Walking paginated endpoints: to exhaustion, or up to a limit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from socialcare.models import Page, Post, User

__all__ = ["iter_items", "iter_pages", "iter_posts_with_authors"]

T = TypeVar("T")


def iter_pages(
    fetch: Callable[[str | None], Page[T]], *, max_pages: int | None = None
) -> Iterator[Page[T]]:
    """Yield pages from ``fetch(next_token)`` until the last page (or ``max_pages``).

    Args:
        fetch: called with ``None`` first, then with each page's ``next_token``,
            for example ``lambda token: x.search_recent(q, next_token=token)``.
        max_pages: stop after this many pages (``None``: until exhausted).

    Raises:
        ValueError: ``max_pages`` is below 1, or the platform repeats a token
            (which would loop forever).
    """
    if max_pages is not None and max_pages < 1:
        msg = f"max_pages must be at least 1, got {max_pages}"
        raise ValueError(msg)
    token: str | None = None
    seen: set[str] = set()
    fetched = 0
    while True:
        page = fetch(token)
        fetched += 1
        yield page
        token = page.next_token
        if token is None or (max_pages is not None and fetched >= max_pages):
            return
        if token in seen:
            msg = f"the platform returned next_token {token!r} twice; stopping"
            raise ValueError(msg)
        seen.add(token)


def iter_items(fetch: Callable[[str | None], Page[T]], *, limit: int | None = None) -> Iterator[T]:
    """Yield items across pages until exhausted or ``limit`` items were yielded.

    No page is fetched beyond the one that reaches ``limit``. The pages'
    ``includes`` are dropped: :func:`iter_posts_with_authors` keeps the authors.

    Raises:
        ValueError: ``limit`` is negative.
    """
    for item, _ in _walk(fetch, limit):
        yield item


def iter_posts_with_authors(
    fetch: Callable[[str | None], Page[Post]], *, limit: int | None = None
) -> Iterator[tuple[Post, User | None]]:
    """Yield ``(post, author)`` across pages, the author taken from each page's includes.

    The author is ``None`` when the page did not include it: the read was made
    without the ``author_id`` expansion (``expansions=()``), or X could not return
    the user. Paging and ``limit`` work as in :func:`iter_items`.

    Example::

        for post, author in iter_posts_with_authors(
            lambda token: x.mentions(next_token=token), limit=50
        ):
            print(author.username if author else post.author_id, post.text)

    Raises:
        ValueError: ``limit`` is negative.
    """
    for post, page in _walk(fetch, limit):
        yield post, page.includes.user(post.author_id)


def _walk(fetch: Callable[[str | None], Page[T]], limit: int | None) -> Iterator[tuple[T, Page[T]]]:
    if limit is not None and limit < 0:
        msg = f"limit must not be negative, got {limit}"
        raise ValueError(msg)
    if limit == 0:
        return
    count = 0
    for page in iter_pages(fetch):
        for item in page.items:
            yield item, page
            count += 1
            if limit is not None and count >= limit:
                return
